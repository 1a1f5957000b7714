"""Feedback that shows students each failed test's message but never hidden test code."""

from __future__ import annotations

import re
from typing import Any

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

HIDDEN_BLOCK = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*\n?", re.S | re.M
)
HIDDEN_NOTE = "# (hidden tests: run by the autograder only)\n"


def strip_hidden_tests(source: str) -> str:
    """Replace every hidden-test block in a cell's source with a one-line note."""
    return HIDDEN_BLOCK.sub(HIDDEN_NOTE, source)


class HideHiddenTests(Preprocessor):
    """Remove hidden tests from test cells and reduce their tracebacks to the message.

    A traceback quotes the lines of the test that failed, hidden ones included, so a
    graded test cell's error keeps only ``ErrorName: message``.
    """

    # nbgrader registers feedback preprocessors without enabling them: on by default.
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        if cell.cell_type != "code":
            return cell, resources
        cell.source = strip_hidden_tests(cell.source)
        if cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
