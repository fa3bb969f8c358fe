"""The AWS credentials a function gets: only those asked for with `--credentials`, never the
user's by default. Lambda gives a function its role's credentials in AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; so does coldprof, from the source asked for.
The values go to the child's environment only: never into a result, a report or a log, and no
error message here quotes one."""

from __future__ import annotations

import functools
import os
from typing import Any

from coldprof.errors import UsageError

KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def function_credentials(source: str) -> dict[str, str]:
    """The credential variables for the function from `source` (none, from-environment,
    profile:NAME); UsageError, without any secret in it, when they cannot be found."""
    if source == "none":
        return {}
    if source == "from-environment":
        return _from_environment()
    return _from_profile(source.removeprefix("profile:"))


def _from_environment() -> dict[str, str]:
    found = {key: os.environ[key] for key in KEYS if os.environ.get(key)}
    if "AWS_ACCESS_KEY_ID" not in found or "AWS_SECRET_ACCESS_KEY" not in found:
        raise UsageError(
            "--credentials from-environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are "
            "not both set in coldprof's environment"
        )
    return found


def _from_profile(profile: str) -> dict[str, str]:
    frozen = _profile_credentials(profile).get_frozen_credentials()
    found = {"AWS_ACCESS_KEY_ID": frozen.access_key, "AWS_SECRET_ACCESS_KEY": frozen.secret_key}
    if frozen.token:
        found["AWS_SESSION_TOKEN"] = frozen.token
    return found


@functools.cache
def _profile_credentials(profile: str) -> Any:
    """The profile's (refreshable) credentials, looked up once per coldprof process."""
    import botocore.exceptions
    import botocore.session

    try:
        credentials = botocore.session.Session(profile=profile).get_credentials()
    except botocore.exceptions.ProfileNotFound:
        raise UsageError(f"--credentials profile:{profile}: no such AWS profile") from None
    except botocore.exceptions.BotoCoreError as error:
        kind = type(error).__name__
        raise UsageError(
            f"--credentials profile:{profile}: cannot get credentials ({kind})"
        ) from None
    if credentials is None:
        raise UsageError(f"--credentials profile:{profile}: the profile has no credentials")
    return credentials
