"""Issue 11: records with many fields are built with keywords (kw_only), not positionally."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import coldprof

MAX_POSITIONAL_FIELDS = 7  # the issue: "not eight positional arguments"


def dataclasses_of_coldprof() -> dict[str, type]:
    found = {}
    for module_info in pkgutil.walk_packages(coldprof.__path__, "coldprof."):
        if module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if inspect.isclass(value) and dataclasses.is_dataclass(value):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def test_records_with_many_fields_take_keywords_only():
    positional = {
        name: sum(1 for field in dataclasses.fields(record) if field.init and not field.kw_only)
        for name, record in dataclasses_of_coldprof().items()
    }
    too_many = {n for n, count in positional.items() if count > MAX_POSITIONAL_FIELDS}
    assert too_many == set()
