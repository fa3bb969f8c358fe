"""coldprof's light runtime against AWS's own runtime interface client (awslambdaric), the oracle.

The same fixtures run in both modes (`--runtime-client coldprof` and `awslambdaric`, the real
client talking to coldprof's Runtime API) and must give the same payload bytes, error types,
messages and stack traces, the same `[ERROR]` log lines and the same REPORT/INIT_REPORT lines,
through `coldprof invoke` and through `coldprof serve` with boto3. Times, request ids and
memory figures differ from run to run and are masked before comparing.
"""

from __future__ import annotations

import base64
import collections
import decimal
import enum
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_serve import lambda_client, running_server, served

from coldprof.bench.invocation import TAIL_BYTES
from coldprof.bench.report_line import parse_reports
from coldprof.cli.invoke import invoke
from coldprof.errors import UsageError
from coldprof.function import FunctionConfig, environment_spec
from coldprof.imports.profile import profile_imports
from coldprof.sandbox import awslambdaric
from coldprof.sandbox.interpreter import find_interpreter

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "fixtures" / "runtime"
HANDLERS = ROOT / "fixtures" / "handlers"
MODES = ("coldprof", "awslambdaric")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
FIGURE = re.compile(r"(Duration|Used): [\d.]+ (ms|MB)")
PID = re.compile(r"pid \d+")
COLDPROF_LINE = re.compile(r"^coldprof: .*\n", re.MULTILINE)  # how coldprof emulated, not Lambda's

pytestmark = pytest.mark.skipif(
    not awslambdaric.available(),
    reason=f"awslambdaric is not installed: {awslambdaric.INSTALL_HINT}",
)

# (fixture folder, handler, event, extra options): every case runs in both modes
CASES = {
    "pth namespace package": (RUNTIME / "pth_namespace", "app.handler", {}, ()),
    "Decimal digits": (RUNTIME / "marshal", "app.handler", {"kind": "decimal"}, ()),
    "bytes returned raw": (RUNTIME / "marshal", "app.handler", {"kind": "bytes"}, ()),
    "non-ASCII text and NaN": (RUNTIME / "marshal", "app.handler", {"kind": "text"}, ()),
    "namedtuple, bytes inside": (RUNTIME / "marshal", "app.handler", {"kind": "simplejson"}, ()),
    "not JSON": (RUNTIME / "marshal", "app.handler", {"kind": "not_json"}, ()),
    "exception in handler": (RUNTIME / "marshal", "app.handler", {"kind": "error"}, ()),
    "response over 6 MB": (RUNTIME / "marshal", "app.handler", {"kind": "too_large"}, ()),
    "crash in handler": (RUNTIME / "crash_in_handler", "app.handler", {}, ()),
    "crash at init": (HANDLERS / "segfault", "app.handler", {}, ()),
    "timeout": (HANDLERS / "hangs_in_handler", "app.handler", {}, ("--timeout", "0.5")),
    "exception at import": (HANDLERS / "raises_at_import", "app.handler", {}, ()),
    "missing module": (HANDLERS / "imports_missing_module", "app.handler", {}, ()),
    "syntax error": (HANDLERS / "syntax_error", "app.handler", {}, ()),
    "missing function": (HANDLERS / "missing_function", "app.handler", {}, ()),
    "built-in module": (HANDLERS / "trivial", "sys.handler", {}, ()),
}


def masked(text: str) -> str:
    """A log or payload with what changes between runs (ids, clocks, figures) masked, and
    coldprof's own lines after the log (how it emulated the environment) left out."""
    text = COLDPROF_LINE.sub("", text)
    text = UUID.sub("<id>", text)
    text = STAMP.sub("<time>", text)
    text = PID.sub("pid <n>", text)
    return FIGURE.sub(r"\1: <n> \2", text)


def invoke_in(mode: str, target: Path, handler: str, event: dict, extra: tuple) -> tuple:
    """`coldprof invoke` in one mode: (exit code, stdout bytes, stderr)."""
    args = [str(target), "--handler", handler, "--runtime-client", mode, "--event"]
    result = CliRunner().invoke(invoke, [*args, json.dumps(event), *extra])
    return result.exit_code, result.stdout_bytes, result.stderr


# The real client crashes with its own traceback (through coldprof's stand-in for Lambda's
# /var/runtime/bootstrap.py) when a response is refused: its log is not compared line by line.
OWN_CRASH_LOG = ("response over 6 MB",)


