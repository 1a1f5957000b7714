"""Colab: badges from the one configured URL, and each lesson's set-up cell on a simulated Colab.

The simulation (``tests/colab_simulation.py``) runs a lesson's real set-up cell in a fresh
Python with a stand-in ``google.colab`` module, the ``cnn-course`` distribution not installed
yet, ``pip install`` recorded (and what it would install on top of Colab's packages worked
out from the student edition's ``pyproject.toml``) and ``nvidia-smi`` answered, instead of
running them. Outside the simulation the same cell must not install or print anything extra.
"""

from __future__ import annotations

import json
import os
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

from grading import edition, synthetic
from helpers import colab

COURSE = synthetic.COURSE
LESSONS = synthetic.lessons()
CONFIG = colab.load_course(COURSE / "pyproject.toml")
# Today's Colab (CPU and GPU runtimes alike), from Colab's own published runtime listing:
# github.com/googlecolab/backend-info, os-info.txt and pip-freeze.txt (and pip-freeze.gpu.txt)
# at commit a724079 "Upgrade to Python 3.13" (2026-08-19), the newest listing. The Colab
# install must leave all of it alone.
COLAB_PYTHON = "3.13.15"
COLAB_PACKAGES = {
    "tensorflow": "2.20.0",
    "keras": "3.13.2",
    "numpy": "2.1.3",
    "ipywidgets": "7.7.1",
    "matplotlib": "3.10.0",
    "scikit-learn": "1.6.1",
    "scikit-image": "0.25.2",
    "pillow": "11.3.0",
    "mlxtend": "0.23.4",
    "jax": "0.7.2",
    "ipython": "7.34.0",
    "ipykernel": "6.17.1",
}
# A set-up block that decides by a module name (find_spec), which a stray module fools: the
# simulation must catch it.
FIND_SPEC_BLOCK = """\
import sys

if "google.colab" in sys.modules:
    import importlib.util
    import subprocess

    COURSE = "{spec}"
    if importlib.util.find_spec("helpers") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE], check=True)
        importlib.invalidate_caches()
    from helpers.colab import report_colab

    report_colab()

"""
SIMULATION = Path(__file__).with_name("colab_simulation.py")
PIP = [sys.executable, "-m", "pip", "install", "-q", CONFIG.install_spec]
NVIDIA = ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"]


def setup_cell(lesson: str, folder: str = "solutions") -> str:
    nb = nbformat.read(synthetic.notebook_path(lesson, folder), as_version=4)
    return colab.setup_cell(nb).source


@pytest.fixture(scope="module")
def student_pyproject(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pyproject.toml of the student edition: what the Colab install builds."""
    path = tmp_path_factory.mktemp("edition") / "pyproject.toml"
    path.write_text(edition.pyproject_text(COURSE))
    return path


def simulate(cell: str, tmp_path: Path, where: str, *options: str) -> list[tuple[list, list, str]]:
    """Run ``cell`` on a laptop or on simulated Colab: (commands, installs, output) per run."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cell.py").write_text(cell)
    env = dict(os.environ, COLAB_PACKAGES=json.dumps({"python": COLAB_PYTHON, **COLAB_PACKAGES}))
    result = subprocess.run(
        [sys.executable, str(SIMULATION), "cell.py", "--where", where, *options],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    runs, output, calls = [], [], None
    for line in result.stdout.splitlines():
        if line.startswith("CALLS "):
            calls = json.loads(line.removeprefix("CALLS "))
        elif line.startswith("INSTALLS "):
            runs.append((calls, json.loads(line.removeprefix("INSTALLS ")), "\n".join(output)))
            output = []
        else:
            output.append(line)
    return runs


def test_configured_repository_builds_every_link() -> None:
    slug = CONFIG.slug
    assert CONFIG.student_repository == f"https://github.com/{slug}"
    assert CONFIG.colab_url("01-convolution") == (
        f"https://colab.research.google.com/github/{slug}/blob/{CONFIG.branch}"
        "/lessons/01-convolution/01-convolution.ipynb"
    )
    assert CONFIG.install_spec == f"cnn-course @ git+https://github.com/{slug}@{CONFIG.branch}"
    assert CONFIG.binder_url.startswith(f"https://mybinder.org/v2/gh/{slug}/{CONFIG.branch}?")


def test_links_point_at_the_student_repository_never_the_instructors() -> None:
    assert CONFIG.repository, "[tool.course] names the instructor's repository"
    instructor = colab.Course(CONFIG.repository).slug
    assert instructor != CONFIG.slug
    text = (COURSE / "README.md").read_text() + "".join(
        synthetic.notebook_path(lesson, folder).read_text()
        for lesson in LESSONS
        for folder in ("solutions", "lessons")
    )
    assert f"github.com/{instructor}" not in text and f"gh/{instructor}" not in text
    with pytest.raises(ValueError, match="solutions"):
        colab.Course(CONFIG.repository, CONFIG.branch, repository=CONFIG.repository)


@pytest.mark.parametrize(
    "bad", ["https://gitlab.com/a/b", "github.com/a/b", "https://github.com/a"]
)
def test_a_repository_colab_cannot_open_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="GitHub"):
        colab.Course(bad)


