"""The student edition: what students get, written as a repository of its own.

    make student-edition DEST=<dir> [GIT=1]
    python -m grading.edition DEST [--git] [--force]

This repository is the instructor's: ``solutions/`` holds every answer and hidden test.
Students get the *student edition*, pushed to ``[tool.course] student_repository``, which
every Colab and Binder badge and the Colab install point at. It holds

* ``lessons/`` (the student notebooks nbgrader generates), ``helpers/`` (the package the
  lessons import), ``binder/`` (Binder builds its image from the edition) and
  ``jupyter-config/student/`` (JupyterLab with the student tools only);
* a student ``README.md`` (how to start on Colab, Binder or a laptop, how to submit, the
  syllabus), a ``Makefile`` (``make lab``, ``make check``), ``nbgrader_config.py`` for the
  Validate button, ``environment.yml``, ``.gitignore``, the licenses, and a
  ``pyproject.toml`` that installs ``helpers`` with the lessons' dependencies and the
  ``lab`` extra (no grading package, no test tools);

and nothing else: no ``solutions/``, no ``grading/``, no tests. Before writing, every line
of every solution notebook's hidden tests is searched for in the edition (:func:`leaks`);
one found stops the build. A solution that a helpers function reproduces is reported too.

``DEST`` may be an empty or new folder, or a clone of the student repository (its ``.git``
is kept and everything else replaced: commit and push the difference). ``--git`` makes a new
repository in ``DEST`` with one commit.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from helpers import colab

COURSE = Path(__file__).resolve().parent.parent
TEMPLATES = COURSE / "edition"
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
# Folders copied whole (Python caches left out), and single files copied as they are.
FOLDERS = ("lessons", "helpers", "binder", "jupyter-config/student")
FILES = ("LICENSE", "LICENSE-CONTENT.md")
# From edition/: written as they are (gitignore becomes .gitignore).
TEMPLATE_FILES = {"Makefile": "Makefile", "nbgrader_config.py": "nbgrader_config.py"}
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.corrupt")
# The course README's sections the student README repeats (<!-- edition:section NAME -->).
SECTION = re.compile(r"^<!-- edition:section (.+?) -->$", re.M)
IMAGE = re.compile(r"!\[[^\]]*\]\((?!https?://)([^)\s]+)\)")
MIN_LINE = 12  # shorter hidden-test lines (`else:`, `assert ok`) say nothing on their own


class EditionError(RuntimeError):
    """The edition cannot be written (a leak, a bad destination, a missing file)."""


@dataclass(frozen=True)
class Leak:
    """A hidden-test line of a lesson found in a file of the edition."""

    lesson: str
    line: str
    where: str

    def __str__(self) -> str:
        return f"{self.where}: hidden test of {self.lesson}: {self.line}"


# --------------------------------------------------------------------------- what leaks


def _blocks(pattern: re.Pattern[str], nb: nbformat.NotebookNode) -> list[str]:
    return [block for cell in nb.cells for block in pattern.findall(cell.source)]


def _distinctive(block: str) -> list[str]:
    return [
        line.strip()
        for line in block.splitlines()
        if len(line.strip()) > MIN_LINE and not line.strip().startswith("#")
    ]


def hidden_lines(course: Path = COURSE) -> dict[str, set[str]]:
    """Per lesson, the hidden-test lines of its solution notebook that a student must not see.

    A line that students are shown anyway, anywhere in the course (a visible test, a
    demonstration cell, a stub of any lesson: the solution notebooks without their hidden
    tests and solutions; the helpers' own code, such as ``x = np.asarray(x)``), is not
    secret and is left out; so are short lines and comments.
    """
    solutions = {
        lesson: nbformat.read(course / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
        for lesson in colab.lessons(course)
    }
    visible = "\n".join(
        SOLUTION.sub("", HIDDEN.sub("", cell.source))
        for nb in solutions.values()
        for cell in nb.cells
    )
    visible += "\n".join(p.read_text() for p in sorted((course / "helpers").glob("*.py")))
    return {
        lesson: {
            line
            for block in _blocks(HIDDEN, nb)
            for line in _distinctive(block)
            if line not in visible
        }
        for lesson, nb in solutions.items()
    }


def searchable_text(path: Path) -> str | None:
    """A file's text as a student reads it (a notebook's cell sources and outputs), or None."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    if b"\0" in raw[:8192]:
        return None  # binary: images
    text = raw.decode("utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            nb = nbformat.reads(text, as_version=4)
        except Exception:  # not a notebook after all: search the raw text
            return text
        parts = []
        for cell in nb.cells:
            parts.append(cell.source)
            for output in cell.get("outputs", []):
                parts.append(output.get("text", ""))
                parts.extend(str(v) for v in output.get("data", {}).values())
        return text + "\n" + "\n".join(parts)
    return text


def files_under(root: Path) -> list[Path]:
    """Every file under ``root`` except ``.git``."""
    return sorted(
        p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts
    )


def leaks(edition: Path, course: Path = COURSE) -> list[Leak]:
    """Every hidden-test line of every solution notebook found in any file of ``edition``."""
    secrets = hidden_lines(course)
    found = []
    for path in files_under(edition):
        text = searchable_text(path)
        if text is None:
            continue
        for lesson, lines in secrets.items():
            found.extend(
                Leak(lesson, line, str(path.relative_to(edition))) for line in lines if line in text
            )
    return found


def answers_in_helpers(course: Path = COURSE) -> list[str]:
    """Helpers functions that reproduce an exercise's solution (most of its lines, 3 or more)."""
    functions = {}
    for path in sorted((course / "helpers").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                source = ast.get_source_segment(path.read_text(), node) or ""
                functions[f"helpers/{path.name}: {node.name}()"] = {
                    line.strip() for line in source.splitlines()
                }
    found = []
    for lesson in colab.lessons(course):
        solution = nbformat.read(course / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
        for block in _blocks(SOLUTION, solution):
            lines = _distinctive(block)
            if len(lines) < 3:
                continue
            for name, body in functions.items():
                shared = sum(line in body for line in lines)
                if shared >= 3 and shared >= 0.6 * len(lines):
                    found.append(f"{name} reproduces a solution of {lesson} ({lines[0]} ...)")
    return sorted(set(found))


# --------------------------------------------------------------------------- what is written


def pyproject_text(course: Path = COURSE) -> str:
    """The edition's pyproject.toml: the course's package minus grading, tests and tools."""
    data = tomllib.loads((course / "pyproject.toml").read_text())
    project, table = data["project"], data["tool"]["course"]
    lab = project["optional-dependencies"]["lab"]

    def strings(values: Iterable[str]) -> str:
        return "[\n" + "".join(f"    {json.dumps(v)},\n" for v in values) + "]"

    return f"""\
# The student edition of the course (written by `make student-edition` from the
# instructor's repository; change it there).
[build-system]
requires = {json.dumps(data["build-system"]["requires"])}
build-backend = {json.dumps(data["build-system"]["build-backend"])}

[project]
name = {json.dumps(project["name"])}
version = {json.dumps(project["version"])}
description = {json.dumps(project["description"])}
readme = "README.md"
requires-python = {json.dumps(project["requires-python"])}
license = {json.dumps(project["license"])}
license-files = {json.dumps(project["license-files"])}
# What a lesson needs at run time (Colab already has all of it).
dependencies = {strings(project["dependencies"])}

[project.optional-dependencies]
# JupyterLab with nbgrader's Validate button and assignment list (`make lab`, Binder).
lab = {strings(lab)}

# Where this edition is published: every Colab and Binder badge and the Colab install in each
# lesson's set-up cell point here (`python -m helpers.colab --check` verifies them).
[tool.course]
student_repository = {json.dumps(table["student_repository"])}
branch = {json.dumps(table.get("branch", "main"))}

[tool.setuptools]
packages = ["helpers"]
"""


def readme_sections(text: str) -> dict[str, str]:
    """The ``## `` sections of a Markdown file by title, each with its heading."""
    parts = re.split(r"^(?=## )", text, flags=re.M)
    return {part.splitlines()[0][3:].strip(): part.rstrip() + "\n" for part in parts[1:]}


def readme_text(course: Path = COURSE) -> str:
    """The student README: edition/README.md with badges and the course README's sections."""
    config = colab.load_course(course / "pyproject.toml")
    sections = readme_sections((course / "README.md").read_text())
    template = (TEMPLATES / "README.md").read_text()
    first = colab.lessons(course)[0]
    text = template.replace(
        "<!-- edition:badges -->", f"{config.colab_badge(first)}\n{config.binder_badge}"
    )

    def section(match: re.Match[str]) -> str:
        name = match[1]
        if name not in sections:
            raise EditionError(f"README.md has no '## {name}' section for the student README")
        return sections[name].rstrip()

    return colab.sync_readme(SECTION.sub(section, text), config)


def environment_text(course: Path = COURSE) -> str:
    """environment.yml for the edition: the course's, installing the ``lab`` extra."""
    text = (course / "environment.yml").read_text()
    if "--editable .[test]" not in text:
        raise EditionError("environment.yml does not install '--editable .[test]'")
    return text.replace("--editable .[test]", "--editable .[lab]")


def check_destination(dest: Path, course: Path, force: bool) -> None:
    """Refuse a destination inside this repository, or one that holds something else."""
    dest, course = dest.resolve(), course.resolve()
    if dest == course or course in dest.parents or dest in course.parents:
        raise EditionError(
            f"{dest} is inside (or holds) the instructor's repository: write the edition elsewhere"
        )
    if dest.exists() and not dest.is_dir():
        raise EditionError(f"{dest} is a file")
    others = [p for p in dest.iterdir() if p.name != ".git"] if dest.exists() else []
    if others and not (dest / ".git").exists() and not force:
        raise EditionError(
            f"{dest} is not empty and not a clone of the student repository: "
            "choose an empty folder, or --force to replace what is there"
        )


def build(staging: Path, course: Path = COURSE) -> None:
    """Write the edition into the empty folder ``staging``; raise :class:`EditionError` on a leak."""
    for folder in FOLDERS:
        if not (course / folder).is_dir():
            raise EditionError(f"{folder}/ is missing from the course")
        shutil.copytree(course / folder, staging / folder, ignore=SKIP, symlinks=False)
    for name in FILES:
        shutil.copy2(course / name, staging / name)
    for source, target in TEMPLATE_FILES.items():
        shutil.copy2(TEMPLATES / source, staging / target)
    shutil.copy2(TEMPLATES / "gitignore", staging / ".gitignore")
    readme = readme_text(course)
    (staging / "README.md").write_text(readme)
    for image in IMAGE.findall(readme):
        (staging / image).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(course / image, staging / image)
    (staging / "pyproject.toml").write_text(pyproject_text(course))
    (staging / "environment.yml").write_text(environment_text(course))
    stale = colab.sync(staging, write=False)
    if stale:
        raise EditionError(
            f"links that do not point at the student repository in {', '.join(stale)}: "
            "run `python -m helpers.colab` and `make release`"
        )
    found = leaks(staging, course)
    if found:
        listed = "\n  ".join(map(str, found[:20]))
        more = f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""
        raise EditionError(
            f"the edition would show hidden tests; nothing written:\n  {listed}{more}"
        )


def write(dest: Path, course: Path = COURSE, force: bool = False) -> list[str]:
    """Write the edition into ``dest``; return its files (relative paths), or raise on a leak.

    The edition is built and searched in a folder beside ``dest`` first, so a failed build
    leaves ``dest`` as it was.
    """
    check_destination(dest, course, force)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".student-edition-", dir=dest.parent) as tmp:
        build(Path(tmp), course)
        dest.mkdir(exist_ok=True)
        for old in dest.iterdir():  # a clone keeps its history; everything else is rewritten
            if old.name != ".git":
                shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()
        for item in Path(tmp).iterdir():
            shutil.move(str(item), dest / item.name)
    return [str(p.relative_to(dest)) for p in files_under(dest)]


def git_commit(dest: Path, message: str) -> str:
    """``git init`` (if needed), add everything and commit; return the commit's id."""

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=dest, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise EditionError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    if not (dest / ".git").exists():
        branch = colab.load_course(dest / "pyproject.toml").branch
        git("init", "--quiet", "--initial-branch", branch)
    identity = []
    if not subprocess.run(["git", "config", "user.name"], cwd=dest, capture_output=True).stdout:
        identity = ["-c", "user.name=CNN course", "-c", "user.email=cnn-course@localhost"]
    git("add", "--all")
    git(*identity, "commit", "--quiet", "--allow-empty", "-m", message)
    return git("rev-parse", "HEAD")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m grading.edition DEST [--git] [--force]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="the folder to write (new, empty, or a clone)")
    parser.add_argument("--git", action="store_true", help="commit it (git init if needed)")
    parser.add_argument("--force", action="store_true", help="replace a non-empty folder")
    args = parser.parse_args(argv)
    try:
        files = write(args.dest, COURSE, args.force)
    except EditionError as error:
        print(f"make student-edition: {error}", file=sys.stderr)
        return 1
    config = colab.load_course(COURSE / "pyproject.toml")
    secrets = sum(map(len, hidden_lines(COURSE).values()))
    print(
        f"Student edition in {args.dest}: {len(files)} files; none of the {secrets} hidden-test "
        f"lines of the solutions is in it. Push it to {config.student_repository} "
        f"({config.branch})."
    )
    for warning in answers_in_helpers(COURSE):
        print(f"warning: {warning}: students can call it", file=sys.stderr)
    if args.git:
        commit = git_commit(args.dest, "Student edition of the CNN course")
        print(f"Committed {commit[:12]} in {args.dest}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
