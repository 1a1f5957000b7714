"""Colab and Binder: where the course is published, its badges, and the set-up on Colab.

One place says where the course lives: the ``[tool.course]`` table of ``pyproject.toml``.
Its ``student_repository`` (a GitHub URL) is the public repository of the *student edition*
(``make student-edition``: lessons and helpers, no solutions), and ``branch`` the branch
students open. From them this module builds

* each lesson's "Open in Colab" badge (README's syllabus and the top of every lesson);
* the "Launch Binder" badge (README), which opens JupyterLab on ``lessons/``;
* the ``pip install`` that each lesson's set-up cell runs on Colab, and only there.

All of them point at the student repository, in this repository and in the edition alike:
Colab and Binder cannot open a private repository, and must not open one holding solutions.
``repository`` names this (the instructor's, private) repository; it is never linked.

``python -m helpers.colab`` rewrites all of them in ``README.md`` and ``solutions/`` (in the
student edition, which has no ``solutions/``: ``lessons/``) from the configured values
(``make release`` then regenerates ``lessons/``); ``--check`` changes nothing, lists what
differs and exits 1, as the tests do. A fork edits ``[tool.course]``, runs both commands
and is done.

On Colab the set-up cell installs the course only when the ``cnn-course`` distribution is
not installed (its metadata, not a module name: a stray ``helpers.py`` cannot stop the
install), then calls :func:`report_colab` to name the runtime's GPU, or to say how to get
one. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COURSE_ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION = "cnn-course"
COLAB_BADGE_SVG = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE_SVG = "https://mybinder.org/badge_logo.svg"
GITHUB_REPO = re.compile(r"https://github\.com/(?P<slug>[\w.-]+/[\w.-]+?)(?:\.git)?/?")
# Links this module owns, whatever repository they point at now (so a rename is found).
COLAB_LINK = re.compile(
    r"https://colab\.research\.google\.com/github/[^\s)\"'<>]+?/lessons/(?P<lesson>[\w.-]+)/(?P=lesson)\.ipynb"
)
BINDER_LINK = re.compile(r"https://mybinder\.org/v2/gh/[^\s)\"'<>]+")
COLAB_BADGE_LINE = re.compile(r"^\[!\[Open in Colab\]\([^)]*\)\]\([^)]*\)\s*$", re.I)
SETUP_IMPORT = "from helpers import setup"

# The Colab block that opens each lesson's set-up cell, before ``from helpers import setup``.
# It must stand alone: on a fresh Colab runtime the helpers are not installed yet. Whether
# they are is read from the installed distribution's metadata, which a stray ``helpers.py``
# on the path does not fake. Colab already has TensorFlow, Keras, NumPy, ipywidgets and the
# rest within the ranges of pyproject.toml, so pip installs the course's package and nothing else.
COLAB_BLOCK = """\
import sys

if "google.colab" in sys.modules:  # on Colab: install the course's helpers once per runtime
    import importlib.metadata
    import subprocess

    COURSE = "{spec}"
    try:
        importlib.metadata.distribution("{distribution}")
    except importlib.metadata.PackageNotFoundError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE], check=True)
        importlib.invalidate_caches()
    from helpers.colab import report_colab

    report_colab()

"""


@dataclass(frozen=True)
class Course:
    """Where the course is published.

    ``student_repository``: the public GitHub repository of the student edition, which every
    badge and the Colab install point at; ``branch``: the branch students open;
    ``repository``: this (the instructor's) repository, optional and never linked.
    """

    student_repository: str
    branch: str = "main"
    repository: str | None = None

    def __post_init__(self) -> None:
        if not GITHUB_REPO.fullmatch(self.student_repository):
            raise ValueError(
                f"[tool.course] student_repository = {self.student_repository!r} is not a GitHub "
                "repository URL such as 'https://github.com/owner/name' (Colab opens notebooks "
                "from GitHub)"
            )
        if not re.fullmatch(r"[\w./-]+", self.branch):
            raise ValueError(f"[tool.course] branch = {self.branch!r} is not a branch name")
        if self.repository and _slug(self.repository).lower() == self.slug.lower():
            raise ValueError(
                f"[tool.course] student_repository is the instructor's repository "
                f"{self.repository!r}: students would get the solutions and hidden tests. "
                "Publish the student edition (make student-edition) to a repository of its own."
            )

    @property
    def slug(self) -> str:
        """``owner/name`` of the student repository."""
        return _slug(self.student_repository)

    @property
    def install_spec(self) -> str:
        """The pip requirement that installs the course's package from the student repository."""
        return f"{DISTRIBUTION} @ git+https://github.com/{self.slug}@{self.branch}"

    @property
    def colab_block(self) -> str:
        """The block that opens each lesson's set-up cell (installs the course on Colab)."""
        return COLAB_BLOCK.format(spec=self.install_spec, distribution=DISTRIBUTION)

    @property
    def binder_url(self) -> str:
        """mybinder.org, building this branch and opening JupyterLab on ``lessons/``."""
        return f"https://mybinder.org/v2/gh/{self.slug}/{self.branch}?urlpath=lab/tree/lessons"

    def colab_url(self, lesson: str) -> str:
        """Colab's address of the student notebook ``lessons/<lesson>/<lesson>.ipynb``."""
        return (
            f"https://colab.research.google.com/github/{self.slug}/blob/{self.branch}"
            f"/lessons/{lesson}/{lesson}.ipynb"
        )

    def colab_badge(self, lesson: str) -> str:
        """The Markdown "Open in Colab" badge of one lesson."""
        return f"[![Open in Colab]({COLAB_BADGE_SVG})]({self.colab_url(lesson)})"

    @property
    def binder_badge(self) -> str:
        """The Markdown "Launch Binder" badge."""
        return f"[![Launch Binder]({BINDER_BADGE_SVG})]({self.binder_url})"


def _slug(url: str) -> str:
    """``owner/name`` of a GitHub repository URL (the URL itself if it is not one)."""
    match = GITHUB_REPO.fullmatch(url)
    return match["slug"] if match else url


def load_course(pyproject: Path = COURSE_ROOT / "pyproject.toml") -> Course:
    """The :class:`Course` configured in ``pyproject.toml``'s ``[tool.course]`` table."""
    import tomllib

    try:
        table = tomllib.loads(pyproject.read_text())["tool"]["course"]
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{pyproject} not found: badges are made in a clone of the course's repository"
        ) from None
    except KeyError:
        raise KeyError(f"{pyproject} has no [tool.course] table") from None
    if "student_repository" not in table:
        raise KeyError(
            f"{pyproject}: [tool.course] has no student_repository (the public repository of "
            "the student edition, which every badge and the Colab install point at)"
        )
    return Course(
        str(table["student_repository"]),
        str(table.get("branch", "main")),
        str(table["repository"]) if table.get("repository") else None,
    )


