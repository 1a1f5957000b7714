"""binder/ builds what students need, as repo2docker reads it (no Docker, no network).

``repo2docker --no-build --debug`` prints the Dockerfile it would build: it must use
binder/ (not the conda file at the top level), the pinned Python, the requirements that
install this package from pyproject.toml, and postBuild. postBuild runs with a stand-in
``jupyter`` that records its commands, offline, and the extension names it toggles must exist
in the installed nbgrader, so a typo fails here rather than in a student's launch.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
from jupyter_core.paths import jupyter_path
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from grading import synthetic

COURSE = synthetic.COURSE
BINDER = COURSE / "binder"
PYPROJECT = tomllib.loads((COURSE / "pyproject.toml").read_text())
NBGRADER_LAB = "@jupyter/nbgrader"
STUDENT_LAB = {"validate-assignment", "assignment-list"}
INSTRUCTOR_LAB = {"formgrader", "create-assignment", "course-list"}
STUDENT_SERVER = {"validate_assignment", "assignment_list"}
INSTRUCTOR_SERVER = {"formgrader", "course_list"}


def binder_python() -> str:
    """The ``x.y`` Python version pinned in binder/runtime.txt."""
    match = re.fullmatch(r"python-(\d+\.\d+)\s*", (BINDER / "runtime.txt").read_text())
    assert match, "binder/runtime.txt must read like 'python-3.12'"
    return match[1]


@pytest.fixture(scope="module")
def dockerfile() -> str:
    """What repo2docker would build from this repository, without building it."""
    result = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug", str(COURSE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_repo2docker_builds_from_binder_with_the_pinned_python(dockerfile: str) -> None:
    python = binder_python()
    assert f"python={python}" in dockerfile, "repo2docker ignored binder/runtime.txt"
    assert "src/environment.yml" not in dockerfile, "binder/ must take precedence"
    install = 'pip install --no-cache-dir -r "binder/requirements.txt"'
    # A local requirement (`.`) is installed after the repository is copied in.
    assert dockerfile.index("COPY --chown=0:0 src/ ") < dockerfile.index(install)
    assert "RUN ./binder/postBuild" in dockerfile


def test_binder_python_is_one_the_dependencies_support() -> None:
    python = Version(binder_python())
    assert python in SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert python >= Version("3.11"), "nbgrader 0.9 and TensorFlow >= 2.16 need Python >= 3.11"


def test_binder_installs_this_package_from_pyproject() -> None:
    lines = [
        line.strip()
        for line in (BINDER / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines == ["--editable .[lab]"], (
        "one dependency list: pyproject.toml (with its lab extra)"
    )
    assert "lab" in PYPROJECT["project"]["optional-dependencies"]


def test_postbuild_is_executable_bash() -> None:
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "chmod +x binder/postBuild"
    assert post_build.read_text().startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(post_build)], check=True)


@pytest.fixture(scope="module")
def post_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[list[str]], str]:
    """Run binder/postBuild offline with a stand-in ``jupyter``: (its commands, its output)."""
    work = tmp_path_factory.mktemp("postbuild")
    (work / "bin").mkdir()
    stub = work / "bin" / "jupyter"
    stub.write_text('#!/bin/sh\necho "$*" >> "$JUPYTER_CALLS"\n')
    stub.chmod(0o755)
    calls = work / "calls.txt"
    env = dict(
        os.environ,
        PATH=os.pathsep.join(
            [str(stub.parent), str(Path(sys.executable).parent), os.environ["PATH"]]
        ),
        JUPYTER_CALLS=str(calls),
        COURSE_OFFLINE="1",
        COURSE_CACHE=str(work / "cache"),
    )
    result = subprocess.run(
        ["bash", "binder/postBuild"],
        cwd=COURSE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [line.split() for line in calls.read_text().splitlines()], result.stdout + result.stderr


def names(calls: list[list[str]], *command: str) -> set[str]:
    """The arguments (not options) of the recorded ``jupyter <command...>`` calls."""
    n = len(command)
    return {
        arg
        for call in calls
        if tuple(call[:n]) == command
        for arg in call[n:]
        if not arg.startswith("-")
    }


def test_postbuild_keeps_the_student_tools_and_disables_the_instructor_ones(post_build) -> None:
    calls, _ = post_build
    lab = {f"{NBGRADER_LAB}:{name}" for name in INSTRUCTOR_LAB}
    assert names(calls, "labextension", "disable") == lab
    assert names(calls, "labextension", "lock") == lab
    assert names(calls, "labextension", "enable") == {f"{NBGRADER_LAB}:{n}" for n in STUDENT_LAB}
    server = "nbgrader.server_extensions."
    assert names(calls, "server", "extension", "disable") == {server + n for n in INSTRUCTOR_SERVER}
    assert names(calls, "server", "extension", "enable") == {server + n for n in STUDENT_SERVER}
    for call in calls:
        if call[:2] == ["server", "extension"]:
            assert "--sys-prefix" in call, "the image's environment, where nbgrader enabled them"


def test_postbuild_prefetch_says_in_one_line_that_it_skipped_offline(post_build) -> None:
    _, output = post_build
    skipped = [line for line in output.splitlines() if line.startswith("Prefetch skipped")]
    assert len(skipped) == 1 and "COURSE_OFFLINE" in skipped[0], output


def test_the_extensions_postbuild_names_exist_in_nbgrader(post_build) -> None:
    calls, _ = post_build
    bundles = [
        Path(d) / NBGRADER_LAB / "static"
        for d in jupyter_path("labextensions")
        if (Path(d) / NBGRADER_LAB).is_dir()
    ]
    assert bundles, "nbgrader's JupyterLab extension is not installed"
    code = "".join(p.read_text(errors="replace") for p in bundles[0].glob("*.js"))
    for plugin in names(calls, "labextension", "disable") | names(calls, "labextension", "enable"):
        assert f'"{plugin}"' in code, f"no JupyterLab plugin {plugin} in nbgrader"
    for module in names(calls, "server", "extension", "disable") | names(
        calls, "server", "extension", "enable"
    ):
        assert importlib.util.find_spec(module), f"no server extension {module} in nbgrader"


def test_readme_has_the_binder_badge_that_opens_the_lessons() -> None:
    from helpers.colab import load_course

    course = load_course()
    assert course.binder_url.endswith("?urlpath=lab/tree/lessons")
    assert course.binder_badge in (COURSE / "README.md").read_text()


def test_prefetch_names_what_it_could_not_fetch(monkeypatch, capsys) -> None:
    from helpers import prefetch, runtime

    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr(prefetch, "reachable", lambda: True)
    monkeypatch.setattr(prefetch, "_bundled_digits", lambda: True)
    monkeypatch.setattr(runtime, "import_keras_quietly", lambda: None)
    items = {"MNIST": lambda: True, "CIFAR-10": lambda: False, "VGG16 weights": lambda: True}
    monkeypatch.setattr(prefetch, "ITEMS", items)
    assert prefetch.main([]) == 0
    assert prefetch.main(["--strict"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Prefetched 2/3 into ") and lines[0].endswith("missing: CIFAR-10.")


def test_prefetch_skips_in_one_line_when_the_host_is_unreachable(monkeypatch, capsys) -> None:
    from helpers import prefetch

    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr(prefetch, "reachable", lambda: False)
    monkeypatch.setattr(prefetch, "_bundled_digits", lambda: True)
    assert prefetch.main([]) == 0
    assert capsys.readouterr().out == (
        f"Prefetch skipped: offline ({prefetch.HOST} is unreachable); "
        "the lessons will use the bundled data.\n"
    )


def test_binder_starts_the_lessons_at_its_profile(dockerfile: str) -> None:
    start = BINDER / "start"
    assert os.access(start, os.X_OK) and start.read_text().startswith("#!/usr/bin/env bash\n")
    assert start.read_text().rstrip().endswith('exec "$@"'), "start must hand over to the server"
    assert 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in dockerfile
    env = {k: v for k, v in os.environ.items() if k != "COURSE_PROFILE"}
    shown = subprocess.run(
        ["bash", str(start), "env"], env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for setting in ("COURSE_PROFILE=quick", "COURSE_RUNTIME=binder", "TF_NUM_INTRAOP_THREADS=2"):
        assert setting in shown, shown
    chosen = subprocess.run(
        ["bash", str(start), "env"],
        env=dict(env, COURSE_PROFILE="full"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "COURSE_PROFILE=full" in chosen, "a profile chosen before the start is kept"


def test_a_lessons_first_cell_says_binder_runs_the_quick_profile_and_how_to_switch() -> None:
    from helpers import colab

    lesson = synthetic.lessons()[0]
    cell = colab.setup_cell(nbformat.read(synthetic.notebook_path(lesson, "lessons"), as_version=4))
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_PROFILE", "COURSE_RUNTIME")}
    result = subprocess.run(
        ["bash", str(BINDER / "start"), sys.executable, "-c", cell.source],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Profile: quick · Keras"), lines
    assert "Binder" in lines[1] and "%env COURSE_PROFILE=full" in lines[1], lines
    readme = (COURSE / "README.md").read_text()
    assert "binder/start" in readme and "%env COURSE_PROFILE=full" in readme