@pytest.mark.parametrize("case", list(CASES))
def test_invoke_gives_what_awslambdaric_gives(case):
    light, real = (invoke_in(mode, *CASES[case]) for mode in MODES)
    assert light[0] == real[0]
    assert masked(light[1].decode("latin-1")) == masked(real[1].decode("latin-1"))
    if case in OWN_CRASH_LOG:
        assert "LAMBDA_RUNTIME Failed to post handler success response" in real[2]
        assert (
            "Function.ResponseSizeTooLarge\n" in light[2]
            and "Function.ResponseSizeTooLarge\n" in real[2]
        )
    else:
        assert masked(light[2]) == masked(real[2])
    (light_report,), (real_report,) = parse_reports(light[2]), parse_reports(real[2])
    assert (light_report.status, light_report.error_type) == (
        real_report.status,
        real_report.error_type,
    )


def test_the_fixtures_show_what_lambda_does():
    """What the comparison above compares is Lambda's behaviour, not a shared mistake."""
    _, pth, _ = invoke_in("coldprof", *CASES["pth namespace package"])
    assert json.loads(pth) == {
        "extramod": "extramod from vendor/",
        "namespace": ["nspkg.one from vendor/", "nspkg.two from more/"],
        "hook_ran": "1",
        "path_tail": ["vendor", "more"],
    }
    _, digits, _ = invoke_in("coldprof", *CASES["Decimal digits"])
    assert digits == b'{"price": 1.10, "big": 12345678901234567890.50}\n'
    _, raw, _ = invoke_in("coldprof", *CASES["bytes returned raw"])
    assert raw == b"\x00raw\xff bytes\n"
    _, inside, _ = invoke_in("coldprof", *CASES["namedtuple, bytes inside"])
    assert inside == b'{"point": {"x": 1, "y": "caf\\u00e9"}, "raw": ["bytes"]}\n'
    _, text, _ = invoke_in("coldprof", *CASES["non-ASCII text and NaN"])
    assert text == b'{"greeting": "h\\u00e9llo w\\u00f6rld \\u2603 \\u65e5\\u672c", "nan": NaN}\n'
    code, error, log = invoke_in("coldprof", *CASES["exception at import"])
    payload = json.loads(error)
    assert (code, payload["requestId"], payload["errorType"]) == (1, "", "ValueError")
    assert "[WARNING]\t" in log and "LAMBDA_WARNING: Unhandled exception." in log
    assert "\tPhase: init\tStatus: error\tError Type: ValueError\n" in log
    _, crash, log = invoke_in("coldprof", *CASES["crash in handler"])
    assert json.loads(crash)["errorMessage"].endswith(
        "Error: Runtime exited with error: signal: segmentation fault"
    )


@pytest.mark.parametrize(
    ("value", "runtime"),
    [
        (
            {
                "a": decimal.Decimal("1.10"),
                "b": [decimal.Decimal("-0.000"), decimal.Decimal("1E+3")],
            },
            "python3.11",
        ),
        ({"nan": decimal.Decimal("NaN"), "inf": float("inf"), "text": "Zoë ☃"}, "python3.11"),
        ({"text": "Zoë ☃ \u2028", "n": [1, 2.5, None, True]}, "python3.12"),
        ([decimal.Decimal("3.14159265358979323846264338327950288")], "python3.13"),
        ("plain \x00 string", "python3.9"),
    ],
)
def test_marshalling_is_byte_for_byte_the_runtimes(monkeypatch, value, runtime):
    from awslambdaric.lambda_runtime_marshaller import LambdaMarshaller

    from coldprof.sandbox.bootstrap import Marshaller

    monkeypatch.setenv("AWS_EXECUTION_ENV", f"AWS_Lambda_{runtime}")
    expected, _ = LambdaMarshaller().marshal_response(value)
    ours = Marshaller(runtime in ("python3.12", "python3.13")).to_json(value)
    assert ours == expected


Point = collections.namedtuple("Point", "x y")


class Record:
    """Not a tuple, but with _asdict(): simplejson's namedtuple_as_object writes it as an object."""

    def __init__(self, returned):
        self.returned = returned

    def _asdict(self):
        return self.returned


class Mapping(dict):
    def _asdict(self):
        return {"from": "_asdict"}


def _circular() -> list:
    loop: list = [1]
    loop.append({"again": loop})
    return loop


