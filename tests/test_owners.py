"""Who owns which file: real pip --target folders, their zips, and metadata made by hand."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from coldprof.analyze.model import Runtime
from coldprof.analyze.owners import find_distributions, owner_map
from coldprof.package import layer_import_roots, open_package
from helpers import tree_snapshot

PY311 = Runtime("python3.11", (3, 11), (2, 26))
PY313 = Runtime("python3.13", (3, 13), (2, 34))


def distributions_of(path: Path, runtime: Runtime = PY311, arch: str = "x86_64") -> dict:
    package = open_package(path)
    return {d.key: d for d in find_distributions(package, runtime, arch)}


def owners_of(path: Path, roots: tuple[str, ...] = ("",), name: str = "function") -> dict:
    package = open_package(path, name, roots)
    found = find_distributions(package, PY311, "x86_64")
    return {path: key for (_, path), key in owner_map([package], found).items()}


def zip_folder(folder: Path, archive: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                out.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)


@pytest.fixture(scope="module")
def scripts_target(pip_target: Callable[..., Path]) -> Path:
    """Distributions with markers, extras and console scripts (bin/)."""
    return pip_target("jsonschema", "requests[socks]", "tabulate")


@pytest.fixture(scope="module")
def small_target(pip_target: Callable[..., Path]) -> Path:
    return pip_target("six", "tabulate", "python-dateutil")


def copied(source: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(source, tmp_path / "copy"))


def test_every_file_of_a_pip_target_has_exactly_one_owner(sdk_target: Path):
    owners = owners_of(sdk_target)
    assert set(owners) == files_under(sdk_target)
    assert owners["six.py"] == "six"
    assert owners["__pycache__/six.cpython-311.pyc"] == "six"
    assert owners["botocore/data/endpoints.json"] == "botocore"
    assert owners["python_dateutil-2.9.0.post0.dist-info/RECORD"] == "python-dateutil"
    assert owners["bin/normalizer"] == "charset-normalizer"
    assert owners["bin/jp.py"] == "jmespath"
    assert owners["bin/__pycache__/jp.cpython-311.pyc"] == "jmespath"


def test_metadata_fields_of_real_distributions(sdk_target: Path):
    found = distributions_of(sdk_target)
    assert set(found) == {
        "boto3", "botocore", "certifi", "charset-normalizer", "idna", "jmespath",
        "python-dateutil", "requests", "s3transfer", "six", "urllib3",
    }  # fmt: skip
    dateutil = found["python-dateutil"]
    assert dateutil.name == "python-dateutil"
    assert dateutil.version == "2.9.0.post0"
    assert dateutil.dist_info == "python_dateutil-2.9.0.post0.dist-info"
    assert dateutil.top_level == ("dateutil",)
    assert dateutil.requires == ("six",)
    assert dateutil.ownership == "RECORD"
    assert found["boto3"].requires == ("botocore", "jmespath", "s3transfer")
    assert found["requests"].requires == ("certifi", "charset-normalizer", "idna", "urllib3")
    assert found["six"].wheel_tags == ("py2-none-any", "py3-none-any")
    assert "charset_normalizer" in found["charset-normalizer"].top_level
    assert any("manylinux" in tag for tag in found["charset-normalizer"].wheel_tags)


def test_console_script_rows_outside_the_folder_map_to_bin(scripts_target: Path):
    record = next(scripts_target.glob("tabulate-*.dist-info")).joinpath("RECORD").read_text()
    assert "../../bin/tabulate," in record
    tabulate = distributions_of(scripts_target)["tabulate"]
    assert "bin/tabulate" in tabulate.files
    assert "bin" not in tabulate.top_level
    assert not any(path.startswith("..") for path in tabulate.files)
    assert owners_of(scripts_target)["bin/jsonschema"] == "jsonschema"


def test_markers_are_evaluated_for_the_target_runtime(scripts_target: Path):
    on_311 = distributions_of(scripts_target, PY311)
    on_313 = distributions_of(scripts_target, PY313)
    assert on_311["referencing"].requires == ("attrs", "rpds-py", "typing-extensions")
    assert on_313["referencing"].requires == ("attrs", "rpds-py")
    assert "pysocks" in on_311
    assert "pysocks" not in on_311["requests"].requires  # only reached through requests[socks]


def test_platform_machine_and_hostile_requirement_lines(tmp_path: Path):
    write(tmp_path / "app.py", "")
    write(
        tmp_path / "demo-1.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: Demo_Pkg\nVersion: 1.0\n"
        'Requires-Dist: on-intel; platform_machine == "x86_64"\n'
        'Requires-Dist: on-graviton; platform_machine == "aarch64"\n'
        'Requires-Dist: only-extra; extra == "fast"\n'
        'Requires-Dist: old-python; python_version < "3.12"\n'
        'Requires-Dist: windows-only; sys_platform == "win32"\n'
        "Requires-Dist: this is not a requirement !!\n"
        'Requires-Dist: bad-marker; python_version ~= "banana"\n'
        "Requires-Dist: Demo-Pkg\n",
    )
    intel = distributions_of(tmp_path, PY311, "x86_64")["demo-pkg"]
    graviton = distributions_of(tmp_path, PY313, "arm64")["demo-pkg"]
    assert intel.name == "Demo_Pkg"
    assert intel.requires == ("old-python", "on-intel")
    assert graviton.requires == ("on-graviton",)


def test_record_removed_falls_back_to_top_level_txt(small_target: Path, tmp_path: Path):
    folder = copied(small_target, tmp_path)
    for record in folder.glob("*.dist-info/RECORD"):
        record.unlink()
    found = distributions_of(folder)
    assert found["six"].ownership == "top_level.txt"
    assert "six.py" in found["six"].files
    assert "__pycache__/six.cpython-311.pyc" in found["six"].files
    assert "six-1.17.0.dist-info/METADATA" in found["six"].files
    tabulate = found["tabulate"]
    assert tabulate.ownership == "top_level.txt"
    package_files = {f"tabulate/{p}" for p in files_under(folder / "tabulate")}
    assert package_files <= set(tabulate.files)
    assert "bin/tabulate" not in tabulate.files  # only RECORD knows about console scripts


def test_record_and_top_level_removed_fall_back_to_folder_name(small_target, tmp_path):
    folder = copied(small_target, tmp_path)
    for name in ("RECORD", "top_level.txt"):
        for path in folder.glob(f"*.dist-info/{name}"):
            path.unlink()
    found = distributions_of(folder)
    assert found["six"].ownership == "folder name"
    assert {"six.py", "__pycache__/six.cpython-311.pyc"} <= set(found["six"].files)
    assert found["tabulate"].ownership == "folder name"
    assert "tabulate/__init__.py" in found["tabulate"].files
    dateutil = found["python-dateutil"]  # imported as `dateutil`: no name to match
    assert dateutil.ownership == "folder name"
    assert all(path.startswith(dateutil.dist_info + "/") for path in dateutil.files)
    assert "dateutil/parser/_parser.py" not in owners_of(folder)


def test_a_zip_of_the_folder_has_the_same_owners(scripts_target: Path, tmp_path: Path):
    archive = zip_folder(scripts_target, tmp_path / "function.zip")
    assert owners_of(archive) == owners_of(scripts_target)
    assert distributions_of(archive) == distributions_of(scripts_target)


def test_a_layer_zip_resolves_records_under_its_import_root(small_target, tmp_path):
    archive = zip_folder(small_target, tmp_path / "layer.zip", prefix="python/")
    roots = layer_import_roots((3, 11))
    owners = owners_of(archive, roots, "layer 1")
    expected = {f"python/{path}": key for path, key in owners_of(small_target).items()}
    assert owners == expected
    assert owners["python/bin/tabulate"] == "tabulate"

    nested = zip_folder(
        small_target, tmp_path / "nested.zip", "python/lib/python3.11/site-packages/"
    )
    deep = owners_of(nested, roots, "layer 1")
    assert deep["python/lib/python3.11/site-packages/six.py"] == "six"
    assert deep["python/lib/python3.11/site-packages/bin/tabulate"] == "tabulate"


def test_egg_info_is_read_best_effort(tmp_path: Path):
    egg = tmp_path / "legacy-2.0-py3.11.egg-info"
    write(egg / "PKG-INFO", "Metadata-Version: 1.1\nName: legacy\nVersion: 2.0\n")
    write(egg / "installed-files.txt", "../legacy/__init__.py\n../legacy/core.py\nPKG-INFO\n")
    write(
        egg / "requires.txt",
        'six\n\n[:python_version < "3.12"]\ntyping-extensions\n\n[socks]\nPySocks\n',
    )
    write(tmp_path / "legacy/__init__.py", "")
    write(tmp_path / "legacy/core.py", "x = 1\n")
    write(tmp_path / "legacy/data.bin", b"\0" * 10)
    legacy = distributions_of(tmp_path)["legacy"]
    assert legacy.version == "2.0"
    assert legacy.ownership == "installed-files.txt"
    assert legacy.requires == ("six", "typing-extensions")
    assert distributions_of(tmp_path, PY313)["legacy"].requires == ("six",)
    assert "legacy/core.py" in legacy.files
    assert "legacy/data.bin" not in legacy.files  # not listed
    assert legacy.top_level == ("legacy",)


def test_record_claims_win_over_fallback_claims_and_both_keep_the_file(tmp_path: Path):
    write(tmp_path / "six.py", "# six\n")
    write(tmp_path / "six-1.0.dist-info/METADATA", "Name: six\nVersion: 1.0\n")
    write(tmp_path / "six-1.0.dist-info/RECORD", "six.py,,\nsix-1.0.dist-info/RECORD,,\n")
    write(tmp_path / "a_vendor-1.0.dist-info/METADATA", "Name: a-vendor\nVersion: 1.0\n")
    write(tmp_path / "a_vendor-1.0.dist-info/top_level.txt", "six\n")
    found = distributions_of(tmp_path)
    assert "six.py" in found["six"].files
    assert "six.py" in found["a-vendor"].files
    assert found["a-vendor"].ownership == "top_level.txt"
    assert owners_of(tmp_path)["six.py"] == "six"


def test_hostile_metadata_never_breaks_and_never_writes(tmp_path: Path):
    write(tmp_path / "app.py", "")
    write(tmp_path / "junk-1.0.dist-info/METADATA", b"\xff\xfe\x00garbage\n\x00:\n")
    write(
        tmp_path / "junk-1.0.dist-info/RECORD",
        b'../../../../etc/passwd,,\n/etc/shadow,,\n"unterminated,\x00,\n' + b"x" * 200_000,
    )
    write(tmp_path / "noname.dist-info/WHEEL", "Tag: py3-none-any\n")
    write(tmp_path / "file.dist-info", "a file, not a folder\n")
    before = tree_snapshot(tmp_path)
    found = distributions_of(tmp_path)
    assert set(found) == {"junk", "noname"}
    assert found["junk"].version == "1.0"
    assert found["noname"].version == ""
    assert found["noname"].wheel_tags == ("py3-none-any",)
    assert all(not path.startswith(("/", "..")) for d in found.values() for path in d.files)
    assert "app.py" not in owners_of(tmp_path)
    assert tree_snapshot(tmp_path) == before


def test_namespace_packages_provide_their_portion(tmp_path: Path):
    for name in ("one", "two"):
        write(tmp_path / f"acme/{name}/__init__.py", "")
        info = f"acme_{name}-1.0.dist-info"
        write(tmp_path / f"{info}/METADATA", f"Name: acme.{name}\nVersion: 1.0\n")
        write(tmp_path / f"{info}/RECORD", f"acme/{name}/__init__.py,,\n{info}/RECORD,,\n")
    found = distributions_of(tmp_path)
    assert found["acme-one"].top_level == ("acme.one",)
    assert found["acme-two"].top_level == ("acme.two",)
