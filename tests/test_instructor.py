"""Instructor tools from a fresh clone: nbgrader's own commands as the README documents them,
and `make formgrader` with every link of the formgrader working.

The fresh clone is a copy of this repository's files as `git clone` would give them
(tracked files, and new ones not ignored), with this environment as its ``.venv``. In it:
plain ``nbgrader autograde`` first fails the way the README warns; then the README's
"Using nbgrader's own commands" block runs line by line (``make gradebook`` limited to the
lesson graded here, ``LESSONS=01-convolution``, to save a minute), with a solved and a blank
submission placed where the README says; the grades, feedback and exchange are checked.
Then `make formgrader` serves that course, and every page of the formgrader is crawled over
HTTP: every link and script in its HTML, and the links its scripts build from its API
(assignment folders, submissions, the gradebook, students), must resolve.
"""

from __future__ import annotations

import csv
import html.parser
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from servers import free_port, stop_group

from grading import edition, synthetic

COURSE = synthetic.COURSE
LESSON = "01-convolution"
STUDENTS = {"ada": None, "bob": []}  # all answers, none
TOKEN = "formgrader-test"


def readme_block(title: str) -> list[str]:
    """The commands of the README's first bash block under ``### <title>``."""
    text = (COURSE / "README.md").read_text()
    section = text[text.index(f"### {title}") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S)[1]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone of the course, sharing this environment as its .venv."""
    root = tmp_path_factory.mktemp("fresh") / "cnn-course"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=COURSE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        if (COURSE / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(COURSE / name, root / name)
    venv = Path(sys.prefix)
    (root / ".venv").symlink_to(venv, target_is_directory=True)
    # This environment was installed from this pyproject.toml: make sees it as current.
    stamp = venv / ".installed"
    if stamp.exists():
        os.utime(root / "pyproject.toml", (stamp.stat().st_mtime - 1,) * 2)
    return root


def bash(commands: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """Run ``commands`` in one bash, stopping at the first that fails."""
    return subprocess.run(
        ["bash", "-c", "set -e\n" + "\n".join(commands)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("MAKE")}, **env},
    )


def place_submissions(course: Path) -> None:
    for student, answered in STUDENTS.items():
        target = course / "submitted" / student / LESSON / f"{LESSON}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(synthetic.make_submission(LESSON, answered, course), str(target))


@pytest.fixture(scope="module")
def graded(clone: Path) -> Path:
    """The README's nbgrader commands, run in the fresh clone; returns the clone."""
    place_submissions(clone)
    before = bash(["source .venv/bin/activate", f"nbgrader autograde {LESSON}"], clone)
    assert before.returncode != 0, "autograde worked without make gradebook: drop the step"
    assert re.search(r"No assignment .*exists", before.stdout + before.stderr), before.stderr
    shutil.rmtree(clone / "submitted")
    commands = readme_block("Using nbgrader's own commands")
    split = next(i for i, c in enumerate(commands) if c.startswith("nbgrader autograde"))
    steps = [c for c in commands if not c.startswith("#")]
    assert any(c == "make gradebook" for c in steps) and any("export" in c for c in steps)
    only = {"MAKEFLAGS": f"LESSONS={LESSON}"}  # make gradebook: the lesson graded here only
    first = bash([c for c in commands[:split] if not c.startswith("#")], clone, **only)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    outbound = clone / ".nbgrader" / "exchange" / "cnn-course" / "outbound" / LESSON
    assert (outbound / f"{LESSON}.ipynb").is_file(), "release_assignment used another exchange"
    place_submissions(clone)
    second = bash(["source .venv/bin/activate", *commands[split:]], clone)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    return clone


@pytest.mark.slow
def test_nbgrader_commands_from_the_readme_work_on_a_fresh_clone(graded: Path) -> None:
    solution = nbformat.read(synthetic.notebook_path(LESSON), as_version=4)
    most = sum(synthetic.points(solution).values())
    with open(graded / "grades.csv") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle) if r["assignment"] == LESSON}
    assert set(rows) == set(STUDENTS)
    assert float(rows["ada"]["score"]) == float(rows["ada"]["max_score"]) == most
    assert float(rows["bob"]["score"]) == 0
    hidden = edition.hidden_lines(COURSE)[LESSON]
    for student in STUDENTS:
        page = (graded / "feedback" / student / LESSON / f"{LESSON}.html").read_text()
        assert not [line for line in hidden if line in page], "feedback shows hidden tests"
    assert (graded / ".nbgrader" / "gradebook.db").is_file()


