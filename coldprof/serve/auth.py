"""Who may call the server: AWS Signature Version 4, checked as Lambda checks it.

The expected signature of each request is computed with botocore's own SigV4 signer
(botocore.auth.SigV4Auth, what boto3 and the AWS CLI sign with) from the request as received,
and compared in constant time. The payload hash is always computed from the body received.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import string
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import botocore.session
from botocore.auth import SIGV4_TIMESTAMP, UNSIGNED_PAYLOAD, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError

from coldprof.data import lambda_facts
from coldprof.serve.errors import (
    incomplete_signature,
    invalid_signature,
    missing_token,
    unrecognized_client,
)
from coldprof.serve.request import query_pairs

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "lambda"
TERMINATOR = "aws4_request"
GENERATED_PREFIX = "CPLOCAL"  # generated key ids: 20 characters, as AWS's are
KEY_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class AccessKey:
    """An access key the server accepts: its id, its secret, and a session token if it has one."""

    key_id: str
    secret: str
    token: str | None = None

    def __repr__(self) -> str:
        return f"AccessKey({self.key_id!r}, <secret>)"


@dataclass(frozen=True)
class Authorization:
    """The parts of a SigV4 Authorization header, with the key they name."""

    key: AccessKey
    region: str
    signed_headers: str
    signature: str
    amz_date: str


class Keys:
    """The keys accepted: those given (--accept-key, a generated one) and the credential chain's."""

    def __init__(self, given: Sequence[AccessKey] = (), chain: Credentials | None = None):
        self.given = tuple(given)
        self.chain = chain

    def __bool__(self) -> bool:
        return bool(self.given) or self.chain is not None

    def find(self, key_id: str) -> AccessKey | None:
        """The accepted key with this id (the chain's is read afresh: it may be refreshed)."""
        for key in self.given:
            if key.key_id == key_id:
                return key
        if self.chain is None:
            return None
        frozen = self.chain.get_frozen_credentials()
        if frozen.access_key != key_id:
            return None
        return AccessKey(frozen.access_key, frozen.secret_key, frozen.token)

    def key_ids(self) -> list[str]:
        """The ids of the keys accepted (never their secrets)."""
        ids = [key.key_id for key in self.given]
        if self.chain is not None:
            ids.append(self.chain.get_frozen_credentials().access_key)
        return ids


def chain_credentials() -> tuple[Credentials | None, str | None]:
    """The credentials of this process's environment, as boto3 finds them (AWS_ACCESS_KEY_ID,
    AWS_PROFILE, the shared files, SSO, ...); with why they could not be read, if so."""
    try:
        return botocore.session.Session().get_credentials(), None
    except (BotoCoreError, ValueError) as error:
        return None, str(error)


def parse_key(text: str) -> AccessKey:
    """KEY_ID:SECRET as given to --accept-key."""
    key_id, colon, secret = text.partition(":")
    if not colon or not key_id or not secret:
        raise ValueError("expected KEY_ID:SECRET")
    return AccessKey(key_id, secret)


def generate_key(stack: ExitStack) -> tuple[AccessKey, Path]:
    """A new key pair, written to a file only this user can read (removed when `stack` closes),
    in the shared-credentials format boto3 and the AWS CLI read (AWS_SHARED_CREDENTIALS_FILE)."""
    key_id = GENERATED_PREFIX + "".join(secrets.choice(KEY_ALPHABET) for _ in range(13))
    key = AccessKey(key_id, secrets.token_urlsafe(30))
    fd, name = tempfile.mkstemp(prefix="coldprof-serve-key-", suffix=".ini")
    path = Path(name)
    stack.callback(_remove, path)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(
            "# coldprof serve's generated key, accepted while that server runs\n"
            f"[default]\naws_access_key_id = {key.key_id}\naws_secret_access_key = {key.secret}\n"
        )
    return key, path


