"""Lesson 01 in a real browser: JupyterLab, headless Chromium, Playwright.

A JupyterLab server on 127.0.0.1 serves a temporary copy of lesson 01 (solution and student
versions) at the quick profile. In Chromium the test runs every cell of the solution and
checks that no cell failed or wrote to stderr and that the figures load; drags the
convolution explorer's slider and checks that the product-sum and the figure change; then
opens the student version, presses nbgrader's Validate button and checks that it reports
the unfinished exercises. Screenshots go to ``test-artifacts/browser/``.

It needs Debian's Chromium (``chromium-headless-shell`` or ``chromium``; another binary
with ``COURSE_CHROMIUM=/path``) and Python Playwright. Without them it skips and says why,
except where ``COURSE_REQUIRE_BROWSER=1`` (set by ``.ci/run``): there it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from servers import free_port, stop_group

from grading import synthetic

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

COURSE = synthetic.COURSE
LESSON = "01-convolution"
ARTIFACTS = COURSE / "test-artifacts" / "browser"
TOKEN = "course-browser-test"
# Flags that keep Chromium inside this closed network and without a GPU or a sandbox.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# JupyterLab settings for a quiet, deterministic page: no news pop-up, every cell in the DOM.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": (
        '{"fetchNews": "false", "checkForUpdates": false}'
    ),
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none"}',
}
PROMPTS = '[...document.querySelectorAll(".jp-CodeCell .jp-InputPrompt")].map((p) => p.textContent)'
NO_PROMPT_NUMBERS = f"() => !{PROMPTS}.some((t) => /\\d/.test(t))"
RUN_STARTED = f"() => {PROMPTS}.some((t) => /[*\\d]/.test(t))"
ALL_CELLS_RAN = f"""() => {{
    const idle = document.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']");
    return idle && !{PROMPTS}.some((t) => t.includes("*"));
}}"""


def find_chromium() -> str | None:
    """Debian's Chromium (or ``$COURSE_CHROMIUM``), or None."""
    for name in (
        os.environ.get("COURSE_CHROMIUM"),
        "chromium-headless-shell",
        "chromium",
        "chromium-browser",
    ):
        if name and (path := shutil.which(name)):
            return path
    return None


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``, or fail where the browser test is required (CI)."""
    if os.environ.get("COURSE_REQUIRE_BROWSER", "").strip() in {"1", "true", "yes"}:
        pytest.fail(f"COURSE_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


def wait_for_server(url: str, server: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    """Poll ``url`` until the server answers; fail with its log if it exits or never does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-3000:]}")
            time.sleep(1)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab on a free port of 127.0.0.1, serving a copy of lesson 01; yields its URL."""
    work = tmp_path_factory.mktemp("browser")
    root = work / "course"
    for folder in ("solutions", "lessons"):
        shutil.copytree(COURSE / folder / LESSON, root / folder / LESSON)
    shutil.copy2(COURSE / "nbgrader_config.py", root)  # read by the Validate button's handler
    for name, text in LAB_SETTINGS.items():
        (work / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
        (work / "settings" / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # inline figures
    env.update(
        COURSE_PROFILE="quick",
        COURSE_OFFLINE="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        JUPYTER_CONFIG_DIR=str(work / "config"),
        JUPYTERLAB_SETTINGS_DIR=str(work / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"),
    )
    port = free_port()
    log = work / "jupyterlab.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--allow-root",
                "--ip=127.0.0.1",
                f"--port={port}",
                f"--IdentityProvider.token={TOKEN}",
                f"--ServerApp.root_dir={root}",
            ],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(f"{base}/api/status?token={TOKEN}", server, log)
        yield base
    finally:
        stop_group(server, grace=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium driven by Playwright (skips, or fails in CI, when either is missing)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Python Playwright is not installed (pip install playwright)")
    executable = find_chromium()
    if executable is None:
        skip_or_fail(
            "no Chromium found (apt-get install chromium-headless-shell, or set COURSE_CHROMIUM)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_notebook(browser: Browser, base: str, workspace: str, path: str) -> Page:
    """A new page showing ``path`` alone in its own JupyterLab workspace, kernel idle."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{path}?token={TOKEN}")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
    return page


