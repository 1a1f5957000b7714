"""Keep the instructor notebooks clean and diff-friendly.

``python -m grading.notebooks refresh solutions/01-convolution/01-convolution.ipynb``
executes a notebook at the quick profile and stores outputs only for the cells tagged
``nbval-check-output`` (the deterministic ones nbval compares: shapes, counts); every
other output and every execution count is removed. ``python -m grading.notebooks check``
lists notebooks that are not clean, and ``clean`` strips them without executing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat

CHECKED_TAG = "nbval-check-output"
COURSE = Path(__file__).resolve().parent.parent


def is_checked(cell: nbformat.NotebookNode) -> bool:
    """True for a code cell whose output nbval compares."""
    return CHECKED_TAG in cell.get("metadata", {}).get("tags", [])


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop volatile content: outputs of unchecked cells, run metadata, real execution counts.

    nbval ignores a stored output without an execution count, so a checked cell keeps one:
    its position among the code cells (1, 2, ...), the same on every run.
    """
    for number, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), start=1):
        cell.get("metadata", {}).pop("execution", None)
        cell.get("metadata", {}).pop("collapsed", None)
        if is_checked(cell):
            cell.execution_count = number
            for output in cell.outputs:
                if "execution_count" in output:
                    output.execution_count = number
                output.get("metadata", {}).clear()
        else:
            cell.execution_count = None
            cell.outputs = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            cell.get("metadata", {}).pop("execution", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def problems(path: Path) -> list[str]:
    """What is not clean about a stored notebook (empty when it is clean)."""
    nb = nbformat.read(path, as_version=4)
    found = []
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if is_checked(cell):
            # nbval compares nothing for a checked cell without a stored output and its count.
            if not cell.outputs or cell.execution_count != code_cells.index(cell) + 1:
                found.append(f"cell {i} is tagged {CHECKED_TAG} but its output is not stored")
            continue
        if cell.execution_count is not None:
            found.append(f"cell {i} has an execution count")
        if cell.outputs:
            found.append(f"cell {i} stores outputs but is not tagged {CHECKED_TAG}")
    if "widgets" in nb.metadata:
        found.append("notebook metadata stores widget state")
    return found


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write with nbformat's standard layout (1-space indent, sorted keys, final newline)."""
    nbformat.write(nb, str(path))


def refresh(path: Path, timeout: int = 600) -> None:
    """Execute ``path`` at the quick profile and store only the checked outputs."""
    from nbclient import NotebookClient

    os.environ.update(COURSE_PROFILE="quick", COURSE_OFFLINE="1")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    write(clean(nb), path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("refresh", "clean", "check"))
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.paths or sorted((COURSE / "solutions").glob("*/*.ipynb"))
    status = 0
    for path in paths:
        if not path.is_file():
            print(f"error: no notebook at {path}", file=sys.stderr)
            status = 2
            continue
        if args.action == "refresh":
            refresh(path)
            print(f"refreshed {path}")
        elif args.action == "clean":
            write(clean(nbformat.read(path, as_version=4)), path)
        else:
            for problem in problems(path):
                print(f"{path}: {problem}")
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
