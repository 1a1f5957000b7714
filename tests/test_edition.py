"""The student edition (`make student-edition`): what students get, and nothing more.

A module-wide edition is built once in a temporary folder and checked: its file list, every
hidden-test line of every solution notebook searched for in every file (and the search
shown to find a planted one), links that all point at the student repository, a package of
its own, and its own README's commands run from it: the install in a fresh virtual
environment (``--no-deps --no-build-isolation``: the dependencies are this environment's,
seen through a ``.pth`` file, so nothing is downloaded; ``pip check`` shows they satisfy
the edition's requirements), then ``make check`` on a lesson and ``make lab``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest
from servers import free_port, stop_group

from grading import edition, synthetic
from helpers import colab

COURSE = synthetic.COURSE
LESSONS = synthetic.lessons()
CONFIG = colab.load_course(COURSE / "pyproject.toml")
PROJECT = tomllib.loads((COURSE / "pyproject.toml").read_text())["project"]
HELPERS = sorted(p.name for p in (COURSE / "helpers").glob("*.py"))
EXPECTED = {
    ".gitignore",
    "LICENSE",
    "LICENSE-CONTENT.md",
    "Makefile",
    "README.md",
    "environment.yml",
    "nbgrader_config.py",
    "pyproject.toml",
    "docs/explorer.png",
    "jupyter-config/student/jupyter_server_config.json",
    "jupyter-config/student/labconfig/page_config.json",
    *(f"binder/{p.name}" for p in (COURSE / "binder").iterdir() if p.is_file()),
    *(f"helpers/{name}" for name in HELPERS),
    *(f"lessons/{lesson}/{lesson}.ipynb" for lesson in LESSONS),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The edition, written as `make student-edition DEST=<dir>` writes it."""
    dest = tmp_path_factory.mktemp("edition") / "cnn-course"
    return dest, edition.write(dest, COURSE)


def test_the_edition_holds_what_students_need_and_nothing_else(built) -> None:
    dest, files = built
    assert set(files) == EXPECTED, (
        f"unexpected: {sorted(set(files) - EXPECTED)}; missing: {sorted(EXPECTED - set(files))}"
    )
    for folder in ("solutions", "grading", "tests", "hub", "edition", ".ci", "bench"):
        assert not (dest / folder).exists()


def test_no_hidden_test_line_of_any_solution_is_anywhere_in_the_edition(built) -> None:
    dest, _ = built
    secrets = edition.hidden_lines(COURSE)
    assert set(secrets) == set(LESSONS)
    for lesson, lines in secrets.items():
        assert len(lines) >= 10, f"{lesson}: only {len(lines)} hidden-test lines to search for"
    assert edition.leaks(dest, COURSE) == []


def test_the_search_finds_a_hidden_test_wherever_it_is(built, tmp_path: Path) -> None:
    dest, _ = built
    planted = tmp_path / "planted"
    shutil.copytree(dest, planted)
    lesson = LESSONS[0]
    shutil.copy2(synthetic.notebook_path(lesson), planted / "lessons" / lesson)
    line = sorted(edition.hidden_lines(COURSE)[LESSONS[-1]])[0]
    with open(planted / "helpers" / "checks.py", "a") as handle:
        handle.write(f"\n# {line}\n")
    found = edition.leaks(planted, COURSE)
    assert {leak.where for leak in found} == {
        f"lessons/{lesson}/{lesson}.ipynb",
        "helpers/checks.py",
    }
    assert any(leak.lesson == LESSONS[-1] and leak.line == line for leak in found)


def test_a_leaking_course_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    dest = tmp_path / "student"
    dest.mkdir()
    (dest / "kept.txt").write_text("the folder is left as it was")
    monkeypatch.setattr(
        edition, "leaks", lambda *_: [edition.Leak(LESSONS[0], "x = secret()", "helpers/x.py")]
    )
    with pytest.raises(edition.EditionError, match="hidden tests"):
        edition.write(dest, COURSE, force=True)
    assert [p.name for p in dest.iterdir()] == ["kept.txt"]


