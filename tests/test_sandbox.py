"""The execution environment: what the child sees, and errors reported as Lambda reports them."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import psutil
import pytest

from coldprof.errors import UsageError
from coldprof.sandbox import Environment, EnvironmentSpec, ErrorInfo, InitResult
from helpers import sandbox_spec

HANDLERS = Path(__file__).resolve().parent.parent / "fixtures" / "handlers"
HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"
OTHER_RUNTIME = "python3.9" if HERE != "3.9" else "python3.10"
# What `python -I -S` puts on sys.path: the standard library only.
STDLIB = json.loads(
    subprocess.run(
        [sys.executable, "-I", "-S", "-c", "import sys, json; print(json.dumps(sys.path))"],
        capture_output=True,
        check=True,
    ).stdout
)


def spec_for(name: str, handler: str = "app.handler", **options) -> EnvironmentSpec:
    return sandbox_spec(HANDLERS / name, handler, **options)


def init_error(name: str, handler: str = "app.handler") -> tuple[InitResult, ErrorInfo]:
    with Environment(spec_for(name, handler, timeout_s=10)) as environment:
        result = environment.start()
    assert not result.ok
    return result, result.error


def test_trivial_handler_answers_with_plausible_clocks():
    with Environment(spec_for("trivial")) as environment:
        init = environment.start()
        results = [environment.invoke({"n": n}) for n in range(20)]
    assert init.ok and init.error is None
    assert 0 < init.init_ms < 10_000
    assert 1 < init.max_rss_mb < 500
    for result in results:
        assert result.ok and result.response == {"ok": True} and result.error is None
        assert 0 <= result.duration_ms <= result.round_trip_ms
        assert not result.environment_ended
    assert len({result.request_id for result in results}) == 20


def test_child_sees_lambda_environment_and_nothing_of_coldprofs(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    monkeypatch.setenv("PYTHONSTARTUP", "/somewhere/startup.py")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAHOSTONLY")
    spec = spec_for("inspect_environment", env={"COLDPROF_TEST_EXTRA": "yes"}, memory_mb=512)
    with Environment(spec) as environment:
        init = environment.start()
        result = environment.invoke({"say": "hi"}, request_id="req-1")
    root = str(HANDLERS / "inspect_environment")
    seen = result.response
    assert init.log == "init says hello\n"
    assert result.log == "invoke says hi\n"
    assert seen["sys_path"] == [root, *STDLIB]
    assert seen["cwd"] == root
    assert seen["python_vars"] == ["PYTHONPATH"]  # set by the runtime, as Lambda's bootstrap does
    assert (seen["dont_write_bytecode"], seen["no_site"], seen["isolated"]) == (True, 1, 1)
    assert seen["env"] == {
        "LAMBDA_TASK_ROOT": root,
        "_HANDLER": "app.handler",
        "AWS_LAMBDA_FUNCTION_NAME": "coldprof-local",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{HERE}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "TZ": ":UTC",
        "TMPDIR": str(Path(seen["scratch"]).parent),
        "COLDPROF_TEST_EXTRA": "yes",
    }
    context = seen["context"]
    assert context["aws_request_id"] == "req-1"
    assert context["invoked_function_arn"] == (
        "arn:aws:lambda:us-east-1:000000000000:function:coldprof-local"
    )
    assert context["function_version"] == "$LATEST"
    assert context["memory_limit_in_mb"] == "512"
    assert context["log_group_name"] == "/aws/lambda/coldprof-local"
    assert "[$LATEST]" in context["log_stream_name"]
    assert 2_000 < context["remaining_ms"] <= 3_000  # Lambda's default timeout, 3 s
    assert context["identity"] == ["CognitoIdentity", None, None]
    assert (context["client_context"], context["tenant_id"]) == (None, None)
    assert seen["root_handlers"] == ["LambdaLoggerHandler"]
    every = seen["all_env"]
    every.pop("LC_CTYPE", None)  # Python's own C-locale coercion (PEP 538) where LANG's is missing
    assert set(every) == LAMBDA_VARIABLES | ISOLATION_VARIABLES | {"COLDPROF_TEST_EXTRA"}
    assert every["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:9001"
    assert every["_X_AMZN_TRACE_ID"].startswith("Root=1-")
    assert every["PYTHONPATH"] == every["LAMBDA_RUNTIME_DIR"] == "/var/runtime"
    assert every["HOME"] == every["TMPDIR"]  # the environment's own folder
    assert every["AWS_SHARED_CREDENTIALS_FILE"] == every["AWS_CONFIG_FILE"] == os.devnull
    assert every["AWS_EC2_METADATA_DISABLED"] == "true"
    libraries = every["LD_LIBRARY_PATH"].split(":")
    assert libraries.index("/lib64") < libraries.index(root) < libraries.index(root + "/lib")
    assert not Path(seen["scratch"]).exists(), "the environment's TMPDIR outlives it"


# What Lambda sets for a Python function (no X-Ray daemon, no credentials unless asked for)
LAMBDA_VARIABLES = {
    "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "_HANDLER", "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_INITIALIZATION_TYPE",
    "TZ", "LANG", "PATH", "LD_LIBRARY_PATH", "PYTHONPATH", "_X_AMZN_TRACE_ID",
}  # fmt: skip
# What coldprof adds so that nothing of this machine's user reaches the function
ISOLATION_VARIABLES = {
    "TMPDIR", "HOME", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_EC2_METADATA_DISABLED"
}  # fmt: skip


def test_module_only_in_coldprofs_environment_is_not_importable():
    assert importlib.util.find_spec("click") is not None
    _, error = init_error("imports_host_only_module")
    assert error.type == "Runtime.ImportModuleError"
    assert error.message == "Unable to import module 'app': No module named 'click'"


def test_missing_module_is_named_as_lambda_names_it():
    _, error = init_error("imports_missing_module")
    assert (error.type, error.message) == (
        "Runtime.ImportModuleError",
        "Unable to import module 'app': No module named 'requests'",
    )


def test_exception_at_import_gives_its_type_message_and_the_users_frames_only():
    result, error = init_error("raises_at_import")
    assert (error.type, error.message) == ("ValueError", "missing setting TABLE_NAME")
    files = [line.split('"')[1] for line in error.stack_trace]
    # as awslambdaric reports it: from importlib.import_module down, the runtime's own left out
    assert files[0].endswith("importlib/__init__.py")
    assert all(f.startswith("<frozen importlib") for f in files[1:-3])
    assert files[-3:] == [
        str(HANDLERS / "raises_at_import" / "app.py"),
        str(HANDLERS / "raises_at_import" / "helper.py"),
        str(HANDLERS / "raises_at_import" / "helper.py"),
    ]
    assert 'raise ValueError("missing setting TABLE_NAME")' in error.stack_trace[-1]
    assert result.init_ms > 0


@pytest.mark.parametrize(
    ("name", "handler", "error_type", "message"),
    [
        (
            "syntax_error",
            "app.handler",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'app': ",
        ),
        (
            "missing_function",
            "app.handler",
            "Runtime.HandlerNotFound",
            "Handler 'handler' missing on module 'app'",
        ),
        (
            "trivial",
            "apphandler",
            "Runtime.MalformedHandlerName",
            "Bad handler 'apphandler': not enough values to unpack (expected 2, got 1)",
        ),
        (
            "trivial",
            "sys.handler",
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module sys as a handler module",
        ),
        (
            "segfault",
            "app.handler",
            "Runtime.ExitError",
            "Runtime exited with error: signal: segmentation fault",
        ),
    ],
)
def test_init_failures_are_reported_as_lambda_reports_them(name, handler, error_type, message):
    _, error = init_error(name, handler)
    assert error.type == error_type
    assert error.message.startswith(message)


def test_syntax_error_points_at_the_users_line():
    _, error = init_error("syntax_error")
    assert error.stack_trace == (
        f'  File "{HANDLERS / "syntax_error" / "app.py"}" Line 1\n'
        "    def handler(event, context)\n",
    )


def test_exception_in_handler_keeps_the_environment_alive():
    with Environment(spec_for("raises_in_handler")) as environment:
        environment.start()
        first = environment.invoke({}, request_id="req-7")
        second = environment.invoke({})
    assert not first.ok and not first.environment_ended
    assert (first.error.type, first.error.message) == ("KeyError", "'order_id'")
    assert first.response["errorType"] == "KeyError"
    assert first.response["requestId"] == "req-7"
    assert [line.split(", in ")[1].split("\n")[0] for line in first.response["stackTrace"]] == [
        "handler",
        "validate",
    ]
    assert not any("bootstrap" in line for line in first.error.stack_trace)
    assert second.error.type == "KeyError"


def test_dotted_handler_module(tmp_path):
    with Environment(spec_for("dotted_module", "pkg.service.handler.main")) as environment:
        assert environment.start().ok
        result = environment.invoke({"a": [1, 2]})
    assert result.response == {"module": "pkg.service.handler", "echo": {"a": [1, 2]}}


def write_handler(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(body)
    return folder


@pytest.mark.parametrize(
    ("body", "ok", "expected"),
    [
        (
            "import decimal\ndef handler(e, c):\n    return {'price': decimal.Decimal('1.50')}\n",
            True,
            b'{"price": 1.50}',  # the digits kept, as the runtime's marshaller writes them
        ),
        (
            "def handler(e, c):\n    return {1, 2}\n",
            False,
            "Runtime.MarshalError: Unable to marshal response: "
            "Object of type set is not JSON serializable",
        ),
        (
            "def handler(e, c):\n    return 'x' * 7_000_000\n",
            False,
            "Function.ResponseSizeTooLarge: Response payload size exceeded "
            "maximum allowed payload size (6291556 bytes).",
        ),
    ],
)
def test_responses_are_marshalled_as_lambda_does(tmp_path, body, ok, expected):
    folder = write_handler(tmp_path / "function", body)
    with Environment(sandbox_spec(folder)) as environment:
        environment.start()
        result = environment.invoke({})
    assert result.ok is ok
    if ok:
        assert result.payload == expected
    else:
        assert f"{result.error.type}: {result.error.message}" == expected


def test_layers_and_runtime_sdk_come_after_the_task_root_in_lambdas_order(tmp_path):
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    body = (
        "import sys, shared, only_in_site\n"
        "def handler(e, c):\n"
        "    return {'path': sys.path, 'shared': shared.NAME, 'site': only_in_site.NAME}\n"
    )
    root = write_handler(tmp_path / "function", body)
    layers = []
    for name in ("layer1", "layer2"):
        layer = tmp_path / name
        write_handler(layer / "python", "").joinpath("shared.py").write_text(f"NAME = '{name}'\n")
        layers.append(layer)
    site = layers[0] / f"python/lib/python{version}/site-packages"
    site.mkdir(parents=True)
    (site / "only_in_site.py").write_text("NAME = 'layer1 site-packages'\n")
    sdk = tmp_path / "sdk"
    sdk.mkdir()
    spec = sandbox_spec(root, layers=tuple(layers), runtime_sdk=sdk)
    with Environment(spec) as environment:
        assert environment.start().ok
        seen = environment.invoke({}).response
    assert seen["path"] == [
        str(root),
        str(layers[1] / f"python/lib/python{version}/site-packages"),
        str(site),
        str(layers[1] / "python"),
        str(layers[0] / "python"),
        str(sdk),
        *STDLIB,
        # site.addsitedir() appends a folder it does not find, as on Lambda when no layer
        # has /opt/python/lib/python3.X/site-packages
        str(layers[1] / f"python/lib/python{version}/site-packages"),
    ]
    assert seen["shared"] == "layer2", "the later layer's file wins, as in /opt"
    assert seen["site"] == "layer1 site-packages"


def test_bad_specs_are_usage_errors(tmp_path):
    bad = [
        sandbox_spec(tmp_path / "missing"),
        spec_for("trivial", memory_mb=0),
        spec_for("trivial", env={"A=B": "1"}),
        spec_for("trivial", pycache_prefix=HANDLERS / "trivial" / "cache"),
    ]
    for spec in bad:
        with Environment(spec) as environment, pytest.raises(UsageError):
            environment.start()
    with pytest.raises(UsageError, match="no such interpreter"):
        spec_for("trivial", python=str(tmp_path / "no-python"))


def test_runtime_mismatch_names_both_versions():
    with pytest.raises(UsageError) as caught:
        spec_for("trivial", python=sys.executable, runtime=OTHER_RUNTIME)
    assert OTHER_RUNTIME in caught.value.message
    assert f"(Python {HERE})" in caught.value.message


def test_invoke_needs_a_started_environment():
    with Environment(spec_for("missing_function")) as environment:
        with pytest.raises(RuntimeError):
            environment.invoke({})
        environment.start()
        environment.invoke({})  # the failed init, run again inside it (as Lambda does)
        with pytest.raises(RuntimeError):
            environment.invoke({})


def test_event_must_be_json():
    with Environment(spec_for("trivial")) as environment:
        environment.start()
        with pytest.raises(UsageError, match="not JSON"):
            environment.invoke({"when": object()})


def test_close_twice_and_close_without_start_are_harmless():
    environment = Environment(spec_for("trivial"))
    environment.close()
    environment = Environment(spec_for("trivial"))
    environment.start()
    pid = environment._child.pid
    environment.close()
    environment.close()
    assert not psutil.pid_exists(pid)


def test_a_failed_init_is_run_again_inside_the_first_invocation():
    """As Lambda runs a failed on-demand init again in the invoke phase (a suppressed init):
    its own failure is the invocation's error; the environment then ends."""
    with Environment(spec_for("raises_at_import")) as environment:
        init = environment.start()
        first = environment.invoke({})
    assert (init.ok, init.status, init.retry, init.phase) == (False, "error", True, "init")
    assert first.reinit is not None and first.reinit.phase == "invoke"
    assert first.reinit.error.type == init.error.type == "ValueError"
    assert first.error == first.reinit.error and first.environment_ended
    assert json.loads(first.payload)["requestId"] == ""  # the init error's payload, as posted


def test_ld_library_path_puts_the_runtimes_libraries_before_the_functions_and_its_layers(tmp_path):
    """Lambda's order: /var/lang/lib, the system's, /var/runtime(/lib), /var/task, /var/task/lib,
    /opt/lib (one merged /opt: here the later layer's lib/ first, as its files win there)."""
    layers = (tmp_path / "layer1", tmp_path / "layer2")
    for layer in layers:
        layer.mkdir()
    spec = spec_for("inspect_environment", layers=layers)
    with Environment(spec) as environment:
        assert environment.start().ok
        seen = environment.invoke({"say": "hi"}).response
    root = str(HANDLERS / "inspect_environment")
    libraries = seen["all_env"]["LD_LIBRARY_PATH"].split(":")
    assert libraries[0] == sysconfig.get_config_var("LIBDIR")  # the runtime's own, as /var/lang/lib
    tail = [root, f"{root}/lib", f"{layers[1]}/lib", f"{layers[0]}/lib"]
    assert libraries[-4:] == tail
    assert libraries.index("/lib64") < libraries.index("/var/runtime") < libraries.index(root)
