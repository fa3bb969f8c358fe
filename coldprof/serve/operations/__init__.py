"""The operations coldprof serve answers, by their names in the Lambda API (botocore's model)."""

from coldprof.serve.operations import (
    aliases,
    concurrency,
    event_config,
    functions,
    invocation,
    versions,
)
from coldprof.serve.operations.common import Operation

OPERATIONS: dict[str, Operation] = {
    **invocation.OPERATIONS,
    **functions.OPERATIONS,
    **versions.OPERATIONS,
    **aliases.OPERATIONS,
    **concurrency.OPERATIONS,
    **event_config.OPERATIONS,
}

__all__ = ["OPERATIONS"]
