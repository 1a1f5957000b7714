"""Repair a submitted notebook against the released one, before nbgrader sees it.

Students delete cells, paste them twice, turn a test into markdown, strip metadata with
another editor, or upload something that is not a notebook at all. nbgrader copes with some
of this (it puts back deleted test cells, after a fashion) and fails the whole notebook on
the rest. :func:`repair` rebuilds the notebook on the released lesson's skeleton:

* every cell nbgrader tracks (set-up, answers, tests, read-only text) is found in the
  submission by its grade id, or, when the metadata was stripped or renamed, by its content
  (a test or read-only cell by its text, an answer by the names it defines);
* test and read-only cells are always the released ones (a test edited to ``pass``, turned
  into markdown or deleted comes back), answers keep the student's code but get back their
  cell type and metadata, a missing answer becomes the unanswered stub;
* graded cells go back into the lesson's order, and the student's own cells travel with the
  graded cell they followed; code the student put above the set-up cell moves below it;
* a duplicated grade id keeps one cell (the last answer, the first copy of anything else),
  the other copies lose their metadata; cell ids are made unique.

What cannot be repaired (not JSON, empty, not a notebook, another lesson's notebook) comes
back as a :class:`Repaired` with ``problem`` set, so it is reported rather than zeroed.
"""

from __future__ import annotations

import ast
import copy
import difflib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell


@dataclass
class Repaired:
    """A repaired notebook (``nb``) and what was done, or why there is none (``problem``)."""

    nb: NotebookNode | None
    notes: list[str] = field(default_factory=list)
    problem: str | None = None


def meta(cell: dict) -> dict:
    """A cell's nbgrader metadata (empty for ordinary cells)."""
    value = cell.get("metadata", {}).get("nbgrader", {})
    return value if isinstance(value, dict) else {}


def kind(cell: dict) -> str | None:
    """'answer', 'test' or 'locked' for a cell nbgrader tracks, else None."""
    m = meta(cell)
    if not m.get("grade_id"):
        return None
    if m.get("solution"):
        return "answer"
    if m.get("grade"):
        return "test"
    if m.get("locked") or m.get("task"):
        return "locked"
    return None


def defined_names(source: str) -> set[str]:
    """Top-level names a cell defines (functions, classes, assignments)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def lines_of(source: str) -> list[str]:
    """A cell's non-blank lines, stripped (what :func:`similarity` compares)."""
    return [line.strip() for line in source.splitlines() if line.strip()]


def similarity(a: str, b: str) -> float:
    """How alike two cell sources are (0..1), ignoring blank lines and indentation changes."""
    lines_a, lines_b = lines_of(a), lines_of(b)
    if not lines_a or not lines_b:
        return 0.0
    return difflib.SequenceMatcher(None, lines_a, lines_b, autojunk=False).ratio()


def similarity_bound(a: Counter, b: Counter, size_a: int, size_b: int) -> float:
    """An upper bound of :func:`similarity` from the lines the two cells share, whatever their
    order (``SequenceMatcher.ratio`` is at most twice the shared lines over all lines): a
    cell far below it is never compared line by line."""
    if not size_a or not size_b or 2 * min(size_a, size_b) / (size_a + size_b) < 0.8:
        return 0.0  # the lengths alone rule it out
    return 2 * sum((a & b).values()) / (size_a + size_b)


MAX_COMPARISONS = 2000  # line-by-line comparisons when matching cells by content


# --------------------------------------------------------------------------- reading


