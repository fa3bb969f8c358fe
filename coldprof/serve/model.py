"""Lambda's API as botocore models it: each operation's route, members, constraints and errors.

botocore's service model is what boto3 and the AWS CLI build every request from, so the server
reads its routes and validation rules from the same place rather than from a copy.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import botocore.session
from botocore.model import NoShapeFoundError, OperationModel, ServiceModel, Shape

NUMBERS = ("integer", "long", "double", "float")
JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "boolean": bool,
    "structure": dict,
    "map": dict,
    "list": list,
    "timestamp": (str, int, float),
}


@functools.cache
def service_model() -> ServiceModel:
    """botocore's model of the Lambda API (2015-03-31)."""
    return botocore.session.get_session().get_service_model("lambda")


def operation_model(name: str) -> OperationModel:
    """The model of one operation, by its API name (Invoke, GetFunction, ...)."""
    return service_model().operation_model(name)


def error_shape(error_type: str) -> Shape | None:
    """The modelled shape of an error code; None for AWS's common errors the model leaves out."""
    try:
        shape = service_model().shape_for(error_type)
    except NoShapeFoundError:
        return None
    return shape if shape.metadata.get("exception") else None


def camel(name: str) -> str:
    """A member name as AWS writes it in a validation message: FunctionName -> functionName."""
    return name[:1].lower() + name[1:]


def type_problem(shape: Shape, value: Any, where: str) -> str | None:
    """Where a JSON value (or one nested in it) is not of its shape's type, and the type."""
    kind = shape.type_name
    wrong_bool = isinstance(value, bool) and kind in NUMBERS
    fraction = kind in ("integer", "long") and isinstance(value, float) and not value.is_integer()
    if wrong_bool or fraction or not isinstance(value, JSON_TYPES.get(kind, (int, float))):
        return f"{where}: expected {'a number' if kind in NUMBERS else 'a ' + kind}"
    if kind == "structure":
        members = shape.members.items()
        nested = [(member, value.get(name), f"{where}.{name}") for name, member in members]
    elif kind == "map":
        nested = [(shape.value, item, f"{where}.{key}") for key, item in value.items()]
    elif kind == "list":
        nested = [(shape.member, item, f"{where}[{i}]") for i, item in enumerate(value)]
    else:
        nested = []
    problems = (type_problem(s, v, w) for s, v, w in nested if v is not None)
    return next((problem for problem in problems if problem is not None), None)


def constraint_problems(shape: Shape, value: Any, where: str) -> list[str]:
    """Each way `value` breaks its shape's constraints, worded as AWS words a validation error."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        return [
            problem
            for name, member in shape.members.items()
            if value.get(name) is not None
            for problem in constraint_problems(member, value[name], f"{where}.{camel(name)}")
        ]
    if kind == "map" and isinstance(value, Mapping):
        return _map_problems(shape, value, where)
    if kind == "list" and isinstance(value, list):
        return [p for item in value for p in constraint_problems(shape.member, item, where)]
    shown = "" if shape.metadata.get("sensitive") else f" '{value}'"
    return [
        f"Value{shown} at '{where}' failed to satisfy constraint: {rule}"
        for rule in _rules(shape, value)
    ]


def _map_problems(shape: Shape, value: Mapping, where: str) -> list[str]:
    """A map's broken key and value constraints (values are not shown: maps hold variables)."""
    parts = (
        ("Map keys", [rule for key in value for rule in _rules(shape.key, key)]),
        ("Map value", [rule for item in value.values() for rule in _rules(shape.value, item)]),
    )
    return [
        f"Value at '{where}' failed to satisfy constraint: {part} must satisfy constraint: "
        f"[{rules[0]}]"
        for part, rules in parts
        if rules
    ]


def _rules(shape: Shape, value: Any) -> list[str]:
    """The length, enum, pattern or range rules of a scalar shape that `value` breaks."""
    if isinstance(value, str) and shape.type_name == "string":
        return _string_rules(shape.metadata, value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_rules(shape.metadata, value)
    return []


def _string_rules(meta: Mapping[str, Any], value: str) -> list[str]:
    rules = []
    if "min" in meta and len(value) < meta["min"]:
        rules.append(f"Member must have length greater than or equal to {meta['min']}")
    if "max" in meta and len(value) > meta["max"]:
        rules.append(f"Member must have length less than or equal to {meta['max']}")
    if "enum" in meta and value not in meta["enum"]:
        rules.append(f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]")
    pattern = _pattern(meta.get("pattern"))
    if pattern is not None and not pattern.fullmatch(value):
        rules.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    return rules


def _number_rules(meta: Mapping[str, Any], value: float) -> list[str]:
    rules = []
    if "min" in meta and value < meta["min"]:
        rules.append(f"Member must have value greater than or equal to {meta['min']}")
    if "max" in meta and value > meta["max"]:
        rules.append(f"Member must have value less than or equal to {meta['max']}")
    return rules


@functools.cache
def _pattern(text: str | None) -> re.Pattern | None:
    """A model pattern compiled; None for none, or for Java-only syntax (\\p{L}) Python lacks."""
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error:
        return None
