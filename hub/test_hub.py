"""A class on JupyterHub, end to end: ``make test-hub`` (run by ``.ci/run``).

``make hub`` starts a real JupyterHub (and configurable-http-proxy) on 127.0.0.1 with the
class of hub/class.toml as system users, then, each step timed:

1. the instructor logs in through the hub's login form, makes API tokens for the class and
   starts the three servers;
2. the instructor releases lesson 01 with the formgrader (its API; the page in Chromium);
3. ada, in Chromium, opens *Nbgrader ▸ Assignment List* and clicks *Fetch*; grace fetches
   through the same assignment-list API the page calls;
4. ada's notebook gets the solution's answers (written through the contents API, as if typed)
   and ada clicks *Submit*; grace submits her blank notebook;
5. the instructor collects with the formgrader: ``submitted/ada`` and ``submitted/grace`` in
   the instructor's copy of the course;
6. the instructor runs ``make grade SUBMISSIONS=submitted OUT=grades`` there: ada 100 %,
   grace 0, both ``graded``;
7. ``make return-feedback OUT=grades``; ada clicks *Fetch Feedback* in Chromium, grace fetches
   hers; each page holds its own score and no hidden test code.

Also checked: students' servers have no formgrader and their Python no ``grading``; a student
can read neither the course's solutions nor another student's home. Timings and screenshots
go to ``test-artifacts/hub/``.

It needs root (the hub makes system users), npm or hub/node_modules, and Chromium with
Playwright (as tests/test_browser.py). Without them it skips and says why, except where
``COURSE_REQUIRE_HUB=1`` (set by ``.ci/run``): there it fails.
"""

from __future__ import annotations

import csv
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from grading import edition, synthetic
from hub import run as hubrun

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from servers import free_port, stop_group  # noqa: E402
from test_browser import CHROMIUM_ARGS, find_chromium  # noqa: E402

COURSE = synthetic.COURSE
ARTIFACTS = COURSE / "test-artifacts" / "hub"
LESSON = "01-convolution"
ROSTER = tomllib.loads((COURSE / "hub" / "class.toml").read_text())
INSTRUCTOR = ROSTER["instructors"][0]
SOLVED, BLANK = ROSTER["students"][:2]
PASSWORD = "class-password-for-the-test"
ADMIN_PASSWORD = "instructor-password-for-the-test-0123456789"
FORM = {"course_id": "cnn-course", "assignment_id": LESSON}


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``, or fail where the hub test is required (CI)."""
    if os.environ.get("COURSE_REQUIRE_HUB", "").strip() in {"1", "true", "yes"}:
        pytest.fail(f"COURSE_REQUIRE_HUB is set but {reason}")
    pytest.skip(reason)


class Steps:
    """Named, timed steps; the table is printed and kept in test-artifacts/hub/timings.json."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str, action: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = action()
        self.seconds[name] = round(time.perf_counter() - started, 1)
        return result

    def save(self) -> str:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "timings.json").write_text(json.dumps(self.seconds, indent=2) + "\n")
        width = max(map(len, self.seconds), default=0)
        return "\n".join(f"  {name:<{width}}  {s:7.1f} s" for name, s in self.seconds.items())


