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
REDACTED = "(a line of hidden test code was removed from this output)"


def strip_hidden_tests(source: str) -> str:
    """Replace every hidden-test block in a cell's source with a one-line note."""
    return HIDDEN_BLOCK.sub(HIDDEN_NOTE, source)


def hidden_lines(sources: list[str], shortest: int = 12) -> set[str]:
    """The lines of hidden test code (stripped, at least ``shortest`` characters long)."""
    lines = set()
    for source in sources:
        for block in HIDDEN_BLOCK.findall(source):
            for line in block.splitlines()[1:-1]:
                if len(line.strip()) >= shortest:
                    lines.add(line.strip())
    return lines


def redact(text: str, secret: set[str]) -> str:
    """``text`` without any line that quotes hidden test code."""
    if not secret:
        return text
    kept = [REDACTED if any(s in line for s in secret) else line for line in text.split("\n")]
    return "\n".join(kept)


class HideHiddenTests(Preprocessor):
    """Remove hidden tests from test cells and reduce their tracebacks to the message.

    A traceback quotes the lines of the test that failed, hidden ones included, so a
    graded test cell's error keeps only ``ErrorName: message``. A submission could also
    print hidden test code (it can see a test's source while the test runs), so any output
    line of any cell that quotes a hidden line is replaced by a note.
    """

    # nbgrader registers feedback preprocessors without enabling them: on by default.
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        sources = [c.source for c in nb.cells]
        visible = "\n".join(strip_hidden_tests(s) for s in sources)
        self._secret = {line for line in hidden_lines(sources) if line not in visible}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        if cell.cell_type != "code":
            return cell, resources
        secret = getattr(self, "_secret", set())
        cell.source = strip_hidden_tests(cell.source)
        graded = cell.metadata.get("nbgrader", {}).get("grade")
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                if graded:
                    output.traceback = [f"{output.ename}: {output.evalue}"]
                output.evalue = redact(output.evalue, secret)
                output.traceback = [redact(line, secret) for line in output.traceback]
            elif output.output_type == "stream":
                output.text = redact(output.text, secret)
            elif "data" in output:
                for mime, value in output.data.items():
                    if mime.startswith("text/") and isinstance(value, str):
                        output.data[mime] = redact(value, secret)
        return cell, resources
