"""The demo notebook in a real browser: JupyterLab on 127.0.0.1, driven by headless Chromium.

Runs every cell of notebooks/demo/layers-demo.ipynb, then checks that the layer graph's SVG
and both explorer widgets are drawn and answer a click. Screenshots go to a temporary
directory whose path is printed. Skips (with the reason) without Chromium or Playwright,
unless LAYERLAB_REQUIRE_BROWSER=1, which turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "demo" / "layers-demo.ipynb"
CHROMIUM = os.environ.get("LAYERLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.slow


def _unavailable(reason: str) -> None:
    if os.environ.get("LAYERLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"LAYERLAB_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _svg_text(src: str | None) -> str:
    assert src and src.startswith("data:image/svg+xml,"), src
    return urllib.parse.unquote(src.split(",", 1)[1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _browser_available() -> None:
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright is not installed (pip install playwright)")


def _environment(work: Path) -> dict[str, str]:
    """A private Jupyter setup (config, data with its notebook signatures, runtime)."""
    return {
        **os.environ,
        "LAYERLAB_HOME": str(work / "home"),
        "LAYERLAB_ENGINE": "sim",
        "JUPYTER_CONFIG_DIR": str(work / "config"),
        "JUPYTER_DATA_DIR": str(work / "data"),
        "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
    }


@contextlib.contextmanager
def _jupyterlab(work: Path, notebook: str) -> Iterator[str]:
    """JupyterLab on 127.0.0.1 serving ``work``: the URL that opens ``notebook`` there."""
    port, token = _free_port(), secrets.token_hex(16)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={work}",
            f"--LabApp.workspaces_dir={work / 'workspaces'}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",  # no look-ups of extensions on PyPI
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=work,
        env=_environment(work),
        stdout=subprocess.DEVNULL,
        stderr=(work / "server.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log = (work / "server.log").read_text(errors="replace")[-2000:]
                    pytest.fail(f"JupyterLab did not start:\n{log}")
                time.sleep(0.3)
        yield f"{base}/lab/tree/{notebook}?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[str, Path]]:
    """A JupyterLab server on 127.0.0.1 serving a copy of the demo notebook."""
    _browser_available()
    work = Path(tempfile.mkdtemp(prefix="layerlab-ui-"))
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    with _jupyterlab(work, NOTEBOOK.name) as url:
        yield url, work


def _open(page: Any, url: str) -> None:
    """Open a notebook and wait for its kernel, answering JupyterLab's first-open dialogs."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    page.goto(url)
    page.locator(".jp-Notebook").wait_for()
    choose_kernel = page.locator(".jp-Dialog .jp-mod-accept", has_text="Select")
    with contextlib.suppress(PlaywrightTimeout):  # asked only on some first opens
        choose_kernel.click(timeout=5_000)
    with contextlib.suppress(PlaywrightTimeout):  # "get notified about news?": no
        page.locator(".jp-toast-button", has_text="No").click(timeout=2_000)
    expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_be_visible()


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted", "untrusted"])
def test_a_committed_notebook_opens_with_its_graphs_drawn(trusted: bool) -> None:
    """What `make course` does (`jupyter trust` on the committed notebooks) makes their
    graphs open as pictures, without running a cell; an untrusted copy shows the text."""
    from playwright.sync_api import expect, sync_playwright

    _browser_available()
    work = Path(tempfile.mkdtemp(prefix="layerlab-ui-trust-"))
    lesson = ROOT / "notebooks" / "ko" / "02-layers.ipynb"
    shutil.copy(lesson, work / lesson.name)
    if trusted:
        subprocess.run(
            [sys.executable, "-m", "jupyter", "trust", str(work / lesson.name)],
            env=_environment(work), check=True, capture_output=True,
        )  # fmt: skip
    with _jupyterlab(work, lesson.name) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(30_000)
        try:
            _open(page, url)
            graphs = page.locator(".jp-RenderedSVG img")
            if trusted:
                expect(graphs.first).to_be_attached()
                drawn = lesson.read_text(encoding="utf-8").count('"image/svg+xml"')
                assert graphs.count() == drawn >= 2  # every graph the lesson holds, none re-run
                assert 'class="node layer shared' in _svg_text(graphs.first.get_attribute("src"))
                # Long outputs (the Node.js app's builds) open in a scrolling box.
                cells = json.loads(lesson.read_text(encoding="utf-8"))["cells"]
                scrolled = sum(bool(cell["metadata"].get("scrolled")) for cell in cells)
                assert scrolled >= 1
                expect(page.locator(".jp-CodeCell.jp-mod-outputsScrolled")).to_have_count(scrolled)
            else:
                expect(
                    page.locator(".jp-RenderedText", has_text="메타데이터 단계").first
                ).to_be_attached()
                assert graphs.count() == 0
        finally:
            browser.close()


