"""Symbolic links in the target: copied as the files they point to, when they stay inside it.

analyze never follows a link (it is `skipped`). slim writes a package Lambda can run, so a link
that resolves inside the package (`lib/alias.py -> real.py`, `libalias -> lib`) is copied as
regular files at the link's path, as `zip -r` stores a link it follows. A link that leaves the
package, points nowhere, cannot be read, or loops (a folder link holding itself) refuses the
run in one line: the package would not be the one that was tested.

Links are resolved by name, within the package's own tree: a link's target is read relative
to the folder holding the link, through any links on the way (at most MAX_HOPS of them), never
through the file system outside the package.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from coldprof.errors import TargetError
from coldprof.package.model import Package
from coldprof.results import display_path

LINK_CODES = ("link-inside", "link-outside", "link-broken", "link-unreadable")
MAX_HOPS = 40  # as Linux's ELOOP bound
SHOWN = 3


class LinkError(ValueError):
    """A link that slim cannot copy: why ("outside", "loop"), for the one-line refusal."""


class _Tree:
    """The package's files, folders and links, by path."""

    def __init__(self, package: Package):
        self.files = {entry.path for entry in package.files}
        self.folders = {folder.path for folder in package.folders} | {""}
        self.links = {
            s.path: str(s.values.get("target", ""))
            for s in package.skipped
            if s.code == "link-inside"
        }

    def resolve(self, path: str, hops: int = 0) -> str:
        """The path with every link on it followed ("" is the package root)."""
        done: list[str] = []
        for part in path.split("/") if path else []:
            here = "/".join([*done, part])
            if here not in self.links:
                done.append(part)
                continue
            if hops >= MAX_HOPS:
                raise LinkError("loop")
            target = self.links[here]
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(here), target))
            if target.startswith("/") or joined == ".." or joined.startswith("../"):
                raise LinkError("outside")
            resolved = self.resolve("" if joined == "." else joined, hops + 1)
            done = resolved.split("/") if resolved else []
        return "/".join(done)

    def under(self, folder: str) -> Iterator[str]:
        """Files and links below a folder, relative to it."""
        prefix = f"{folder}/" if folder else ""
        for path in sorted(self.files | set(self.links)):
            if path.startswith(prefix):
                yield path[len(prefix) :]


def _copies_of(tree: _Tree, link: str, limit: int, depth: int = 0) -> dict[str, str]:
    """Destination path -> the package file it holds, for one link (a folder: each file,
    through the links inside it too)."""
    resolved = tree.resolve(link)
    if resolved in tree.files:
        return {link: resolved}
    if resolved not in tree.folders:
        raise LinkError("nowhere")
    if resolved == "" or link.startswith(f"{resolved}/") or depth >= MAX_HOPS:
        raise LinkError("loop")
    copies: dict[str, str] = {}
    for relative in tree.under(resolved):
        inner = f"{resolved}/{relative}" if resolved else relative
        if inner in tree.files:
            copies[f"{link}/{relative}"] = inner
        else:  # a link inside the linked folder: its own copies, under this link's path
            inner_copies = _copies_of(tree, inner, limit - len(copies), depth + 1)
            at = f"{link}/{relative}"
            copies |= {at + dest[len(inner) :]: source for dest, source in inner_copies.items()}
        if len(copies) > limit:
            raise LinkError("loop")
    return copies


def _refuse(package: Package, bad: list[tuple[str, str]]) -> None:
    shown = ", ".join(f"{display_path(path)} ({why})" for path, why in bad[:SHOWN])
    more = f" and {len(bad) - SHOWN:,} more" if len(bad) > SHOWN else ""
    raise TargetError(
        f"{package.location}: {len(bad):,} symbolic link(s) slim cannot copy: {shown}{more}; "
        "slim copies only links that resolve to files or folders inside the package: replace "
        "these with the files they point to, or remove them"
    )


def link_copies(package: Package) -> dict[str, str]:
    """Destination path -> package file, for every link inside the package (TargetError, one
    line, naming the links that leave it, point nowhere, cannot be read or loop)."""
    tree = _Tree(package)
    limit = max(len(tree.files), 1) * 4
    copies: dict[str, str] = {}
    bad: list[tuple[str, str]] = []
    for skipped in package.skipped:
        if skipped.code not in LINK_CODES:
            continue
        if skipped.code != "link-inside":
            bad.append((skipped.path, skipped.code.removeprefix("link-")))
            continue
        try:
            copies |= _copies_of(tree, skipped.path, limit - len(copies))
        except LinkError as error:
            bad.append((skipped.path, str(error)))
    if bad:
        _refuse(package, bad)
    return copies
