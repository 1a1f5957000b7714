"""Colab: badges from the one configured URL, and each lesson's set-up cell on a simulated Colab.

The simulation runs a lesson's real set-up cell in a fresh Python with a stand-in
``google.colab`` module, the course's helpers reported as not installed yet, and
``subprocess.run`` recording the ``pip install`` (and answering ``nvidia-smi``) instead of
running them. Outside the simulation the same cell must not install or print anything extra.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from grading import synthetic
from helpers import colab

COURSE = synthetic.COURSE
LESSONS = synthetic.lessons()
CONFIG = colab.load_course(COURSE / "pyproject.toml")
# What Colab's runtime ships (checked 2026): the Colab install must leave all of it alone.
COLAB_PYTHON = "3.13"
COLAB_PACKAGES = {
    "tensorflow": "2.20.0",
    "keras": "3.13.0",
    "ipywidgets": "7.7.1",
    "numpy": "2.0.2",
    "matplotlib": "3.10.0",
    "scikit-learn": "1.6.1",
    "pillow": "11.3.0",
    "mlxtend": "0.23.4",
}
SIMULATION = Path(__file__).with_name("colab_simulation.py")


def setup_cell(lesson: str, folder: str = "solutions") -> str:
    nb = nbformat.read(synthetic.notebook_path(lesson, folder), as_version=4)
    return colab.setup_cell(nb).source


def simulate(cell: str, tmp_path: Path) -> list[tuple[list, str]]:
    """Run ``cell`` off Colab, then twice on a simulated Colab: (commands, output) per run."""
    (tmp_path / "cell.py").write_text(cell)
    result = subprocess.run(
        [sys.executable, str(SIMULATION), "cell.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    runs, output = [], []
    for line in result.stdout.splitlines():
        if line.startswith("CALLS "):
            runs.append((json.loads(line.removeprefix("CALLS ")), "\n".join(output)))
            output = []
        else:
            output.append(line)
    return runs


def test_configured_repository_builds_every_link() -> None:
    slug = CONFIG.slug
    assert CONFIG.repository == f"https://github.com/{slug}"
    assert CONFIG.colab_url("01-convolution") == (
        f"https://colab.research.google.com/github/{slug}/blob/{CONFIG.branch}"
        "/lessons/01-convolution/01-convolution.ipynb"
    )
    assert CONFIG.install_spec == f"cnn-course @ git+https://github.com/{slug}@{CONFIG.branch}"
    assert CONFIG.binder_url.startswith(f"https://mybinder.org/v2/gh/{slug}/{CONFIG.branch}?")


@pytest.mark.parametrize(
    "bad", ["https://gitlab.com/a/b", "github.com/a/b", "https://github.com/a"]
)
def test_a_repository_colab_cannot_open_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="GitHub"):
        colab.Course(bad)


def test_readme_has_a_colab_badge_per_lesson_from_the_configured_url() -> None:
    readme = (COURSE / "README.md").read_text()
    for lesson in LESSONS:
        assert CONFIG.colab_badge(lesson) in readme, f"README lacks {lesson}'s Colab badge"
    assert colab.sync_readme(readme, CONFIG) == readme, "run `python -m helpers.colab`"


@pytest.mark.parametrize("lesson", LESSONS)
@pytest.mark.parametrize("folder", ["solutions", "lessons"])
def test_lesson_opens_with_its_badge_and_sets_itself_up_on_colab(lesson: str, folder: str) -> None:
    nb = nbformat.read(synthetic.notebook_path(lesson, folder), as_version=4)
    intro = next(c for c in nb.cells if c.cell_type == "markdown")
    assert intro.source.startswith(CONFIG.colab_badge(lesson) + "\n"), intro.source[:200]
    cell = colab.setup_cell(nb)
    assert cell.source.startswith(colab.COLAB_BLOCK.format(spec=CONFIG.install_spec))
    assert cell.metadata["nbgrader"]["locked"], "the set-up cell stays read-only"


def test_nothing_is_stale() -> None:
    assert colab.sync(COURSE, write=False) == [], (
        "run `python -m helpers.colab`, then `make release`"
    )


def test_sync_rewrites_every_link_for_a_fork(tmp_path: Path) -> None:
    for name in ("README.md", "pyproject.toml"):
        (tmp_path / name).write_text((COURSE / name).read_text())
    for lesson in LESSONS:
        (tmp_path / "solutions" / lesson).mkdir(parents=True)
        shutil.copy2(synthetic.notebook_path(lesson), tmp_path / "solutions" / lesson)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(CONFIG.repository, "https://github.com/me/fork")
    )
    changed = colab.sync(tmp_path)
    assert "README.md" in changed and len(changed) == 1 + len(LESSONS)
    fork = colab.Course("https://github.com/me/fork", CONFIG.branch)
    text = "\n".join(p.read_text() for p in tmp_path.rglob("*") if p.suffix in {".md", ".ipynb"})
    assert CONFIG.slug not in text
    assert fork.binder_url in text and fork.colab_url(LESSONS[0]) in text
    assert fork.install_spec in text
    assert colab.sync(tmp_path) == [], "a second run changes nothing"


def test_colab_already_has_every_dependency_so_pip_installs_only_the_course() -> None:
    project = tomllib.loads((COURSE / "pyproject.toml").read_text())["project"]
    assert Version(COLAB_PYTHON) in SpecifierSet(project["requires-python"])
    for requirement in map(Requirement, project["dependencies"]):
        version = COLAB_PACKAGES.get(requirement.name)
        assert version, f"{requirement.name} is not preinstalled on Colab: it would be installed"
        assert requirement.specifier.contains(version), (
            f"{requirement} rejects Colab's {requirement.name} {version}: pip would replace it"
        )


def test_setup_cell_installs_on_colab_once_reports_the_gpu_and_does_nothing_elsewhere(
    tmp_path: Path,
) -> None:
    (local, local_out), (fresh, fresh_out), (again, again_out) = simulate(
        setup_cell(LESSONS[0], "lessons"), tmp_path
    )
    pip = [sys.executable, "-m", "pip", "install", "-q", CONFIG.install_spec]
    nvidia = ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"]
    assert local == [] and "Colab" not in local_out, "off Colab the cell installs nothing"
    assert fresh == [pip, nvidia], fresh
    assert again == [nvidia], "a second run must not install again"
    for out in (local_out, fresh_out, again_out):
        assert "Profile: quick · Keras" in out, out
    for out in (fresh_out, again_out):
        assert out.startswith("Colab: GPU Tesla T4\n"), out


def test_colab_without_a_gpu_says_how_to_get_one(monkeypatch, capsys) -> None:
    monkeypatch.setattr(colab, "gpu_names", lambda: [])
    line = colab.report_colab()
    assert "no GPU" in line and "Change runtime type" in line
    assert capsys.readouterr().out.strip() == line