class Links(html.parser.HTMLParser):
    """The ``href`` and ``src`` values of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [v for k, v in attrs if k in ("href", "src") and v]


@pytest.fixture(scope="module")
def formgrader(graded: Path) -> Iterator[str]:
    """`make formgrader` serving the graded clone on a free port; yields its URL."""
    port = free_port()
    flags = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={TOKEN}"
    server = subprocess.Popen(
        ["make", "--no-print-directory", "formgrader", f"FORMGRADER_FLAGS={flags}"],
        cwd=graded,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("MAKE")},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                get(f"{base}/api/status")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "make formgrader did not start in 180 s"
                time.sleep(1)
        yield base
    finally:
        stop_group(server)


def get(url: str) -> tuple[int, str, str]:
    """GET with the server's token: (status, final URL, body)."""
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.geturl(), response.read().decode(errors="replace")


def api(base: str, path: str) -> object:
    return json.loads(get(f"{base}/formgrader/api/{path}")[2])


@pytest.mark.slow
def test_make_formgrader_serves_the_course_root_and_every_link_resolves(formgrader: str) -> None:
    base = formgrader
    status, landing, page = get(f"{base}/formgrader")
    assert status == 200 and landing.split("?")[0] == f"{base}/formgrader/manage_assignments"
    prefix = re.search(r'var url_prefix = "([^"]*)"', page)[1]
    assert not prefix.startswith(".."), "the course root is outside the server's root"

    # Pages the formgrader's scripts link to, built from its API as they build them.
    pages = {
        "/formgrader/manage_assignments",
        "/formgrader/gradebook",
        "/formgrader/manage_students",
    }
    folders = set()
    for assignment in api(base, "assignments"):
        name = assignment["name"]
        pages |= {f"/formgrader/manage_submissions/{name}", f"/formgrader/gradebook/{name}"}
        for key in ("source_path", "release_path"):
            if assignment.get(key):
                folders.add(posixpath.normpath(f"{prefix}/{assignment[key]}"))
        for notebook in api(base, f"notebooks/{name}"):
            pages.add(f"/formgrader/gradebook/{name}/{notebook['name']}")
            for submitted in api(base, f"submitted_notebooks/{name}/{notebook['name']}"):
                pages.add(f"/formgrader/submissions/{submitted['id']}")
    for student in api(base, "students"):
        pages.add(f"/formgrader/manage_students/{student['id']}")
        pages.add(f"/formgrader/manage_students/{student['id']}/{LESSON}")
    assert f"solutions/{LESSON}" in folders and f"lessons/{LESSON}" in folders
    assert sum(p.startswith("/formgrader/submissions/") for p in pages) == len(STUDENTS)
    for folder in folders:  # what "open this folder" shows in JupyterLab
        listing = json.loads(get(f"{base}/api/contents/{urllib.parse.quote(folder)}")[2])
        assert listing["type"] == "directory" and listing["content"], folder

    # Crawl: every link and script of every page, and every page they lead to.
    seen, queue, broken, external = set(), sorted(pages), [], set()
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        url = urllib.parse.urljoin(f"{base}/", path.lstrip("/"))
        try:
            status, final, body = get(url)
        except urllib.error.HTTPError as error:
            broken.append(f"{path}: {error.code}")
            continue
        is_page = path.startswith("/formgrader/") and not path.startswith("/formgrader/static")
        if not is_page or "/api/" in path or not body.lstrip().startswith("<"):
            continue
        links = Links()
        links.feed(body)
        for link in links.found:
            if link.startswith(("#", "javascript:", "data:", "mailto:")):
                continue
            absolute = urllib.parse.urljoin(final, link)
            if not absolute.startswith(base):
                external.add(urllib.parse.urlsplit(absolute).netloc)
                continue
            target = urllib.parse.urlsplit(absolute).path
            if target not in seen:
                queue.append(target)
    assert not broken, f"broken formgrader links: {broken}"
    assert len(seen) > len(pages) + 10, f"only {len(seen)} URLs crawled"
    # Off-line here: nbgrader's documentation, the MathJax its submission view loads, and the
    # Colab badge image of the lesson it shows.
    assert external <= {
        "nbgrader.readthedocs.io",
        "cdnjs.cloudflare.com",
        "colab.research.google.com",
    }, external

    # The instructor's JupyterLab: the formgrader and create-assignment plugins are on.
    _, _, lab = get(f"{base}/lab")
    disabled = json.loads(re.search(r'"disabledExtensions": (\[[^\]]*\])', lab)[1])
    assert not {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"} & set(
        disabled
    ), disabled
