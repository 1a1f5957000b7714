"""Run a lesson's set-up cell as on a laptop, or twice on a simulated Colab runtime.

Usage::

    python tests/colab_simulation.py CELL_FILE --where laptop
    python tests/colab_simulation.py CELL_FILE --where colab --pyproject PYPROJECT
        [--gpu "Tesla T4" | --gpu ""] [--stray-helpers]

Nothing is installed and nothing reaches the network. On "Colab" (environment variable
``COLAB_PACKAGES``: the JSON of what the runtime ships, ``{"numpy": "2.1.3", ...}``):

* a stand-in ``google.colab`` module is present;
* the ``cnn-course`` distribution is not installed: ``importlib.metadata`` does not find it,
  and the course's ``helpers`` package cannot be imported, until ``pip install`` runs;
* ``pip install`` is recorded, not run: it reads the requirement's ``pyproject.toml``
  (``--pyproject``, the repository the Colab install points at) and works out what pip
  would install on top of Colab's packages (the course, plus every dependency that Colab's
  version does not satisfy), then "installs" the course by putting its ``helpers`` in a
  site folder on ``sys.path``, as pip does;
* ``nvidia-smi`` answers with ``--gpu`` (``""``: a CPU runtime, where it is missing);
* ``--stray-helpers``: a stray ``helpers.py`` sits in a folder on ``sys.path`` after the site
  folders (another package's module, a ``PYTHONPATH`` entry), visible from the start.

On Colab the cell runs twice in one process (a fresh runtime, then the same runtime again).
After each run one line ``CALLS <json>`` lists the commands recorded during it and one line
``INSTALLS <json>`` what pip would have installed.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import importlib.metadata
import json
import os
import subprocess
import sys
import tomllib
import traceback
import types
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

HELPERS = Path(__file__).resolve().parent.parent / "helpers"
DISTRIBUTION = "cnn-course"
CALLS: list[list[str]] = []
INSTALLS: list[str] = []
STATE: dict[str, Any] = {"installed": False, "site": None, "stray": None}
real_run = subprocess.run
real_distribution = importlib.metadata.distribution


class NotInstalled(importlib.abc.MetaPathFinder):
    """Before the recorded install, ``helpers`` is only what a stray module provides."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if STATE["installed"] or name.split(".")[0] != "helpers":
            return None
        if STATE["stray"] and name == "helpers":
            return importlib.machinery.PathFinder.find_spec(name, [STATE["stray"]])
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def distribution(name: str) -> importlib.metadata.Distribution:
    """importlib.metadata.distribution, without the course until it is installed."""
    if canonicalize_name(name) == DISTRIBUTION and not STATE["installed"]:
        raise importlib.metadata.PackageNotFoundError(name)
    return real_distribution(name)


def would_install(spec: str, pyproject: Path, colab: dict[str, str]) -> list[str]:
    """What pip would install for ``spec`` on a runtime that has ``colab``'s packages."""
    requirement = Requirement(spec)
    project = tomllib.loads(pyproject.read_text())["project"]
    if canonicalize_name(project["name"]) != canonicalize_name(requirement.name):
        raise SystemExit(f"{requirement.url} builds {project['name']!r}, not {requirement.name!r}")
    python = colab["python"]
    if not SpecifierSet(project.get("requires-python", "")).contains(python):
        raise SystemExit(f"pip: {project['name']} requires Python {project['requires-python']}")
    installs = [requirement.name]
    for dependency in map(Requirement, project.get("dependencies", [])):
        version = colab.get(canonicalize_name(dependency.name))
        if version is None or not dependency.specifier.contains(version, prereleases=True):
            installs.append(f"{dependency.name} (Colab has {version or 'none'})")
    return installs


def fake_run(pyproject: Path | None, colab: dict[str, str], gpu: str):
    """subprocess.run that records pip and answers nvidia-smi instead of running them."""

    def run(args: list[str], *rest: Any, **kwargs: Any) -> subprocess.CompletedProcess:
        if list(args[1:4]) == ["-m", "pip", "install"]:
            CALLS.append(list(args))
            if pyproject is None:
                raise SystemExit("pip install ran, but no --pyproject says what it installs")
            INSTALLS.extend(would_install(args[-1], pyproject, colab))
            site = Path(STATE["site"])
            site.mkdir(exist_ok=True)
            (site / "helpers").symlink_to(HELPERS, target_is_directory=True)
            # Site folders come before any stray folder appended to the path.
            where = sys.path.index(STATE["stray"]) if STATE["stray"] else len(sys.path)
            sys.path.insert(where, str(site))
            STATE["installed"] = True
            return subprocess.CompletedProcess(args, 0, "", "")
        if args[0] == "nvidia-smi":
            CALLS.append(list(args))
            if not gpu:
                raise FileNotFoundError(2, "No such file or directory", "nvidia-smi")
            return subprocess.CompletedProcess(args, 0, f"{gpu}\n", "")
        return real_run(args, *rest, **kwargs)

    return run


def run_cell(code: types.CodeType) -> None:
    """Run the cell as a notebook would; an error is printed, as Jupyter shows it."""
    try:
        exec(code, {"__name__": "__main__"})
    except Exception:
        traceback.print_exc(file=sys.stdout)
        print("CELL FAILED")
    print("CALLS", json.dumps(CALLS), flush=True)
    print("INSTALLS", json.dumps(INSTALLS), flush=True)
    CALLS.clear()
    INSTALLS.clear()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cell")
    parser.add_argument("--where", choices=["laptop", "colab"], required=True)
    parser.add_argument("--pyproject", type=Path)
    parser.add_argument("--gpu", default="Tesla T4")
    parser.add_argument("--stray-helpers", action="store_true")
    args = parser.parse_args(argv)
    code = compile(Path(args.cell).read_text(), "setup-cell", "exec")
    if args.where == "laptop":
        subprocess.run = fake_run(None, {}, args.gpu)  # a laptop must not call either
        run_cell(code)
        return
    colab = {canonicalize_name(k): v for k, v in json.loads(os.environ["COLAB_PACKAGES"]).items()}
    STATE["site"] = str(Path.cwd() / "dist-packages")
    if args.stray_helpers:
        stray = Path.cwd() / "elsewhere"
        stray.mkdir()
        (stray / "helpers.py").write_text('"""Some other project\'s helpers module."""\n')
        STATE["stray"] = str(stray)
        sys.path.append(str(stray))
    sys.meta_path.insert(0, NotInstalled())
    importlib.metadata.distribution = distribution
    subprocess.run = fake_run(args.pyproject, colab, args.gpu)
    sys.modules["google.colab"] = types.ModuleType("google.colab")
    run_cell(code)  # a fresh Colab runtime
    run_cell(code)  # the same runtime, the cell run again


if __name__ == "__main__":
    main()