class Hub:
    """The running hub: its address, folders, and HTTP calls as the class's users."""

    def __init__(self, base: str, state: Path, homes: Path) -> None:
        self.base, self.state, self.homes = base, state, homes
        self.tokens: dict[str, str] = {}

    def call(
        self, method: str, path: str, user: str, body: Any = None, form: dict | None = None
    ) -> tuple[int, str]:
        """An HTTP request with ``user``'s API token; (status, text)."""
        data = None
        request = urllib.request.Request(f"{self.base}{path}", method=method)
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        elif body is not None:
            data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        request.add_header("Authorization", f"token {self.tokens[user]}")
        try:
            with urllib.request.urlopen(request, data=data, timeout=600) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def ok(self, method: str, path: str, user: str, **kwargs: Any) -> Any:
        """``call`` that must succeed; its JSON (nbgrader's ``success`` checked)."""
        status, text = self.call(method, path, user, **kwargs)
        assert status < 300, f"{method} {path} as {user}: {status} {text[:1500]}"
        data = json.loads(text) if text.strip() else None
        if isinstance(data, dict) and "success" in data:
            assert data["success"], f"{method} {path} as {user}: {text[:3000]}"
        return data

    def login_and_make_tokens(self) -> None:
        """The instructor logs in through the login form; as a hub admin, makes API tokens."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{self.base}/hub/login", timeout=60).read().decode()
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page)
        assert xsrf, "the hub's login form has no _xsrf field"
        form = {"username": INSTRUCTOR, "password": ADMIN_PASSWORD, "_xsrf": xsrf[1]}
        opener.open(f"{self.base}/hub/login", urllib.parse.urlencode(form).encode(), timeout=300)
        cookie = next(c.value for c in jar if c.name == "_xsrf" and c.path == "/hub/")
        for user in [INSTRUCTOR, *ROSTER["students"]]:
            request = urllib.request.Request(
                f"{self.base}/hub/api/users/{user}/tokens",
                data=json.dumps({"note": "hub test", "expires_in": 3600}).encode(),
                method="POST",
                headers={"X-XSRFToken": cookie, "Content-Type": "application/json"},
            )
            with opener.open(request, timeout=60) as response:
                self.tokens[user] = json.loads(response.read())["token"]

    def start_servers(self) -> None:
        """Start every user's server through the hub's API; wait until all are ready."""
        users = [INSTRUCTOR, *ROSTER["students"]]
        for user in users:
            status, text = self.call("POST", f"/hub/api/users/{user}/server", user, body={})
            assert status in (201, 202, 400), f"starting {user}'s server: {status} {text}"
        deadline = time.monotonic() + 600
        while True:
            ready = {
                user: self.ok("GET", f"/hub/api/users/{user}", user)["servers"]
                .get("", {})
                .get("ready")
                for user in users
            }
            if all(ready.values()):
                return
            assert time.monotonic() < deadline, f"servers not ready after 600 s: {ready}"
            time.sleep(2)


def as_user(user: str, command: list[str], hub: Hub, **kwargs: Any) -> subprocess.CompletedProcess:
    """``command`` as ``user``, with the environment their server's terminal has."""
    home = str(hub.homes / user)
    env = ["env", f"HOME={home}", f"USER={user}", f"COURSE_EXCHANGE={hub.state / 'exchange'}"]
    return subprocess.run(
        ["runuser", "-u", user, "--", *env, "COURSE_OFFLINE=1", *command],
        capture_output=True,
        text=True,
        cwd="/",
        **kwargs,
    )


