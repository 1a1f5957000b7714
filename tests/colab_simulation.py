"""Run a lesson's set-up cell as on a laptop, then twice on a simulated Colab runtime.

Usage: ``python tests/colab_simulation.py CELL_FILE``. Nothing is installed: on "Colab" a
stand-in ``google.colab`` module is present, the course's helpers look uninstalled until
``pip install`` is "run", and ``subprocess.run`` records that command (and answers
``nvidia-smi`` with a T4) instead of running it. After each run one line
``CALLS <json>`` lists the commands recorded during it.
"""

import importlib.machinery
import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

CALLS: list[list[str]] = []
INSTALLED = False
real_find_spec, real_run = importlib.util.find_spec, subprocess.run


def find_spec(name: str, package: str | None = None) -> importlib.machinery.ModuleSpec | None:
    """importlib.util.find_spec, but the helpers are missing until the recorded install."""
    if name == "helpers" and not INSTALLED:
        return None
    return real_find_spec(name, package)


def run(args: list[str], *rest: Any, **kwargs: Any) -> subprocess.CompletedProcess:
    """subprocess.run that records pip and nvidia-smi instead of running them."""
    global INSTALLED
    if list(args[1:4]) == ["-m", "pip", "install"]:
        CALLS.append(list(args))
        INSTALLED = True
        return subprocess.CompletedProcess(args, 0, "", "")
    if args[0] == "nvidia-smi":
        CALLS.append(list(args))
        return subprocess.CompletedProcess(args, 0, "Tesla T4\n", "")
    return real_run(args, *rest, **kwargs)


def main(cell_file: str) -> None:
    importlib.util.find_spec, subprocess.run = find_spec, run
    code = compile(Path(cell_file).read_text(), "setup-cell", "exec")
    # 1: a laptop or Binder; 2: a fresh Colab runtime; 3: the same runtime, the cell run again.
    for on_colab in (False, True, True):
        if on_colab:
            sys.modules["google.colab"] = types.ModuleType("google.colab")
        exec(code, {"__name__": "__main__"})
        print("CALLS", json.dumps(CALLS), flush=True)
        CALLS.clear()


if __name__ == "__main__":
    main(sys.argv[1])