SIMPLEJSON_WAYS = {
    "namedtuple": Point(1, [Point(2, 3)]),
    "namedtuple at the top": Point("a", None),
    "object with _asdict": [Record({"a": 1})],
    "_asdict not a dict": [Record([1])],
    "dict subclass with _asdict": Mapping(a=1),
    "bytes in a list": [b"abc", "d"],
    "bytes deep in a dict": {"k": {"b": "é".encode()}},
    "bytes not UTF-8": [b"\xff"],
    "bytes key": {b"k": 1},
    "number keys": {1: 1, 2.5: 2, False: 3, None: 4, float("inf"): 5},
    "Decimal key": {decimal.Decimal("1.5"): 1},
    "tuple key": {(1, 2): 1},
    "set": [{1}],
    "circular": _circular(),
    "IntEnum": [enum.IntEnum("Size", "ONE").ONE],
}


@pytest.mark.parametrize("case", list(SIMPLEJSON_WAYS))
def test_marshalling_writes_what_simplejson_writes(case):
    """awslambdaric marshals with simplejson's defaults, not the json module's: the same value
    through both marshallers gives the same bytes, or the same MarshalError message."""
    from awslambdaric.lambda_runtime_exception import FaultException
    from awslambdaric.lambda_runtime_marshaller import LambdaMarshaller

    from coldprof.sandbox.bootstrap import Fault, Marshaller

    value = SIMPLEJSON_WAYS[case]
    try:
        expected = LambdaMarshaller().marshal_response(value)
    except FaultException as error:
        expected = (error.exception_type, error.msg)
    try:
        ours = Marshaller(False).response(value)
    except Fault as error:
        ours = (error.error_type, error.message)
    assert ours == expected


def test_utf8_text_from_python312_on_a_312_interpreter():
    try:
        find_interpreter(None, "python3.12")
    except UsageError:
        pytest.skip("no Python 3.12 here")
    code, text, _ = invoke_in(
        "coldprof", *CASES["non-ASCII text and NaN"][:3], ("--runtime", "python3.12")
    )
    assert code == 0
    assert text == '{"greeting": "héllo wörld ☃ 日本", "nan": NaN}\n'.encode()


def test_awslambdaric_for_another_python_is_one_clear_line():
    own = f"{sys.version_info[0]}.{sys.version_info[1]}"
    other = next(
        (v for v in ("3.12", "3.10", "3.13", "3.9") if v != own and _has_python(f"python{v}")), None
    )
    if other is None or "path" in awslambdaric.installed_modules(
        find_interpreter(None, f"python{other}").executable
    ).get("awslambdaric", {}):
        pytest.skip("no other Python without awslambdaric here")
    function = FunctionConfig(
        target=HANDLERS / "trivial",
        handler="app.handler",
        runtime=f"python{other}",
        runtime_client="awslambdaric",
    )
    with pytest.raises(UsageError) as raised:
        environment_spec(function.resolved())
    message = str(raised.value)
    assert "\n" not in message
    assert f"installed for Python {own} (coldprof's own)" in message
    assert f"the function runs on Python {other}" in message
    assert "-m pip install awslambdaric" in message


def test_no_awslambdaric_for_the_functions_python_says_how_to_get_it():
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    if not base.exists() or "path" in awslambdaric.installed_modules(str(base)).get(
        "awslambdaric", {}
    ):
        pytest.skip("no interpreter without awslambdaric here")
    function = FunctionConfig(
        target=HANDLERS / "trivial",
        handler="app.handler",
        python=str(base),
        runtime_client="awslambdaric",
    )
    with pytest.raises(UsageError) as raised:
        environment_spec(function.resolved())
    message = str(raised.value)
    assert "\n" not in message
    assert "awslambdaric does not load on Python" in message
    assert 'pip install "coldprof[awslambdaric]"' in message


def test_the_import_tree_is_profiled_in_the_awslambdaric_mode_too():
    result = profile_imports(
        FunctionConfig(
            target=ROOT / "fixtures" / "imports" / "known_tree",
            handler="app.handler",
            runtime_client="awslambdaric",
        ),
        repeat=1,
    )
    assert result.error is None and result.runtime_client == "awslambdaric"
    assert [m.name for m in result.modules][:2] == ["app", "settings"]
    assert result.runtime_init_ms.median > 0 and result.init_ms.median >= 100


def _has_python(runtime: str) -> bool:
    try:
        find_interpreter(None, runtime)
    except UsageError:
        return False
    return True