def read(path: Path) -> tuple[NotebookNode | None, list[str], str | None]:
    """Read a submission leniently: (notebook, notes, problem)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        return None, [], f"cannot be read ({error.strerror})"
    if not raw.strip():
        return None, [], "empty file"
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None, [], "not a text file (not a Jupyter notebook)"
    except json.JSONDecodeError as error:
        return None, [], f"not valid JSON ({error.msg} at line {error.lineno}): not a notebook"
    if not isinstance(data, dict):
        return None, [], "not a Jupyter notebook (the JSON is not an object)"
    if "worksheets" in data:  # nbformat 3
        try:
            data = json.loads(nbformat.writes(nbformat.reads(json.dumps(data), as_version=4)))
        except Exception:
            return None, [], "an old (nbformat 3) notebook that could not be converted"
    if not isinstance(data.get("cells"), list):
        return None, [], "not a Jupyter notebook (no list of cells)"
    return lenient(data)


def lenient(data: dict) -> tuple[NotebookNode, list[str], str | None]:
    """Rebuild a valid notebook from whatever cells ``data`` holds."""
    notes = []
    cells, dropped = [], 0
    ids: set[str] = set()
    duplicate_ids = False
    for raw in data["cells"]:
        if not isinstance(raw, dict):
            dropped += 1
            continue
        source = raw.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        elif not isinstance(source, str):
            source = str(source)
        metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        cell_type = raw.get("cell_type")
        if cell_type == "code":
            cell = new_code_cell(source, metadata=metadata)
        elif cell_type == "markdown":
            cell = new_markdown_cell(source, metadata=metadata)
        else:
            cell = new_raw_cell(source, metadata=metadata)
            if cell_type != "raw":
                notes.append(f"a cell of unknown type {cell_type!r} kept as raw text")
        if raw.get("id") in ids:
            duplicate_ids = True
        ids.add(raw.get("id"))
        cells.append(cell)
    if dropped:
        notes.append(f"dropped {dropped} malformed cell(s)")
    if duplicate_ids:
        notes.append("made duplicate cell ids unique")
    if not cells:
        return None, notes, "a notebook with no cells"
    return new_notebook(cells=cells, metadata={}), notes, None


# --------------------------------------------------------------------------- matching


def anchors(release: NotebookNode) -> list[tuple[int, NotebookNode, str]]:
    """(index, cell, kind) of every release cell nbgrader tracks, in order."""
    return [(i, c, kind(c)) for i, c in enumerate(release.cells) if kind(c)]


def match(release: NotebookNode, student: NotebookNode) -> tuple[dict[int, int], list[str]]:
    """Map release anchor index -> student cell index; notes on duplicates and renames."""
    notes: list[str] = []
    found: dict[int, int] = {}
    used: set[int] = set()
    by_id: dict[str, list[int]] = {}
    for j, cell in enumerate(student.cells):
        grade_id = meta(cell).get("grade_id")
        if grade_id:
            by_id.setdefault(grade_id, []).append(j)
    for i, cell, what in anchors(release):
        grade_id = meta(cell)["grade_id"]
        candidates = by_id.get(grade_id, [])
        if not candidates:
            continue
        chosen = candidates[-1] if what == "answer" else candidates[0]
        if len(candidates) > 1:
            notes.append(f"kept one of {len(candidates)} cells with grade id {grade_id}")
        found[i] = chosen
        used.update(candidates)  # the other copies become ordinary cells
    # content matching for anchors whose grade id is gone (stripped or renamed metadata);
    # bounded work: each cell's lines are counted once, a cell whose shared lines cannot make
    # it similar enough is never compared line by line, and at most MAX_COMPARISONS are
    free = [j for j in range(len(student.cells)) if j not in used]
    counts = {j: Counter(lines_of(student.cells[j].source)) for j in free}
    sizes = {j: sum(c.values()) for j, c in counts.items()}
    names_of: dict[int, set[str]] = {}
    budget = MAX_COMPARISONS
    for i, cell, what in anchors(release):
        if i in found:
            continue
        best, score = None, 0.0
        if what == "answer":
            wanted = defined_names(cell.source)
            for j in free:
                source = student.cells[j].source
                if not wanted or not all(name in source for name in wanted):
                    continue  # cannot define them: not parsed
                if j not in names_of:
                    markdown = student.cells[j].cell_type == "markdown"
                    names_of[j] = set() if markdown else defined_names(source)
                if wanted <= names_of[j]:
                    best, score = j, 1.0  # the last cell that defines them all
        else:
            mine = Counter(lines_of(cell.source))
            size = sum(mine.values())
            for j in free:
                bound = similarity_bound(mine, counts[j], size, sizes[j])
                if bound < max(0.8, score) or budget <= 0:
                    continue
                budget -= 1
                s = similarity(cell.source, student.cells[j].source)
                if s > score:
                    best, score = j, s
            if score < 0.8:
                best = None
        if best is not None:
            found[i] = best
            free.remove(best)
            used.add(best)
    return found, notes


def detect_lesson(student: NotebookNode, releases: dict[str, NotebookNode]) -> dict[str, float]:
    """For each lesson, the share of its tracked cells found in ``student`` (0..1).

    Grade ids decide when the submission has any; otherwise the cells' content does.
    """
    by_id = {meta(c).get("grade_id"): c for c in student.cells if meta(c).get("grade_id")}
    scores = {}
    for lesson, release in releases.items():
        tracked = anchors(release)
        if not tracked:
            continue
        hits = 0
        for _, cell, what in tracked:
            theirs = by_id.get(meta(cell)["grade_id"])
            # ids like "setup" or "ex1-tests" recur across lessons: a locked cell must also
            # look like this lesson's
            if theirs is not None and (
                what == "answer" or similarity(cell.source, theirs.source) >= 0.5
            ):
                hits += 1
        scores[lesson] = hits / len(tracked)
    if any(scores.values()):
        return scores
    for lesson, release in releases.items():
        if anchors(release):
            scores[lesson] = len(match(release, student)[0]) / len(anchors(release))
    return scores


# --------------------------------------------------------------------------- repair


def repair(path: Path, lesson: str, releases: dict[str, NotebookNode]) -> Repaired:
    """Read ``path`` and rebuild it on ``releases[lesson]`` (see the module docstring)."""
    student, notes, problem = read(path)
    if problem:
        return Repaired(None, notes, problem)
    release = releases[lesson]
    scores = detect_lesson(student, releases)
    own = scores.get(lesson, 0.0)
    other = (
        max((s, name) for name, s in scores.items() if name != lesson)
        if len(scores) > 1
        else (0, "")
    )
    if own < 0.25 and other[0] >= 0.5:
        return Repaired(None, notes, f"this is the notebook of lesson {other[1]}, not {lesson}")
    if own == 0:
        return Repaired(None, notes, f"none of lesson {lesson}'s cells are in this notebook")
    found, match_notes = match(release, student)
    notes += match_notes
    notes += rebuild_notes(release, student, found)
    nb = rebuild(release, student, found)
    order = [found[i] for i, _, _ in anchors(release) if i in found]
    if order != sorted(order):
        notes.append("put graded cells back in the lesson's order")
    return Repaired(nb, notes, None)


TRACKED_KEYS = ("grade_id", "grade", "solution", "locked", "points", "task")


def rebuild_notes(release: NotebookNode, student: NotebookNode, found: dict[int, int]) -> list[str]:
    """What rebuilding changes, in words."""
    notes = []
    for i, cell, what in anchors(release):
        grade_id = meta(cell)["grade_id"]
        label = {"answer": "answer cell", "test": "test cell", "locked": "read-only cell"}[what]
        if i not in found:
            if what == "answer":
                notes.append(f"the answer cell {grade_id} was missing: graded as unanswered")
            else:
                notes.append(f"re-inserted the deleted {label} {grade_id}")
            continue
        theirs = student.cells[found[i]]
        if theirs.cell_type != cell.cell_type:
            notes.append(
                f"restored the {label} {grade_id} (it had been turned into {theirs.cell_type})"
            )
        elif what != "answer" and theirs.source.strip() != cell.source.strip():
            notes.append(f"restored the edited {label} {grade_id}")
        if [meta(theirs).get(k) for k in TRACKED_KEYS] != [meta(cell).get(k) for k in TRACKED_KEYS]:
            notes.append(f"restored the nbgrader metadata of the {label} {grade_id}")
    return notes


def fresh_cell(cell: NotebookNode, source: str | None = None) -> NotebookNode:
    """A new, output-free cell of the same type, metadata and (or the given) source."""
    source = cell.source if source is None else source
    metadata = copy.deepcopy(cell.get("metadata", {}))
    for key in ("execution", "collapsed", "scrolled"):
        metadata.pop(key, None)
    if cell.cell_type == "code":
        return new_code_cell(source, metadata=metadata)
    if cell.cell_type == "markdown":
        return new_markdown_cell(source, metadata=metadata)
    return new_raw_cell(source, metadata=metadata)


def rebuild(release: NotebookNode, student: NotebookNode, found: dict[int, int]) -> NotebookNode:
    """The release's tracked cells in order, each followed by the student cells after it."""
    tracked = anchors(release)
    owner_of = {j: i for i, j in found.items()}
    follows: dict[int | None, list[NotebookNode]] = {None: []}
    current: int | None = None
    for j, cell in enumerate(student.cells):
        if j in owner_of:
            current = owner_of[j]
            continue
        loose = fresh_cell(cell)
        loose.metadata.pop("nbgrader", None)
        follows.setdefault(current, []).append(loose)
    head = follows.pop(None)
    first_code = next((i for i, c, _ in tracked if c.cell_type == "code"), None)
    cells = [c for c in head if c.cell_type != "code"]
    early_code = [c for c in head if c.cell_type == "code"]
    for i, cell, what in tracked:
        theirs = student.cells[found[i]].source if what == "answer" and i in found else None
        cells.append(fresh_cell(cell, theirs))
        if i == first_code:
            cells.extend(early_code)  # code above the set-up cell runs after it
        cells.extend(follows.get(i, []))
    return new_notebook(cells=cells, metadata=copy.deepcopy(release.metadata))