def _remove(path: Path) -> None:
    with suppress(OSError):
        path.unlink()


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as the server read it: the raw path and query, the headers, the body."""

    method: str
    path: str  # percent-encoded, as sent
    query: str
    headers: Message
    body: bytes


class Verifier:
    """Checks that each request is signed with SigV4 by an accepted key."""

    def __init__(self, keys: Keys, clock: Callable[[], float] = time.time):
        self.keys = keys
        self.clock = clock
        self.skew = timedelta(seconds=lambda_facts()["limits"]["signature_clock_skew_s"])

    def authorization(self, headers: Message) -> Authorization:
        """The request's Authorization, checked as far as it can be without the body: its form,
        its date (within the clock-skew window), its scope and its key."""
        values = headers.get_all("Authorization") or []
        if not values:
            raise missing_token()
        if len(values) > 1:
            raise incomplete_signature("Only one Authorization header is allowed.")
        fields = _fields(values[0])
        amz_date = self._date(headers)
        key_id, region = _scope(fields["Credential"], amz_date)
        key = self.keys.find(key_id)
        if key is None or not _same_token(key.token, headers.get("X-Amz-Security-Token")):
            raise unrecognized_client()
        return Authorization(key, region, fields["SignedHeaders"], fields["Signature"], amz_date)

    def verify(self, authorization: Authorization, request: ReceivedRequest) -> None:
        """InvalidSignatureException unless botocore's signer gives the same signature."""
        signed = authorization.signed_headers.split(";")
        if "host" not in signed or "x-amz-date" not in signed:
            raise invalid_signature("'Host' and 'X-Amz-Date' must be SignedHeaders.")
        aws_request = _aws_request(request, signed)
        aws_request.context["timestamp"] = authorization.amz_date
        key = authorization.key
        credentials = Credentials(key.key_id, key.secret, key.token)
        signer = SigV4Auth(credentials, SERVICE, authorization.region)
        _check_payload_hash(aws_request, request.body)
        signed_headers = signer.signed_headers(signer.headers_to_sign(aws_request))
        if signed_headers != authorization.signed_headers:
            raise invalid_signature()
        canonical = signer.canonical_request(aws_request)
        expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
        if not hmac.compare_digest(expected, authorization.signature):
            raise invalid_signature()

    def _date(self, headers: Message) -> str:
        """X-Amz-Date, within the clock-skew window of this machine's clock."""
        amz_date = headers.get("X-Amz-Date")
        if amz_date is None:
            raise incomplete_signature(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header."
            )
        try:
            signed_at = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            raise incomplete_signature(
                f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'."
            ) from None
        now = datetime.fromtimestamp(self.clock(), UTC)
        minutes = int(self.skew.total_seconds() // 60)
        if signed_at < now - self.skew:
            raise invalid_signature(
                f"Signature expired: {amz_date} is now earlier than {_stamp(now - self.skew)} "
                f"({_stamp(now)} - {minutes} min.)"
            )
        if signed_at > now + self.skew:
            raise invalid_signature(
                f"Signature not yet current: {amz_date} is still later than "
                f"{_stamp(now + self.skew)} ({_stamp(now)} + {minutes} min.)"
            )
        return amz_date


def _stamp(moment: datetime) -> str:
    return moment.strftime(SIGV4_TIMESTAMP)


def _fields(header: str) -> dict[str, str]:
    """Credential, SignedHeaders and Signature from `AWS4-HMAC-SHA256 Credential=..., ...`."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise incomplete_signature(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    fields = {}
    for part in rest.split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    missing = [
        name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)
    ]
    if missing:
        raise incomplete_signature(
            " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
        )
    return fields


def _scope(credential: str, amz_date: str) -> tuple[str, str]:
    """The key id and region of `KEY/DATE/REGION/lambda/aws4_request`, the rest checked."""
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise incomplete_signature(
            f"Credential should be scoped to a valid region, not '{credential}'."
        )
    key_id, date, region, service, terminator = parts
    if date != amz_date[:8]:
        raise invalid_signature(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
            f"HTTP: '{date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    if service != SERVICE:
        raise invalid_signature(f"Credential should be scoped to correct service: '{SERVICE}'.")
    if terminator != TERMINATOR:
        raise invalid_signature(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not "
            f"'{terminator}'."
        )
    return key_id, region


def _same_token(expected: str | None, given: str | None) -> bool:
    """The session token sent is the key's (or neither has one)."""
    if expected is None or given is None:
        return expected is None and given is None
    return hmac.compare_digest(expected.encode(), given.encode())


def _aws_request(request: ReceivedRequest, signed: list[str]) -> AWSRequest:
    """The request as botocore's signer sees one: only the signed headers, the body received."""
    host = request.headers.get("Host", "")
    aws_request = AWSRequest(
        method=request.method,
        url=f"http://{host}{request.path}",
        data=request.body,
        params=query_pairs(request.query),
    )
    for name in signed:
        for value in request.headers.get_all(name) or []:
            aws_request.headers[name] = value
        if name not in aws_request.headers:
            raise invalid_signature(f"The signed header '{name}' is not in the request.")
    return aws_request


def _check_payload_hash(aws_request: AWSRequest, body: bytes) -> None:
    """A signed X-Amz-Content-SHA256 must be the hash of the body received (never UNSIGNED)."""
    claimed = aws_request.headers.get("X-Amz-Content-SHA256")
    if claimed is None:
        return
    if claimed == UNSIGNED_PAYLOAD or claimed != hashlib.sha256(body).hexdigest():
        raise invalid_signature(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