def test_serve_through_boto3_gives_what_awslambdaric_gives():
    functions = [
        served(f"{name}-{mode}", target, runtime_client=mode)
        for mode in MODES
        for name, target in {
            "pth": RUNTIME / "pth_namespace",
            "marshal": RUNTIME / "marshal",
            "crash": RUNTIME / "crash_in_handler",
            "import": HANDLERS / "raises_at_import",
            "hang": HANDLERS / "hangs_in_handler",
        }.items()
    ]
    calls = [
        ("pth", {}),
        ("marshal", {"kind": "decimal"}),
        ("marshal", {"kind": "bytes"}),
        ("marshal", {"kind": "text"}),
        ("marshal", {"kind": "error"}),
        ("crash", {}),
        ("import", {}),
    ]
    with running_server(functions) as (server, _):
        client = lambda_client(server.url)
        for mode in MODES:
            client.update_function_configuration(FunctionName=f"hang-{mode}", Timeout=1)
        for name, event in [*calls, ("hang", {})]:
            light, real = (_boto3_invoke(client, f"{name}-{mode}", event) for mode in MODES)
            assert light[:2] == real[:2], name
            assert same_tail(light[2], real[2]), name


def _boto3_invoke(client, name: str, event: dict) -> tuple:
    """The payload, function error and log (as sent: masked only when comparing) of one boto3
    invocation."""
    response = client.invoke(FunctionName=name, Payload=json.dumps(event), LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode(errors="replace")
    payload = masked(response["Payload"].read().decode("latin-1"))
    return payload, response.get("FunctionError"), log


def same_tail(light: str, real: str) -> bool:
    """Two log tails alike once masked. A log longer than 4 KB is cut at its 4,096th byte from
    the end, which moves with the digits of its durations: the cut first line is left out and
    the lines both tails hold in full are compared."""
    cut = TAIL_BYTES in (len(light.encode()), len(real.encode()))
    lines = [masked(log).split("\n")[1 if cut else 0 :] for log in (light, real)]
    kept = min(map(len, lines))
    return kept > 1 and lines[0][-kept:] == lines[1][-kept:]


@pytest.fixture(scope="module")
def slow_init_runs() -> dict:
    """The 10.5 s init through invoke and serve, in both modes, all four at once (slow)."""
    found: dict = {}
    extra = ("--timeout", "15")

    def by_invoke(mode: str) -> None:  # a real process: CliRunner swaps sys.stdout, one at a time
        command = [sys.executable, "-m", "coldprof", "invoke", str(RUNTIME / "slow_init")]
        command += ["--handler", "app.handler", "--runtime-client", mode, *extra]
        done = subprocess.run(command, capture_output=True, timeout=120, check=False)
        found[("invoke", mode)] = (done.returncode, done.stdout, done.stderr.decode())

    functions = [
        served(f"slow-{mode}", RUNTIME / "slow_init", runtime_client=mode, timeout_s=15)
        for mode in MODES
    ]
    with running_server(functions) as (server, _):
        client = lambda_client(server.url)

        def by_serve(mode: str) -> None:
            found[("serve", mode)] = _boto3_invoke(client, f"slow-{mode}", {})

        threads = [
            threading.Thread(target=f, args=(m,)) for f in (by_invoke, by_serve) for m in MODES
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    return found


def test_an_init_past_10_s_is_stopped_and_run_again_inside_the_invocation(slow_init_runs):
    light, real = slow_init_runs[("invoke", "coldprof")], slow_init_runs[("invoke", "awslambdaric")]
    assert light[0] == real[0] == 0
    assert light[1] == real[1] == b'{"ok": true}\n'
    log = light[2]
    first, second = re.findall(
        r"INIT_REPORT Init Duration: ([\d.]+) ms\tPhase: (\w+)\tStatus: (\w+)", log
    )
    assert (first[1:], second[1:]) == (("init", "timeout"), ("invoke", "success"))
    assert 10_000 <= float(first[0]) < 10_500  # stopped at Lambda's 10 s limit
    assert float(second[0]) >= 10_500  # the second run, inside the invocation, finished
    assert log.index("Phase: init") < log.index("START RequestId") < log.index("Phase: invoke")
    (report,) = parse_reports(log)
    assert report.init_duration_ms is None  # init ran in the invoke phase
    assert report.duration_ms >= 10_500  # the invocation's Duration holds the second init
    assert report.billed_duration_ms >= 20_500  # both inits billed
    assert masked(light[2]) == masked(real[2])
    served = slow_init_runs[("serve", "coldprof")], slow_init_runs[("serve", "awslambdaric")]
    assert served[0][:2] == served[1][:2] and same_tail(served[0][2], served[1][2])
    payload, error, served_log = served[0]
    assert (payload, error) == ('{"ok": true}', None)
    assert (
        "Phase: init\tStatus: timeout" in served_log
        and "Phase: invoke\tStatus: success" in served_log
    )


def test_pth_files_in_layers_are_processed_as_lambdas_bootstrap_does(tmp_path):
    """Lambda's bootstrap calls site.addsitedir() on /opt/python and on
    /opt/python/lib/python3.X/site-packages too: a layer's .pth adds paths and runs imports."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    function = tmp_path / "function"
    function.mkdir()
    (function / "app.py").write_text(
        "import os, layermod, sitemod\n"
        "def handler(event, context):\n"
        "    return [layermod.NAME, sitemod.NAME, os.environ.get('LAYER_HOOK')]\n"
    )
    python = tmp_path / "layer1" / "python"
    (python / "vendored").mkdir(parents=True)
    (python / "vendored" / "layermod.py").write_text("NAME = 'layermod'\n")
    (python / "hook.py").write_text("import os\nos.environ['LAYER_HOOK'] = 'ran'\n")
    (python / "one.pth").write_text("vendored\nimport hook\n")
    site = tmp_path / "layer2" / "python" / "lib" / f"python{version}" / "site-packages"
    (site / "extra").mkdir(parents=True)
    (site / "extra" / "sitemod.py").write_text("NAME = 'sitemod'\n")
    (site / "two.pth").write_text("extra\n")
    layers = ("--layer", str(tmp_path / "layer1"), "--layer", str(tmp_path / "layer2"))
    light, real = (invoke_in(mode, function, "app.handler", {}, layers) for mode in MODES)
    assert light[0] == real[0] == 0
    assert json.loads(light[1]) == json.loads(real[1]) == ["layermod", "sitemod", "ran"]


CONTEXT_HANDLER = """
def describe(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    public = sorted(n for n in dir(value) if not n.startswith("_"))
    methods = [n for n in public if callable(getattr(value, n))]
    values = {n: describe(getattr(value, n)) for n in public if n not in methods}
    return {"type": type(value).__name__, "values": values, "methods": methods}


def handler(event, context):
    return describe(context)
"""


def test_the_context_object_is_awslambdarics(tmp_path):
    """Every public attribute and method of the context, `identity` (an object whose fields are
    None) and `tenant_id` among them, as AWS's runtime client builds it."""
    (tmp_path / "app.py").write_text(CONTEXT_HANDLER)
    light, real = (invoke_in(mode, tmp_path, "app.handler", {}, ()) for mode in MODES)
    assert light[0] == real[0] == 0
    stream = re.compile(r"\[\$LATEST\][0-9a-f]{32}")  # each environment's own log stream
    assert stream.sub("", masked(light[1].decode())) == stream.sub("", masked(real[1].decode()))
    context = json.loads(light[1])
    assert context["values"]["identity"] == {
        "type": "CognitoIdentity",
        "values": {"cognito_identity_id": None, "cognito_identity_pool_id": None},
        "methods": [],
    }
    assert "tenant_id" in context["values"]


LIMIT_HANDLER = """
def handler(event, context):
    if "raw" in event:
        return b"x" * event["raw"]
    return "\\u00e9" * event["text"]
"""
RESPONSE_MAX_BYTES = 6_291_556  # what Lambda's Function.ResponseSizeTooLarge quotes


@pytest.mark.parametrize(
    ("event", "sent_bytes"),
    [
        ({"raw": RESPONSE_MAX_BYTES}, RESPONSE_MAX_BYTES),
        ({"raw": RESPONSE_MAX_BYTES + 1}, RESPONSE_MAX_BYTES + 1),
        # as JSON text: each é is 6 bytes escaped (up to python3.11), 2 in UTF-8 (python3.12+)
        ({"text": 1_048_592}, None),
        ({"text": 1_048_593}, None),
    ],
)
def test_the_response_limit_is_on_the_bytes_the_runtime_sends(tmp_path, event, sent_bytes):
    (tmp_path / "app.py").write_text(LIMIT_HANDLER)
    if sent_bytes is None:
        per_char = 6 if sys.version_info < (3, 12) else 2
        sent_bytes = event["text"] * per_char + 2  # the quotes
    light, real = (invoke_in(mode, tmp_path, "app.handler", event, ()) for mode in MODES)
    assert (light[0], masked(light[1].decode("latin-1"))) == (
        real[0],
        masked(real[1].decode("latin-1")),
    )
    refused = b"Function.ResponseSizeTooLarge" in light[1]
    assert refused == (sent_bytes > RESPONSE_MAX_BYTES)