# --------------------------------------------------------------------------- run time


def gpu_names() -> list[str]:
    """The GPUs ``nvidia-smi`` lists (no TensorFlow needed); empty where there is none."""
    try:
        result = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if result.returncode != 0:
        return []
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def report_colab() -> str:
    """Print (and return) one line naming Colab's GPU, or how to get one."""
    gpus = gpu_names()
    if gpus:
        line = f"Colab: GPU {gpus[0]}" + (f" (+{len(gpus) - 1} more)" if len(gpus) > 1 else "")
    else:
        line = (
            "Colab: this runtime has no GPU. Lessons 03–05 train much faster on one: "
            "Runtime ▸ Change runtime type ▸ T4 GPU, then run this cell again."
        )
    print(line)
    return line


# --------------------------------------------------------------------------- badges


def source_folder(root: Path = COURSE_ROOT) -> str:
    """Where the lessons' own notebooks are: ``solutions/`` here, ``lessons/`` in the edition."""
    return "solutions" if (root / "solutions").is_dir() else "lessons"


def lessons(root: Path = COURSE_ROOT) -> list[str]:
    """The lesson ids, from ``solutions/<lesson>/<lesson>.ipynb`` (or ``lessons/``)."""
    folder = root / source_folder(root)
    return sorted(p.parent.name for p in folder.glob("*/*.ipynb") if p.stem == p.parent.name)


def sync_readme(text: str, course: Course) -> str:
    """README text with every Colab and Binder link pointing at ``course``."""
    text = COLAB_LINK.sub(lambda m: course.colab_url(m["lesson"]), text)
    return BINDER_LINK.sub(course.binder_url, text)


def setup_cell(nb: Any) -> Any:
    """The lesson's read-only set-up cell (nbgrader ``grade_id: setup``)."""
    for cell in nb.cells:
        if (
            cell.cell_type == "code"
            and cell.metadata.get("nbgrader", {}).get("grade_id") == "setup"
        ):
            return cell
    raise ValueError("no set-up cell (a code cell with nbgrader grade_id 'setup')")


def sync_notebook(nb: Any, lesson: str, course: Course) -> Any:
    """Put ``course``'s Colab badge atop the first markdown cell and its install in the set-up cell.

    The badge replaces an earlier badge line; the Colab block replaces whatever precedes
    ``from helpers import setup`` in the set-up cell. nbgrader metadata is left untouched.
    """
    intro = next(c for c in nb.cells if c.cell_type == "markdown")
    lines = intro.source.splitlines()
    while lines and (COLAB_BADGE_LINE.match(lines[0]) or not lines[0].strip()):
        lines.pop(0)
    intro.source = "\n".join([course.colab_badge(lesson), "", *lines])
    cell = setup_cell(nb)
    start = cell.source.find(SETUP_IMPORT)
    if start < 0:
        raise ValueError(f"{lesson}: the set-up cell does not contain {SETUP_IMPORT!r}")
    cell.source = course.colab_block + cell.source[start:]
    return nb


def sync(root: Path = COURSE_ROOT, write: bool = True) -> list[str]:
    """Bring README.md and the notebooks in line with ``[tool.course]``; return what differed.

    The notebooks are ``solutions/`` in this repository (``make release`` carries the change
    to ``lessons/``) and ``lessons/`` in the student edition, which has no ``solutions/``.
    """
    import nbformat

    course = load_course(root / "pyproject.toml")
    stale = []
    readme = root / "README.md"
    text = readme.read_text()
    if sync_readme(text, course) != text:
        stale.append("README.md")
        if write:
            readme.write_text(sync_readme(text, course))
    for lesson in lessons(root):
        path = root / source_folder(root) / lesson / f"{lesson}.ipynb"
        nb = nbformat.read(path, as_version=4)
        before = nbformat.writes(nb)
        synced = sync_notebook(nb, lesson, course)
        if nbformat.writes(synced) != before:
            stale.append(str(path.relative_to(root)))
            if write:
                nbformat.write(synced, str(path))
    return stale


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or, with ``--check``, verify) the badges and Colab installs from pyproject.toml."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), help="the course folder (default: here)"
    )
    args = parser.parse_args(argv)
    stale = sync(args.root, write=not args.check)
    course = load_course(args.root / "pyproject.toml")
    for name in stale:
        print(f"{'stale' if args.check else 'rewrote'}: {name}")
    if args.check:
        if stale:
            print(f"Run `python -m helpers.colab` to point them at {course.student_repository}.")
        return int(bool(stale))
    if any(name.startswith("solutions/") for name in stale):
        print("Now run `make release` to regenerate lessons/.")
    print(f"Badges and Colab installs point at {course.student_repository} ({course.branch}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