def _assert_within(outer: Any, lists: list[Any]) -> None:
    """Each list ends inside the explorer's right edge (a width of 100% plus the list's
    margins ran past it)."""
    edge = outer.bounding_box()
    for inner in lists:
        box = inner.bounding_box()
        assert box["x"] + box["width"] <= edge["x"] + edge["width"] + 0.5, (box, edge)


def test_demo_notebook_renders_and_responds(lab: tuple[str, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, _served = lab
    shots = Path(tempfile.mkdtemp(prefix="layerlab-screenshots-"))
    print(f"\nscreenshots: {shots}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(30_000)
        try:
            _open(page, url)
            page.locator(".lm-MenuBar-item", has_text="Run").click()
            page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()

            explorer = page.locator(".layerlab-container-explorer")
            explorer.wait_for()  # the last cell's output: every cell ran
            stderr = "[data-mime-type='application/vnd.jupyter.stderr']"
            assert page.locator(f".jp-OutputArea-output{stderr}", has_text="Traceback").count() == 0

            # JupyterLab shows SVG output as an <img> with a data: URL of the SVG text
            graphs = page.locator(".jp-RenderedSVG img")
            expect(graphs).to_have_count(2)
            first, second = (_svg_text(graphs.nth(i).get_attribute("src")) for i in (0, 1))
            assert first.count('class="node') == 11  # 4 layers, 3 images, 3 tags, 1 container
            assert first.count('class="node container') == 1
            assert first.count('class="node layer shared') == 2
            assert second.count('class="node tag added') == 1  # the tag the last command made
            box = graphs.first.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 200  # drawn
            graphs.first.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "graph.png"))

            images = page.locator(".layerlab-image-explorer")
            images.scroll_into_view_if_needed()
            layers = images.locator(".layerlab-layers select")
            run_step = layers.locator("option", has_text="RUN echo hello").inner_text()
            layers.select_option(label=run_step)
            files = images.locator(".layerlab-files select")
            expect(files.locator("option")).to_have_text(["A /greeting.txt  6B"])
            files.select_option(index=0)
            expect(images.locator(".layerlab-content")).to_contain_text("hello")
            info = images.locator(".layerlab-info")
            expect(info).to_contain_text("shared with: app:latest/app:v2")
            images.screenshot(path=str(shots / "image-explorer.png"))
            _assert_within(images, [layers, files])

            explorer.scroll_into_view_if_needed()
            changes = explorer.locator(".layerlab-changes select option")
            expect(changes).to_have_text(["A /note.txt", "D /greeting.txt"])
            explorer.locator("button.layerlab-rm").click()
            expect(explorer.locator(".layerlab-log")).to_contain_text("$ docker rm web")
            expect(explorer.locator(".layerlab-log")).to_contain_text("gone for good")
            expect(changes).to_have_count(0)
            explorer.screenshot(path=str(shots / "container-explorer.png"))
            _assert_within(explorer, [explorer.locator(".layerlab-changes select")])
            # The message wraps between words: JupyterLab's <pre> style breaks anywhere.
            log = explorer.locator(".layerlab-log pre")
            assert log.evaluate("e => getComputedStyle(e).wordBreak") == "normal"
            assert log.evaluate("e => getComputedStyle(e).overflowWrap") == "break-word"

            # A command in a new cell: the image explorer follows it by itself.
            page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").last.click()
            page.keyboard.press("b")  # a new cell below, in command mode
            page.keyboard.press("Enter")
            page.keyboard.type("%docker tag busybox late:1")
            page.keyboard.press("Shift+Enter")
            picker = images.locator(".layerlab-picker select option", has_text="late:1")
            expect(picker).to_have_count(1)
        except Exception:
            page.screenshot(path=str(shots / "failure.png"))
            raise
        finally:
            browser.close()
