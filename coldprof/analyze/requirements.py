"""What each distribution requires on the target runtime, extras included where requested.

A Requires-Dist line applies when its marker holds for the target (python_version,
sys_platform linux, platform_machine from --arch, CPython: owners.marker_environment) with
`extra` set to nothing, or to an extra that some distribution in the packages requests
(`requests[socks]` requests requests' "socks" extra). Requested extras are followed to a
fixed point: an extra's own requirements may request more extras.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from coldprof.analyze.model import Distribution

MARKER_ERRORS = (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName)


def parsed(lines: Iterable[str]) -> list[Requirement]:
    """The requirement lines that parse (a malformed one is left out, as pip would refuse it)."""
    found = []
    for line in lines:
        try:
            found.append(Requirement(line))
        except InvalidRequirement:
            continue
    return found


def applies(requirement: Requirement, environment: dict[str, str], extras: Iterable[str]) -> bool:
    """Whether a requirement holds on the target, with no extra or one of `extras` requested."""
    if requirement.marker is None:
        return True
    for extra in ("", *extras):
        try:
            if requirement.marker.evaluate({**environment, "extra": extra}):
                return True
        except MARKER_ERRORS:
            return False
    return False


def requested_extras(
    distributions: Sequence[Distribution], environment: dict[str, str]
) -> dict[str, frozenset[str]]:
    """Each distribution key -> the extras of it that applicable requirements request."""
    requirements = {d.key: parsed(d.requirements) for d in distributions}
    extras: dict[str, set[str]] = defaultdict(set)
    changed = True
    while changed:
        changed = False
        for key, wanted in requirements.items():
            for requirement in wanted:
                if not requirement.extras or not applies(requirement, environment, extras[key]):
                    continue
                target = extras[canonicalize_name(requirement.name)]
                new = {canonicalize_name(e) for e in requirement.extras} - target
                if new:
                    target.update(new)
                    changed = True
    return {key: frozenset(found) for key, found in extras.items() if found}


def applicable(
    distribution: Distribution, environment: dict[str, str], extras: Iterable[str] = ()
) -> list[Requirement]:
    """A distribution's requirements that hold on the target with the extras requested of it."""
    wanted = tuple(extras)
    return [r for r in parsed(distribution.requirements) if applies(r, environment, wanted)]


def with_requested_extras(
    distributions: Sequence[Distribution], environment: dict[str, str]
) -> list[Distribution]:
    """The distributions with `requires` widened by the requirements of requested extras."""
    extras = requested_extras(distributions, environment)
    widened = []
    for d in distributions:
        if d.key not in extras:
            widened.append(d)
            continue
        keys = {canonicalize_name(r.name) for r in applicable(d, environment, extras[d.key])}
        requires = tuple(sorted((keys | set(d.requires)) - {d.key}))
        widened.append(dataclasses.replace(d, requires=requires))
    return widened
