"""Published versions: PublishVersion and ListVersionsByFunction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coldprof.serve import configuration
from coldprof.serve.errors import bad_parameter, precondition_failed
from coldprof.serve.functions import LATEST
from coldprof.serve.operations.common import Reply, json_reply, listing
from coldprof.serve.request import Request

if TYPE_CHECKING:
    from coldprof.serve.api import Functions


def publish_version(functions: Functions, request: Request) -> Reply:
    """POST .../versions: freeze $LATEST's configuration as a new version with its own
    environments; the last version again when nothing changed since it (as Lambda does)."""
    function, qualifier = functions.function(request.params)
    if qualifier not in (None, LATEST):
        raise bad_parameter("Versions are published from $LATEST: give the unqualified name.")
    latest = function.latest.configuration
    revision_id = request.params.get("RevisionId")
    if revision_id is not None and revision_id != latest.revision_id:
        raise precondition_failed(latest.revision_id)
    code_sha256 = request.params.get("CodeSha256")
    if code_sha256 is not None and code_sha256 != latest.code.sha256:
        raise bad_parameter(
            f"CodeSha256 ({code_sha256}) is different from the current code's "
            f"({latest.code.sha256 or 'unknown: the code is a folder'})."
        )
    pool, published = function.publish(request.params.get("Description"))
    if published:
        functions.tell(f"{function.name}: version {pool.version} published")
    return json_reply(configuration.document(pool.configuration), 201)


def list_versions(functions: Functions, request: Request) -> Reply:
    """GET .../versions: $LATEST, then every published version."""
    function, _ = functions.function(request.params)
    documents = [configuration.document(pool.configuration) for pool in function.versions()]
    return listing("Versions", documents, request.params)


OPERATIONS = {"PublishVersion": publish_version, "ListVersionsByFunction": list_versions}
