"""The HTML report opened in a real headless browser (Debian's chromium).

Chromium runs once per report with --dump-dom (the DOM after the page's scripts ran, within a
virtual time budget) and --screenshot; with --enable-logging=stderr it prints every console
message of the page to stderr as `...:CONSOLE:<line>] "<message>", source: ...`, and with
every host name resolving nowhere a network request would fail and log one too.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_report import HOSTILE, run_report, write_json

from coldprof import analyze, bench, check, profile_imports
from coldprof.bench import BenchOptions
from coldprof.config import load_config
from coldprof.function import FunctionConfig
from coldprof.results import to_json

LINK = '<a href="javascript:console.error(1)">slow-a</a><b style="font-size:99px">big</b>'
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs chromium (apt-get install -y chromium)"
)
WIDTH_PX, HEIGHT_PX = 1280, 5200
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
KNOWN_TREE = FIXTURES / "imports" / "known_tree"  # app -> settings, slow_a (50 ms) -> slow_b
TRIVIAL = FIXTURES / "handlers" / "trivial"
CHECK_CONFIG = """
[tool.coldprof]
target = "{target}"
handler = "app.handler"
runs = 3

[tool.coldprof.budget]
zipped = "1 MiB"
unzipped = "1 KiB"
init_ms = "5 s"
forbid = ["slow-b"]
"""


@dataclass(frozen=True)
class Page:
    dom: str
    console: list[str]
    screenshot: bytes


def open_in_chromium(page: Path, profile: Path) -> Page:
    """Load a file in headless chromium: the DOM after scripts ran, console lines, a PNG."""
    png = profile / "screenshot.png"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--hide-scrollbars",
        f"--window-size={WIDTH_PX},{HEIGHT_PX}",
        "--virtual-time-budget=20000",
        f"--screenshot={png}",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return Page(done.stdout, console, png.read_bytes())


def _unfilter(kind: int, line: bytearray, previous: bytes, step: int) -> None:
    """Undo one PNG scanline filter in place (None, Sub, Up, Average, Paeth)."""
    for i in range(len(line)):
        left = line[i - step] if i >= step else 0
        up = previous[i]
        corner = previous[i - step] if i >= step else 0
        if kind == 1:
            line[i] = (line[i] + left) & 255
        elif kind == 2:
            line[i] = (line[i] + up) & 255
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 255
        elif kind == 4:
            guess = left + up - corner
            pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
            predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
            line[i] = (line[i] + predictor) & 255


def decode_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, channels and raw rows of an 8-bit non-interlaced RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed, header = 8, [], b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        chunk = data[position + 8 : position + 8 + length]
        header = chunk if kind == b"IHDR" else header
        compressed += [chunk] if kind == b"IDAT" else []
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and interlace == 0 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(b"".join(compressed))
    rows, previous = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if raw[start]:
            _unfilter(raw[start], line, previous, channels)
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def sampled_pixels(png: bytes, every: int = 6) -> list[tuple[int, ...]]:
    """Every n-th pixel of every n-th row, as RGB tuples."""
    width, _, channels, rows = decode_png(png)
    return [
        tuple(row[x * channels : x * channels + 3])
        for row in rows[::every]
        for x in range(0, width, every)
    ]


def chart_blocks(dom: str) -> list[str]:
    """The DOM of each chart container, in page order."""
    return dom.split('<div class="chart">')[1:]


def real_results(folder: Path) -> list[Path]:
    """Every kind of result from the real library on the fixtures, written as JSON files.

    The analyze result is hand-edited afterwards: its target holds markup, and a distribution's
    name a link and styling, as a hostile package would.
    """
    analysis = json.loads(to_json(analyze(KNOWN_TREE)).replace('"slow-a"', json.dumps(LINK)))
    analysis["target"] = HOSTILE
    function = FunctionConfig(target=KNOWN_TREE, handler="app.handler")
    profile = profile_imports(function, repeat=3)
    timed = bench(function, BenchOptions(cold=8, warm=5), compare_targets=(TRIVIAL,))
    config = folder / "pyproject.toml"
    config.write_text(CHECK_CONFIG.format(target=KNOWN_TREE), encoding="utf-8")
    gate = check(load_config(config))
    return [
        write_json(folder, "analyze.json", analysis),
        write_json(folder, "imports.json", json.loads(to_json(profile))),
        write_json(folder, "bench.json", json.loads(to_json(timed))),
        write_json(folder, "check.json", json.loads(to_json(gate))),
    ]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Page]:
    """The report of every kind of result, as written and as chromium drew it."""
    folder = tmp_path_factory.mktemp("report")
    out = folder / "report.html"
    code, _, stderr = run_report(*map(str, real_results(folder)), "-o", str(out))
    assert code == 0, stderr
    return out.read_text(encoding="utf-8"), open_in_chromium(out, folder / "profile")


def test_page_loads_without_console_messages(rendered):
    _, page = rendered
    assert page.console == []


def test_every_chart_is_drawn(rendered):
    source, page = rendered
    blocks = chart_blocks(page.dom)
    assert len(blocks) == source.count('<div class="chart">') == 8
    for block in blocks:
        assert "js-plotly-plot" in block and 'class="main-svg"' in block
    treemap, icicle, costs, latency, latency_trivial, compared, findings, budgets = blocks
    assert treemap.count("slice cursor-pointer") >= 10  # package, distributions, folders, files
    assert icicle.count("slice cursor-pointer") == 5  # the root, app, settings, slow_a, slow_b
    assert costs.count('class="point"') == 6  # three distributions, in ms and in MiB
    samples_and_ticks = 8 * 4 + 8 * 5 + 3 * 5  # cold phases (runtime start too), warm, ticks
    assert latency.count('class="point"') == latency_trivial.count('class="point"')
    assert latency.count('class="point"') == samples_and_ticks
    assert "cold total (n=8)" in latency and "warm invocation (n=40)" in latency_trivial
    assert compared.count('class="point"') == 2 * (8 + 40)
    assert findings.count('class="cell-text"') == 7 * (1 + 1)  # header, one bytecode finding
    # zipped, unzipped, forbid, extensions, errors, init_ms
    assert budgets.count('class="point"') == 6


def test_screenshot_is_not_blank(rendered):
    _, page = rendered
    pixels = sampled_pixels(page.screenshot)
    brightness = [sum(p) / 3 for p in pixels]
    mean = sum(brightness) / len(brightness)
    variance = sum((b - mean) ** 2 for b in brightness) / len(brightness)
    assert variance > 300
    assert len(set(pixels)) > 200  # colours of the charts, not a blank or single-tone page


def test_hostile_text_stays_text(rendered):
    _, page = rendered
    assert not re.search(r"<img[^>]*onerror", page.dom)
    assert "&lt;img src=x onerror=" in page.dom
    treemap = "".join(re.findall(r"<svg.*?</svg>", chart_blocks(page.dom)[0], re.S))
    assert not re.search(r"<a\b[^>]*href", treemap)
    assert not re.search(r"<[a-z]+\b[^>]*style=\"[^\"]*font-size: ?99px", treemap)
    assert '&lt;a href="javascript:console.error(1)"&gt;slow-a' in treemap
    assert not any("injected" in line for line in page.console)
