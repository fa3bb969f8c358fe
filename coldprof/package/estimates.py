"""What zipping a package folder weighs with each packager people use, from the measured files.

Both estimates reuse each file's deflate-6 size (package/folder.py) and differ in what the
packager adds around it, which is exact:

- python-zipfile: `zipfile.ZipFile(..., ZIP_DEFLATED)` as SAM and build scripts use it: one
  entry per file, always deflated, 30 + 46 bytes of headers plus the name twice, and a 22-byte
  end record (the package's archive_bytes).
- info-zip: `zip -r` (Info-ZIP 3.0): also one entry per folder, a file stored when deflate
  does not make it smaller, and 52 bytes of extra fields per entry (the extended timestamp
  and the Unix UID/GID: 28 in the local header, 24 in the central directory). Its own deflate
  differs from zlib's by a few bytes per megabyte (0.015% on a 20 MB tree).
"""

from __future__ import annotations

from coldprof.package.folder import END_RECORD_BYTES, zip_entry_overhead_bytes
from coldprof.package.model import Package

INFO_ZIP_EXTRA_BYTES = 28 + 24  # "UT" (13 local, 9 central) and "ux" (15 and 15) extra fields
PACKAGERS = ("python-zipfile", "info-zip")


def info_zip_bytes(package: Package) -> int:
    """What `zip -r` of the folder would write."""
    total = END_RECORD_BYTES
    for entry in package.files:
        overhead = zip_entry_overhead_bytes(entry.path)
        deflated = entry.zipped_bytes - overhead
        total += overhead + INFO_ZIP_EXTRA_BYTES + min(deflated, entry.unzipped_bytes)
    for folder in package.folders:
        total += zip_entry_overhead_bytes(folder.path + "/") + INFO_ZIP_EXTRA_BYTES
    return total


def zipped_estimates(package: Package) -> tuple[tuple[str, int], ...]:
    """(packager, bytes) for a folder; nothing for a zip, whose size is known."""
    if package.kind != "folder":
        return ()
    return (("python-zipfile", package.archive_bytes), ("info-zip", info_zip_bytes(package)))