def wait_for_hub(base: str, process: subprocess.Popen, log: Path, timeout: float = 900) -> None:
    """Poll the hub's API until it answers (make hub prepares first: minutes)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/hub/api/", timeout=5):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make hub did not start the hub:\n{log.read_text()[-4000:]}")
            time.sleep(2)


@pytest.fixture(scope="module")
def hub() -> Iterator[Hub]:
    """``make hub`` on free ports, its state and homes in a fresh folder; yields the hub."""
    if os.geteuid() != 0:
        skip_or_fail("the hub test runs as root (make hub creates a system user per hub user)")
    if not (COURSE / "hub" / "node_modules").is_dir() and not shutil.which("npm"):
        skip_or_fail("npm is missing (configurable-http-proxy comes from npm)")
    if shutil.which("runuser") is None:
        skip_or_fail("runuser (util-linux) is missing")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # this run's screenshots and timings only
    work = Path(tempfile.mkdtemp(prefix="cnn-hub-"))
    work.chmod(0o755)  # the class's accounts reach the exchange and their Python through it
    state, homes = work / "state", work / "home"
    port, hub_port, api_port = free_port(), free_port(), free_port()
    args = f"--state {state} --homes {homes} --port {port} --hub-port {hub_port} "
    args += f"--proxy-api-port {api_port}"
    env = dict(
        os.environ,
        COURSE_HUB_PASSWORD=PASSWORD,
        COURSE_HUB_ADMIN_PASSWORD=ADMIN_PASSWORD,
        COURSE_OFFLINE="1",
    )
    log = work / "make-hub.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "hub", f"HUB_ARGS={args}"],
            cwd=COURSE,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_hub(base, process, log)
        yield Hub(base, state, homes)
    finally:
        stop_group(process, grace=60)
        leftovers = [
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and _owner(p) in {hubrun.pwd.getpwnam(u).pw_uid for u in _users()}
        ]
        for pid in leftovers:  # servers the hub started for the class, if any survived it
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(log, ARTIFACTS / "make-hub.log")
        shutil.rmtree(work, ignore_errors=True)


def _users() -> list[str]:
    return [*ROSTER["instructors"], *ROSTER["students"]]


def _owner(proc: Path) -> int | None:
    try:
        return proc.stat().st_uid
    except OSError:
        return None


@pytest.fixture(scope="module")
def chromium():  # noqa: ANN201 (a Playwright Browser)
    """Headless Chromium driven by Playwright (skips, or fails in CI, when either is missing)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Python Playwright is not installed")
    executable = find_chromium()
    if executable is None:
        skip_or_fail("no Chromium found (apt-get install chromium-headless-shell)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def browser_login(browser, hub: Hub, user: str, password: str):  # noqa: ANN001, ANN201
    """A Chromium page logged in as ``user`` through the hub's login form, on their JupyterLab."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(f"{hub.base}/hub/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("[type=submit]")
    page.wait_for_url(re.compile(rf".*/user/{user}/lab.*"), timeout=300_000)
    page.wait_for_selector(".lm-MenuBar-itemLabel", timeout=300_000)
    return page


def shot(page, name: str, shots: list[Path]) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    shots.append(ARTIFACTS / name)


def open_assignment_list(page) -> Any:  # noqa: ANN001
    """Nbgrader ▸ Assignment List in a student's JupyterLab; returns the panel."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Assignment List$")).click()
    panel = page.locator("#nbgrader-assignment-list")
    panel.wait_for(timeout=120_000)
    return panel


def row(panel, listing: str) -> Any:  # noqa: ANN001
    """The lesson's row in one of the panel's lists (released, fetched, submitted)."""
    return panel.locator(f"#{listing}_assignments_list .list_item", has_text=LESSON).first


@pytest.mark.slow
def test_a_class_on_jupyterhub(hub: Hub, chromium, capsys: pytest.CaptureFixture) -> None:  # noqa: ANN001, PLR0915
    steps, shots = Steps(), []
    hub_log = (hub.state.parent / "make-hub.log").read_text()
    for name, seconds in re.findall(r"^hub: (.+) \(([\d.]+) s\)$", hub_log, re.M):
        steps.seconds[f"make hub: {name}"] = float(seconds)
    try:
        steps("instructor logs in, makes the class's tokens", hub.login_and_make_tokens)
        steps("three servers start", hub.start_servers)
        run_the_class(hub, chromium, steps, shots)
    except Exception:
        for n, page in enumerate(p for c in chromium.contexts for p in c.pages):
            shot(page, f"failed-{n}.png", shots)
        raise
    finally:
        table = steps.save()
        with capsys.disabled():
            print(f"\nhub test steps:\n{table}" + "".join(f"\nscreenshot: {p}" for p in shots))


def run_the_class(hub: Hub, chromium, steps: Steps, shots: list[Path]) -> None:  # noqa: ANN001
    api = f"/user/{INSTRUCTOR}/formgrader/api"
    copy = hub.homes / INSTRUCTOR / "cnn-course"

    # Who may see what.
    for student in ROSTER["students"]:
        assert hub.call("GET", f"/user/{student}/formgrader", student)[0] == 404
    assert (
        hub.call("GET", f"/user/{INSTRUCTOR}/formgrader/manage_assignments", INSTRUCTOR)[0] == 200
    )
    secret = COURSE / "solutions" / LESSON / f"{LESSON}.ipynb"
    assert as_user(SOLVED, ["cat", str(secret)], hub).returncode != 0, "a student read solutions/"
    assert as_user(SOLVED, ["ls", str(hub.homes / BLANK)], hub).returncode != 0
    python = hub.state / "envs" / "student" / "bin" / "python"
    probe = as_user(SOLVED, [str(python), "-c", "import helpers, grading"], hub)
    assert "No module named 'grading'" in probe.stderr, probe.stderr

    # 1. Release.
    released = steps(
        "instructor releases 01 (formgrader)",
        lambda: hub.ok("POST", f"{api}/assignment/{LESSON}/release", INSTRUCTOR),
    )
    assert "Released as: cnn-course 01-convolution" in released["log"], released
    teacher = browser_login(chromium, hub, INSTRUCTOR, ADMIN_PASSWORD)
    teacher.goto(f"{hub.base}/user/{INSTRUCTOR}/formgrader/manage_assignments")
    teacher.locator("tr", has_text=LESSON).first.wait_for(timeout=120_000)
    shot(teacher, "01-instructor-formgrader-released.png", shots)

    # 2. Fetch: ada in the browser, grace through the same API.
    page = steps(
        f"{SOLVED} logs in (Chromium)", lambda: browser_login(chromium, hub, SOLVED, PASSWORD)
    )
    panel = open_assignment_list(page)

    def fetch_in_browser() -> None:
        row(panel, "released").get_by_role("button", name="Fetch").click()
        row(panel, "fetched").wait_for(timeout=120_000)

    steps(f"{SOLVED} fetches 01 (Assignment List, Chromium)", fetch_in_browser)
    shot(page, "02-student-fetched.png", shots)
    steps(
        f"{BLANK} fetches 01 (assignment list API)",
        lambda: hub.ok("POST", f"/user/{BLANK}/assignments/fetch", BLANK, form=FORM),
    )
    for student in (SOLVED, BLANK):
        assert (hub.homes / student / LESSON / f"{LESSON}.ipynb").is_file()

    # 3. Submit: ada's answers (the solution's, as if typed), grace's blank notebook.
    solved = json.loads(nbformat.writes(synthetic.make_submission(LESSON)))
    hub.ok(
        "PUT",
        f"/user/{SOLVED}/api/contents/{LESSON}/{LESSON}.ipynb",
        SOLVED,
        body={"type": "notebook", "format": "json", "content": solved},
    )

    def submit_in_browser() -> None:
        row(panel, "fetched").get_by_role("button", name="Submit").click()
        row(panel, "submitted").wait_for(timeout=120_000)

    steps(f"{SOLVED} submits the solved notebook (Chromium)", submit_in_browser)
    shot(page, "03-student-submitted.png", shots)
    steps(
        f"{BLANK} submits the blank notebook (API)",
        lambda: hub.ok("POST", f"/user/{BLANK}/assignments/submit", BLANK, form=FORM),
    )

    # 4. Collect.
    steps(
        "instructor collects (formgrader)",
        lambda: hub.ok("POST", f"{api}/assignment/{LESSON}/collect", INSTRUCTOR),
    )
    for student in (SOLVED, BLANK):
        folder = copy / "submitted" / student / LESSON
        assert (folder / f"{LESSON}.ipynb").is_file() and (folder / "timestamp.txt").is_file()
    teacher.goto(f"{hub.base}/user/{INSTRUCTOR}/formgrader/manage_submissions/{LESSON}")
    teacher.wait_for_load_state("networkidle")
    shot(teacher, "04-instructor-collected.png", shots)

    # 5. make grade in the instructor's copy, as the instructor.
    make = ["make", "--no-print-directory", "-C", str(copy)]
    graded = steps(
        "instructor: make grade SUBMISSIONS=submitted OUT=grades",
        lambda: as_user(INSTRUCTOR, [*make, "grade", "SUBMISSIONS=submitted", "OUT=grades"], hub),
    )
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    with open(copy / "grades" / "grades.csv") as handle:
        grades = {r["student_id"]: r for r in csv.DictReader(handle)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(copy / "grades" / "grades.csv", ARTIFACTS / "grades.csv")
    assert set(grades) == {SOLVED, BLANK}, grades
    logs = "".join(p.read_text()[-3000:] for p in sorted((copy / "grades" / "logs").glob("*.log")))
    assert all(r["status"] == "graded" and r["assignment"] == LESSON for r in grades.values()), (
        f"{grades}\n{logs}"
    )
    assert float(grades[SOLVED]["score"]) == float(grades[SOLVED]["max_score"]) > 0, grades
    assert float(grades[BLANK]["score"]) == 0, grades

    # 6. Feedback back through the exchange; both students fetch theirs.
    returned = steps(
        "instructor: make return-feedback OUT=grades",
        lambda: as_user(INSTRUCTOR, [*make, "return-feedback", "OUT=grades"], hub),
    )
    assert returned.returncode == 0, returned.stdout + returned.stderr
    assert "feedback released to 2 student(s)" in returned.stdout, returned.stdout

    def feedback_in_browser() -> None:
        row(panel, "submitted").get_by_role("button", name="Fetch Feedback").click()
        row(panel, "submitted").get_by_text("view feedback").wait_for(timeout=120_000)

    steps(f"{SOLVED} fetches feedback (Chromium)", feedback_in_browser)
    shot(page, "05-student-feedback.png", shots)
    steps(
        f"{BLANK} fetches feedback (API)",
        lambda: hub.ok("POST", f"/user/{BLANK}/assignments/fetch_feedback", BLANK, form=FORM),
    )
    hidden = edition.hidden_lines(COURSE)[LESSON]
    for student in (SOLVED, BLANK):
        pages = list((hub.homes / student / LESSON / "feedback").glob(f"*/{LESSON}.html"))
        assert len(pages) == 1, f"{student}'s feedback: {pages}"
        text = pages[0].read_text()
        score, most = float(grades[student]["score"]), float(grades[student]["max_score"])
        assert re.search(rf"Score:\s*{score:g}(\.0+)?\s*/\s*{most:g}", text), (
            f"{student}'s page does not say {score:g} / {most:g}"
        )
        assert not [line for line in hidden if line in text], "hidden test code in feedback"
    mine = next((hub.homes / SOLVED / LESSON / "feedback").glob(f"*/{LESSON}.html"))
    relative = urllib.parse.quote(str(mine.relative_to(hub.homes / SOLVED)))
    page.goto(f"{hub.base}/user/{SOLVED}/files/{relative}")
    shot(page, "06-student-feedback-page.png", shots)