def test_helpers_hold_no_reference_answer() -> None:
    """A helpers function that reproduces an exercise's solution hands students the answer."""
    assert edition.answers_in_helpers(COURSE) == []


def test_every_link_points_at_the_student_repository(built) -> None:
    dest, _ = built
    assert colab.main(["--check", "--root", str(dest)]) == 0
    readme = (dest / "README.md").read_text()
    assert CONFIG.binder_badge in readme
    for lesson in LESSONS:
        assert CONFIG.colab_badge(lesson) in readme
        nb = nbformat.read(dest / "lessons" / lesson / f"{lesson}.ipynb", as_version=4)
        assert colab.setup_cell(nb).source.startswith(CONFIG.colab_block)
    text = "\n".join(edition.searchable_text(p) or "" for p in dest.rglob("*") if p.is_file())
    slugs = re.findall(r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/", text)
    slugs += re.findall(r"mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/", text)
    slugs += re.findall(r"git\+https://github\.com/([\w.-]+/[\w.-]+)@", text)
    assert len(slugs) > 2 * len(LESSONS) and set(slugs) == {CONFIG.slug}, set(slugs)
    assert colab.Course(CONFIG.repository).slug not in text, "the instructor's repository is named"


def test_refuses_a_destination_inside_the_course_or_holding_something_else(tmp_path) -> None:
    with pytest.raises(edition.EditionError, match="inside"):
        edition.write(COURSE / "student-edition", COURSE)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(edition.EditionError, match="not empty"):
        edition.write(tmp_path, COURSE)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_make_student_edition_with_git_commits_it_and_updates_a_clone(tmp_path: Path) -> None:
    dest = tmp_path / "cnn-course"
    result = subprocess.run(
        ["make", "--no-print-directory", "student-edition", f"DEST={dest}", "GIT=1"],
        cwd=COURSE,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "none of the" in result.stdout and "hidden-test lines" in result.stdout
    git = ["git", "-C", str(dest)]
    log = subprocess.run([*git, "log", "--format=%s"], capture_output=True, text=True).stdout
    assert log.strip() == "Student edition of the CNN course"
    branch = subprocess.run([*git, "branch", "--show-current"], capture_output=True, text=True)
    assert branch.stdout.strip() == CONFIG.branch
    tracked = subprocess.run([*git, "ls-files"], capture_output=True, text=True).stdout.split()
    assert set(tracked) == EXPECTED
    # Writing again into the clone keeps its history and changes nothing.
    again = subprocess.run(
        [sys.executable, "-m", "grading.edition", str(dest)], cwd=COURSE, capture_output=True
    )
    assert again.returncode == 0
    status = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == "", status.stdout


def test_its_package_is_the_helpers_with_the_lessons_dependencies(built, tmp_path) -> None:
    dest, _ = built
    project = tomllib.loads((dest / "pyproject.toml").read_text())
    assert project["project"]["name"] == PROJECT["name"] == colab.DISTRIBUTION
    assert project["project"]["dependencies"] == PROJECT["dependencies"]
    assert project["project"]["optional-dependencies"] == {
        "lab": PROJECT["optional-dependencies"]["lab"]
    }
    assert project["tool"]["setuptools"]["packages"] == ["helpers"]
    assert project["tool"]["course"] == {
        "student_repository": CONFIG.student_repository,
        "branch": CONFIG.branch,
    }
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(dest)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("cnn_course-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(n.split("/")[1] for n in names if n.startswith("helpers/")) == HELPERS
    assert not [n for n in names if n.split("/")[0] not in {"helpers"} and ".dist-info" not in n]


def test_its_nbgrader_settings_are_the_graders(built) -> None:
    from traitlets.config.loader import PyFileConfigLoader

    dest, _ = built
    student = PyFileConfigLoader("nbgrader_config.py", path=str(dest)).load_config()
    instructor = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE)).load_config()
    for section in ("Execute", "IgnorePattern", "LimitOutput"):
        assert student[section] == instructor[section], section
    assert student.CourseDirectory.course_id == instructor.CourseDirectory.course_id
    assert "db_url" not in student.CourseDirectory and "Exchange" not in student


def test_binder_builds_from_the_edition(built) -> None:
    dest, _ = built
    result = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug", str(dest)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    dockerfile = result.stdout + result.stderr
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in dockerfile
    assert "RUN ./binder/postBuild" in dockerfile
    assert "binder/start" in dockerfile, "Binder starts the lessons at its profile"


@pytest.fixture(scope="module")
def student_venv(built) -> Path:
    """The README's install, in a fresh venv inside the edition (deps seen through a .pth)."""
    dest, _ = built
    venv = dest / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    site = next(venv.glob("lib/python*/site-packages"))
    # The venv's bundled setuptools may predate the edition's build requirement (>=77): like
    # the other build and run-time dependencies, it comes from this environment instead.
    subprocess.run(
        [str(venv / "bin" / "pip"), "uninstall", "--quiet", "--yes", "setuptools"],
        capture_output=True,
        timeout=300,
    )
    paths = sysconfig.get_paths()
    (site / "course-deps.pth").write_text(f"{paths['purelib']}\n{paths['platlib']}\n")
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--editable", ".[lab]"],
        cwd=dest, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    (venv / ".installed").touch()  # what `make lab` would have done after the same install
    return venv


@pytest.mark.slow
def test_the_readme_install_gives_the_editions_helpers(built, student_venv: Path) -> None:
    dest, _ = built
    readme = (dest / "README.md").read_text()
    assert '.venv/bin/pip install --editable ".[lab]"' in readme
    probe = subprocess.run(
        [str(student_venv / "bin" / "python"), "-c",
         "import helpers, importlib.metadata as m; print(helpers.__file__); "
         "print(m.distribution('cnn-course').metadata['Name']); import grading"],
        cwd="/", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    lines = probe.stdout.splitlines()
    assert lines[:2] == [str(dest / "helpers" / "__init__.py"), "cnn-course"], probe.stdout
    assert "No module named 'grading'" in probe.stderr
    check = subprocess.run(
        [str(student_venv / "bin" / "pip"), "check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout


@pytest.mark.slow
def test_make_check_runs_a_lessons_checks_as_the_grader_does(built, student_venv) -> None:
    dest, _ = built
    result = subprocess.run(
        ["make", "--no-print-directory", "check", f"LESSON={LESSONS[0]}"],
        cwd=dest,
        capture_output=True,
        text=True,
        timeout=900,
        env={k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "MAKE"))},
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert f"== {LESSONS[0]}" in out and "VALIDATION FAILED" in out, out[-3000:]
    assert "NotImplementedError" in out, "the blank lesson's exercises are reported"


@pytest.mark.slow
def test_make_lab_opens_the_lessons_with_the_student_tools_only(built, student_venv) -> None:
    dest, _ = built
    port, token = free_port(), "edition-test"
    flags = (
        f"--ServerApp.root_dir=lessons --no-browser --ip=127.0.0.1 --port={port} "
        f"--IdentityProvider.token={token}"
    )
    server = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_FLAGS={flags}"],
        cwd=dest,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=5) as r:
                    listed = {item["name"] for item in json.loads(r.read())["content"]}
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "make lab did not start within 180 s"
                time.sleep(1)
        assert set(LESSONS) <= listed
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=30) as response:
            page = response.read().decode()
        disabled = json.loads(re.search(r'"disabledExtensions": (\[[^\]]*\])', page)[1])
        assert "@jupyter/nbgrader:formgrader" in disabled
        assert "@jupyter/nbgrader:validate-assignment" not in disabled
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"{base}/formgrader?token={token}", timeout=30)
    finally:
        stop_group(server)