def test_a_pyproject_without_the_student_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.course]\nrepository = "https://github.com/a/b"\n'
    )
    with pytest.raises(KeyError, match="student_repository"):
        colab.load_course(tmp_path / "pyproject.toml")


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
    assert cell.source.startswith(CONFIG.colab_block)
    assert 'importlib.metadata.distribution("cnn-course")' in cell.source
    assert "find_spec" not in cell.source, "the install is decided by the distribution's metadata"
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
        pyproject.read_text().replace(CONFIG.student_repository, "https://github.com/me/fork")
    )
    changed = colab.sync(tmp_path)
    assert "README.md" in changed and len(changed) == 1 + len(LESSONS)
    fork = colab.Course("https://github.com/me/fork", CONFIG.branch)
    text = "\n".join(p.read_text() for p in tmp_path.rglob("*") if p.suffix in {".md", ".ipynb"})
    assert CONFIG.slug not in text
    assert fork.binder_url in text and fork.colab_url(LESSONS[0]) in text
    assert fork.install_spec in text
    assert colab.sync(tmp_path) == [], "a second run changes nothing"


def test_sync_works_on_the_lessons_where_there_are_no_solutions(tmp_path: Path) -> None:
    """The student edition has lessons/ and no solutions/: `python -m helpers.colab` there."""
    for name in ("README.md", "pyproject.toml"):
        shutil.copy2(COURSE / name, tmp_path)
    shutil.copytree(COURSE / "lessons", tmp_path / "lessons")
    assert colab.lessons(tmp_path) == LESSONS
    assert colab.main(["--check", "--root", str(tmp_path)]) == 0
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(CONFIG.student_repository, "https://github.com/me/fork")
    )
    assert colab.main(["--check", "--root", str(tmp_path)]) == 1
    assert len(colab.sync(tmp_path)) == 1 + len(LESSONS)
    assert not (tmp_path / "solutions").exists()


def test_colab_python_and_packages_are_consistent() -> None:
    """The described runtime can exist: each package has wheels for Colab's Python."""
    python = Version(COLAB_PYTHON)
    # NumPy's first release for 3.13 was 2.1; TensorFlow's first for 3.13 was 2.20.
    assert python < Version("3.13") or Version(COLAB_PACKAGES["numpy"]) >= Version("2.1")
    assert python < Version("3.13") or Version(COLAB_PACKAGES["tensorflow"]) >= Version("2.20")
    # Keras 3.13 needs NumPy and is what TensorFlow 2.20 pairs with on Colab.
    assert Version(COLAB_PACKAGES["keras"]) >= Version("3.0")


def test_colab_already_has_every_dependency_so_pip_installs_only_the_course(
    student_pyproject: Path,
) -> None:
    for pyproject in (COURSE / "pyproject.toml", student_pyproject):
        project = tomllib.loads(pyproject.read_text())["project"]
        assert Version(COLAB_PYTHON) in SpecifierSet(project["requires-python"])
        for requirement in map(Requirement, project["dependencies"]):
            version = COLAB_PACKAGES.get(requirement.name)
            assert version, (
                f"{requirement.name} is not preinstalled on Colab: it would be installed"
            )
            assert requirement.specifier.contains(version), (
                f"{requirement} rejects Colab's {requirement.name} {version}: pip would replace it"
            )


def test_setup_cell_does_nothing_extra_off_colab(tmp_path: Path) -> None:
    ((calls, installs, out),) = simulate(setup_cell(LESSONS[0], "lessons"), tmp_path, "laptop")
    assert calls == [] and installs == [], "off Colab the cell installs nothing"
    assert "Colab" not in out and "Profile: quick · Keras" in out, out


def test_setup_cell_installs_on_colab_once_and_names_the_gpu(
    tmp_path: Path, student_pyproject: Path
) -> None:
    """Lesson 01's cell; every lesson's starts with the same block (checked above)."""
    (fresh, fresh_installs, fresh_out), (again, again_installs, again_out) = simulate(
        setup_cell(LESSONS[0], "lessons"), tmp_path, "colab", "--pyproject", str(student_pyproject)
    )
    assert fresh == [PIP, NVIDIA], fresh
    assert fresh_installs == ["cnn-course"], f"pip would also install {fresh_installs[1:]}"
    assert again == [NVIDIA] and again_installs == [], "a second run must not install again"
    for out in (fresh_out, again_out):
        assert out.startswith("Colab: GPU Tesla T4\n"), out
        assert "Profile: quick · Keras" in out and "CELL FAILED" not in out, out


def test_colab_without_a_gpu_says_how_to_get_one_in_the_setup_cell(
    tmp_path: Path, student_pyproject: Path
) -> None:
    (_, _, out), _ = simulate(
        setup_cell(LESSONS[0], "lessons"),
        tmp_path,
        "colab",
        "--pyproject",
        str(student_pyproject),
        "--gpu",
        "",
    )
    first = out.splitlines()[0]
    assert "no GPU" in first and "Change runtime type" in first, out


def test_a_stray_helpers_module_does_not_stop_the_install(
    tmp_path: Path, student_pyproject: Path
) -> None:
    options = ["--pyproject", str(student_pyproject), "--stray-helpers"]
    (fresh, installs, out), _ = simulate(
        setup_cell(LESSONS[0], "lessons"), tmp_path / "metadata", "colab", *options
    )
    assert fresh == [PIP, NVIDIA] and installs == ["cnn-course"], fresh
    assert "CELL FAILED" not in out and "Profile: quick" in out, out
    # The simulation does catch a block that trusts a module name: no install, then a failure.
    (fresh, _, out), _ = simulate(
        FIND_SPEC_BLOCK.format(spec=CONFIG.install_spec), tmp_path / "find_spec", "colab", *options
    )
    assert fresh == [] and "CELL FAILED" in out, out


def test_colab_without_a_gpu_says_how_to_get_one(monkeypatch, capsys) -> None:
    monkeypatch.setattr(colab, "gpu_names", lambda: [])
    line = colab.report_colab()
    assert "no GPU" in line and "Change runtime type" in line
    assert capsys.readouterr().out.strip() == line
