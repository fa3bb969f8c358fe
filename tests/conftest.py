"""Shared fixtures: real packages installed with pip once per test session."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def pip_install(target: Path, *requirements: str, extra: tuple[str, ...] = ()) -> Path:
    """pip install --target, as people build Lambda packages; fails the test run loudly."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-input", "--target", str(target), *extra, *requirements]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return target


@pytest.fixture(autouse=True)
def own_cache_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Path:
    """coldprof's caches in a folder of each test's own, never the user's."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


@pytest.fixture(scope="session")
def pip_target(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Install requirements into a fresh folder, once per distinct set in the session."""
    built: dict[tuple[str, ...], Path] = {}

    def build(*requirements: str, extra: tuple[str, ...] = ()) -> Path:
        key = (*requirements, "|", *extra)
        if key not in built:
            folder = tmp_path_factory.mktemp("target")
            built[key] = pip_install(folder, *requirements, extra=extra)
        return built[key]

    return build


@pytest.fixture(scope="session")
def sdk_target(pip_target: Callable[..., Path]) -> Path:
    """A real Lambda-style package: requests and boto3 (with their dependencies) and six."""
    return pip_target("requests", "boto3", "six")


@pytest.fixture(scope="session")
def real_documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The JSON document of every kind of result, from the real commands on the fixtures."""
    from real_results import documents

    return documents(tmp_path_factory.mktemp("real"))


@pytest.fixture(scope="session")
def real_results(real_documents: dict[str, str], tmp_path_factory) -> dict[str, object]:
    """Every real result read back into its record, and an empty result of each kind."""
    from real_results import empty_results

    from coldprof.results import loads

    loaded = {name: loads(text, name) for name, text in real_documents.items()}
    return {**loaded, **empty_results(tmp_path_factory.mktemp("empty"), real_documents)}


@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """A folder a handler may write to and the test read back: not under /tmp, which is the
    environment's own folder inside its read-only mount namespace."""
    folder = Path(tempfile.mkdtemp(prefix="coldprof-test-", dir="/var/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