def menu(page: Page, top: str, item: str) -> None:
    """Choose ``top`` ▸ ``item`` from JupyterLab's menu bar."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def shot(target: Page | Locator, name: str, shots: list[Path]) -> None:
    """Save a screenshot of a page or element under test-artifacts/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    target.screenshot(path=str(path))
    shots.append(path)


@pytest.mark.slow
def test_lesson_01_in_the_browser(
    browser: Browser, lab: str, capsys: pytest.CaptureFixture
) -> None:
    shots: list[Path] = []
    try:
        run_solution_and_explorer(browser, lab, shots)
        validate_student_version(browser, lab, shots)
    finally:
        with capsys.disabled():
            print("".join(f"\nscreenshot: {path}" for path in shots))


def run_solution_and_explorer(browser: Browser, base: str, shots: list[Path]) -> None:
    """Run All on the solution: no failed cell, figures loaded, the explorer's slider works."""
    page = open_notebook(browser, base, "solution", f"solutions/{LESSON}/{LESSON}.ipynb")
    # The solution stores a few checked outputs and their prompts: clear them first, so that
    # every number and figure seen afterwards comes from this run.
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(NO_PROMPT_NUMBERS)
    menu(page, "Run", "Run All Cells")
    page.wait_for_function(RUN_STARTED, timeout=60_000)
    page.wait_for_function(ALL_CELLS_RAN, timeout=300_000, polling=1000)
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
    stderr = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    if stderr.count():
        stderr.first.scroll_into_view_if_needed()
        shot(page, "01-solution-error.png", shots)
    assert stderr.count() == 0, f"a cell failed or wrote to stderr:\n{stderr.first.inner_text()}"
    counts = [int(m[1]) if (m := re.search(r"\[(\d+)\]", t)) else None for t in prompts]
    assert None not in counts, f"code cells did not all run (Run All stopped early): {prompts}"
    assert counts == sorted(counts), f"cells ran out of order: {counts}"

    figures = page.locator(".jp-Cell .jp-OutputArea-output img")
    loaded = figures.evaluate_all("imgs => imgs.map(i => i.complete && i.naturalWidth > 0)")
    assert len(loaded) >= 3 and all(loaded), f"figures that loaded: {loaded}"
    page.locator(".jp-CodeCell").first.scroll_into_view_if_needed()  # the set-up line
    shot(page, "01-solution-ran.png", shots)

    explorer = page.locator(".widget-vbox", has=page.locator(".widget-hslider"))
    assert explorer.count() == 1, "the convolution explorer widget is not shown"
    explorer.scroll_into_view_if_needed()
    text = explorer.locator(".widget-html-content")
    figure = explorer.locator(".widget-output img")
    before = (text.inner_text(), figure.get_attribute("src"))
    assert before[0].startswith("H[0, 0] = "), before[0]
    shot(explorer, "02-explorer-start.png", shots)

    handle = explorer.locator(".noUi-handle").bounding_box()
    track = explorer.locator(".noUi-base").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + 0.6 * track["width"], track["y"] + track["height"] / 2, steps=10)
    page.mouse.up()
    # The text is updated in place; the Output widget replaces its figure with a new <img>.
    page.wait_for_function(
        """([root, text, src]) => {
            const img = root.querySelector(".widget-output img");
            const html = root.querySelector(".widget-html-content");
            return html.textContent !== text && img && img.complete && img.src !== src;
        }""",
        arg=[explorer.element_handle(), *before],
    )
    after = text.inner_text()
    step = int(explorer.locator(".widget-readout").inner_text())
    assert step > 0 and re.match(r"H\[\d+, \d+\] = .+ = -?[\d.]+$", after), after
    shot(explorer, "03-explorer-moved.png", shots)
    page.close()


def validate_student_version(browser: Browser, base: str, shots: list[Path]) -> None:
    """nbgrader's Validate button on the untouched student version reports failing exercises."""
    page = open_notebook(browser, base, "student", f"lessons/{LESSON}/{LESSON}.ipynb")
    page.get_by_role("button", name="Validate").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=300_000)
    report = dialog.inner_text()
    shot(page, "04-student-validate.png", shots)
    assert "Validation Results" in report, report
    assert "failed" in report and "NotImplementedError" in report, report[:2000]
    assert "passes all the tests" not in report
    page.close()
