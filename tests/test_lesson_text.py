"""What a student reads: no answer is visible, the points add up, the words are for students.

Three families of checks, run on every lesson (parametrized, so a failure names it):

* **answer visibility**: the solution code of any exercise (the lines between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in ``solutions/*/*.ipynb``) must not appear
  in a student notebook (``lessons/``: every cell and output), in ``helpers/``, in ``docs/`` or
  in ``README.md``. Two detectors: a verbatim run of three significant solution lines (blank
  lines, comments and trivial lines such as ``return out`` do not count), and a function in
  ``helpers/`` or in a student notebook whose body is a solution's logic under other names
  (the two syntax trees compared with every variable renamed and every constant blanked);
* **the points table** at the top of each lesson equals the nbgrader points of its exercises,
  and every ``### Exercise N · Title (P points)`` heading agrees with it;
* **student text**: no reference to the course's source notes or to how a lesson was made,
  and American spelling (as in Keras's documentation) in the lessons, the solutions' text,
  the helpers' docstrings and messages, and the README.

The detectors take a course folder, so the unit tests at the end plant each kind of leak in
a temporary copy and show that it is caught, and that ordinary shared lines are not.
"""

from __future__ import annotations

import ast
import difflib
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from grading import synthetic

COURSE = synthetic.COURSE
LESSONS = synthetic.lessons()
RUN = 3  # consecutive significant lines that make a leak
SHORT_SOLUTION_CHARS = 30  # a one- or two-line solution this long must not appear either
MIN_NODES = 12  # a function body smaller than this is too generic to compare


# ------------------------------------------------------------------------- solution code

SOLUTION = re.compile(r"^[ \t]*### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION", re.S | re.M)


@dataclass(frozen=True)
class Solution:
    """The solution code of one answer cell."""

    lesson: str
    grade_id: str
    blocks: tuple[str, ...]  # the text between the markers, one entry per marked block
    cell: str  # the whole answer cell with the marker lines removed (the solved functions)

    @property
    def name(self) -> str:
        return f"{self.lesson}/{self.grade_id}"


def solutions(course: Path = COURSE) -> list[Solution]:
    """Every answer cell's solution in ``course/solutions``."""
    found = []
    for path in sorted((course / "solutions").glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            blocks = tuple(SOLUTION.findall(cell.source)) if cell.cell_type == "code" else ()
            if blocks:
                grade_id = synthetic.nbgrader_meta(cell).get("grade_id", "?")
                cell_code = synthetic.without_markers(cell.source)
                found.append(Solution(path.parent.name, grade_id, blocks, cell_code))
    return found


# ------------------------------------------------------------------- significant lines

TRIVIAL = [
    re.compile(p)
    for p in (
        r"[\s()\[\]{},:;]*",  # brackets and punctuation only
        r"(return|yield|raise)( [\w.]+)?",  # return out, raise, yield x
        r"(pass|continue|break|else:|try:|finally:|except( \w+)?( as \w+)?:)",
        r"\w+( ?, ?\w+)* = \w+( ?, ?\w+)*",  # a, b = c, d
        r"\w+ = (np\.)?(asarray|array|float|int|tuple|list)\(\w+(, ?dtype=[\w.\"']+)?\)",
        r"\w+ = \w+\.shape(\[[-\d:]*\])?",  # h = x.shape[0]
        r"\w+( ?, ?\w+)* = \w+\.shape(\[[-\d:]*\])?",  # kh, kw = w.shape
        r"(import|from) .*",
        r"#.*",
    )
]


def _tokens(code: str) -> list[tokenize.TokenInfo]:
    """The tokens of ``code`` up to the first one that does not tokenize (a fragment may not)."""
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            found.append(token)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return found


def _strip_comments(code: str) -> str:
    """Python code without its comments (a line after a tokenizing error keeps them)."""
    lines = code.splitlines(keepends=True)
    for token in reversed(_tokens(code)):
        if token.type == tokenize.COMMENT:
            row, col = token.start
            line = lines[row - 1]
            lines[row - 1] = line[:col].rstrip() + ("\n" if line.endswith("\n") else "")
    return "".join(lines)


def normalize_line(line: str) -> str:
    """One line as compared: spaces collapsed, quotes unified, trailing comma dropped."""
    line = re.sub(r"\s+", " ", line.strip()).replace("'", '"')
    return line.rstrip(",").rstrip()


def significant_lines(text: str, code: bool = True) -> list[str]:
    """The lines of ``text`` that can betray a solution, normalized, in order."""
    if code:
        text = _strip_comments(text)
    kept = []
    for raw in text.splitlines():
        line = normalize_line(raw)
        if len(line) < 8 or any(p.fullmatch(line) for p in TRIVIAL):
            continue
        kept.append(line)
    return kept


def _ngrams(lines: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(lines[i : i + n]) for i in range(len(lines) - n + 1)}


@dataclass(frozen=True)
class Text:
    """A piece of text a reader can see: where it is, and its significant lines."""

    where: str
    lines: tuple[str, ...]


def notebook_texts(path: Path, label: str) -> list[Text]:
    """Every cell's source and every text output of a notebook, one ``Text`` each."""
    texts = []
    for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
        is_code = cell.cell_type == "code"
        texts.append(Text(f"{label} cell {i}", tuple(significant_lines(cell.source, is_code))))
        for output in cell.get("outputs", []):
            chunks = [output.get("text", "")]
            chunks += [output.get("data", {}).get(kind, "") for kind in ("text/plain", "text/html")]
            chunks += [output.get("traceback", [])]
            joined = "\n".join(c if isinstance(c, str) else "\n".join(c) for c in chunks)
            texts.append(
                Text(f"{label} cell {i} output", tuple(significant_lines(joined, code=False)))
            )
    return texts


def visible_texts(course: Path = COURSE, lessons: bool = True) -> list[Text]:
    """What students and readers of the course can see: helpers, docs, README (and lessons)."""
    texts = []
    if lessons:
        for path in sorted((course / "lessons").glob("*/*.ipynb")):
            texts += notebook_texts(path, str(path.relative_to(course)))
    for path in sorted((course / "helpers").rglob("*.py")):
        texts.append(
            Text(str(path.relative_to(course)), tuple(significant_lines(path.read_text())))
        )
    for path in [course / "README.md", *sorted((course / "docs").rglob("*"))]:
        if path.is_file() and path.suffix.lower() in (".md", ".txt", ".rst", ".py", ".ipynb"):
            if path.suffix == ".ipynb":
                texts += notebook_texts(path, str(path.relative_to(course)))
            else:
                lines = significant_lines(path.read_text(), code=path.suffix == ".py")
                texts.append(Text(str(path.relative_to(course)), tuple(lines)))
    return texts


def verbatim_leaks(solution: Solution, texts: list[Text]) -> list[str]:
    """Where ``texts`` show a run of the solution's significant lines."""
    found = []
    for block in solution.blocks:
        lines = significant_lines(block)
        if len(lines) >= RUN:
            wanted, n = _ngrams(lines, RUN), RUN
        elif lines and len(" ".join(lines)) >= SHORT_SOLUTION_CHARS:
            wanted, n = {tuple(lines)}, len(lines)
        else:
            continue
        for text in texts:
            shown = wanted & _ngrams(list(text.lines), n)
            if shown:
                found.append(f"{text.where} shows {solution.name}: {' / '.join(min(shown))}")
    return found


# --------------------------------------------------------------- logic under other names


class _Canonical(ast.NodeTransformer):
    """Rename every variable, argument and function in order of appearance; blank constants.

    Attribute names (``np.pad``, ``x.shape``) and keyword names (``axis=``) are kept: they
    are the library calls that carry the logic.
    """

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _rename(self, name: str) -> str:
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self._rename(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._rename(node.arg)
        node.annotation = None
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.copy_location(ast.Constant(value=type(node.value).__name__), node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = self._rename(node.name)
        node.body = _without_docstring(node.body)
        node.returns = None
        node.decorator_list = []
        self.generic_visit(node)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    is_doc = isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant)
    rest = body[1:] if is_doc and isinstance(first.value.value, str) else body
    return rest or [ast.Pass()]


def _functions(tree: ast.AST) -> list[ast.FunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


@dataclass(frozen=True)
class Logic:
    """A function body in canonical form: its dump, and its node types for a fuzzy match."""

    where: str
    dump: str
    tokens: tuple[str, ...]


def canonical(function: ast.FunctionDef, where: str) -> Logic:
    """The body of ``function`` with names and constants made anonymous."""
    copy = ast.parse(ast.unparse(function)).body[0]
    body = _without_docstring(copy.body)
    module = _Canonical().visit(ast.Module(body=body, type_ignores=[]))
    tokens = []
    for node in ast.walk(module):
        tokens.append(type(node).__name__)
        if isinstance(node, ast.Attribute):
            tokens.append(node.attr)
    return Logic(where, ast.dump(module, annotate_fields=False), tuple(tokens))


def solution_logic(solution: Solution) -> list[Logic]:
    """The solved functions of an answer cell, in canonical form (the big enough ones)."""
    try:
        tree = ast.parse(solution.cell)
    except SyntaxError:
        return []
    solved = []
    for function in _functions(tree):
        logic = canonical(function, f"{solution.name}:{function.name}")
        if len(logic.tokens) >= MIN_NODES:
            solved.append(logic)
    return solved


def visible_logic(course: Path = COURSE) -> list[Logic]:
    """Every function defined in helpers/ and in the code cells of the student notebooks."""
    found = []
    sources = [
        (str(p.relative_to(course)), p.read_text()) for p in (course / "helpers").rglob("*.py")
    ]
    for path in sorted((course / "lessons").glob("*/*.ipynb")):
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                sources.append((f"{path.relative_to(course)} cell {i}", cell.source))
    for where, source in sorted(sources):
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a magic or a shell line: nothing to compare
            continue
        for function in _functions(tree):
            found.append(canonical(function, f"{where}:{function.name}"))
    return found


def logic_leaks(solution: Solution, functions: list[Logic], ratio: float = 0.9) -> list[str]:
    """Functions whose canonical body equals (or nearly equals) one the solution solves."""
    found = []
    for solved in solution_logic(solution):
        for other in functions:
            if other.dump == solved.dump:
                found.append(f"{other.where} is {solved.where} under other names")
                continue
            if min(len(other.tokens), len(solved.tokens)) < 3 * MIN_NODES:
                continue
            matcher = difflib.SequenceMatcher(None, solved.tokens, other.tokens, autojunk=False)
            if matcher.real_quick_ratio() >= ratio and matcher.ratio() >= ratio:
                found.append(
                    f"{other.where} has the logic of {solved.where} "
                    f"({matcher.ratio():.0%} of its syntax tree)"
                )
    return found


@pytest.fixture(scope="module")
def all_solutions():
    return solutions()


@pytest.fixture(scope="module")
def functions_students_see():
    return visible_logic()


@pytest.fixture(scope="module")
def helpers_and_docs():
    return visible_texts(lessons=False)


@pytest.mark.parametrize("lesson", LESSONS)
def test_student_notebook_shows_no_solution(lesson, all_solutions, functions_students_see):
    """No exercise's solution (of any lesson) appears in this lesson's student notebook."""
    path = synthetic.notebook_path(lesson, "lessons")
    texts = notebook_texts(path, str(path.relative_to(COURSE)))
    mine = [f for f in functions_students_see if f.where.startswith(f"lessons/{lesson}/")]
    leaks = []
    for solution in all_solutions:
        leaks += verbatim_leaks(solution, texts) + logic_leaks(solution, mine)
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("lesson", LESSONS)
def test_helpers_and_docs_hold_no_solution_of(
    lesson, all_solutions, functions_students_see, helpers_and_docs
):
    """No solution of this lesson appears in helpers/, docs/ or README.md."""
    texts = helpers_and_docs
    helpers = [f for f in functions_students_see if f.where.startswith("helpers/")]
    leaks = []
    for solution in (s for s in all_solutions if s.lesson == lesson):
        leaks += verbatim_leaks(solution, texts) + logic_leaks(solution, helpers)
    assert not leaks, "\n".join(leaks)


def test_every_lesson_has_solutions_to_protect(all_solutions):
    assert {s.lesson for s in all_solutions} == set(LESSONS)
    assert all(any(significant_lines(b) for b in s.blocks) for s in all_solutions)


# ------------------------------------------------------------------------- points table

TABLE_HEADER = "| exercise | what you write | points |"
ROW = re.compile(r"\|\s*(\d+)\s*\|(.+)\|\s*(\d+)\s*\|")
TOTAL = re.compile(r"\|\s*\|\s*\*\*total\*\*\s*\|\s*\*\*(\d+)\*\*\s*\|")
HEADING = re.compile(r"### Exercise (\d+) · (.+) \((\d+) points?\)")


def points_table(markdown: str) -> tuple[list[tuple[int, int]], int | None]:
    """The (exercise, points) rows and the total of the table in a lesson's first cell."""
    lines = [line.strip() for line in markdown.splitlines()]
    if TABLE_HEADER not in lines:
        return [], None
    start = lines.index(TABLE_HEADER)
    assert lines[start + 1].replace(" ", "") == "|---|---|---|", "the table's second line"
    rows, total = [], None
    for line in lines[start + 2 :]:
        if match := ROW.fullmatch(line):
            rows.append((int(match[1]), int(match[3])))
        elif match := TOTAL.fullmatch(line):
            total = int(match[1])
            break
        else:
            break
    return rows, total


@pytest.mark.parametrize("lesson", LESSONS)
def test_points_table_and_headings_match_nbgrader(lesson):
    nb = nbformat.read(synthetic.notebook_path(lesson), as_version=4)
    points = [int(p) for p in synthetic.points(nb).values()]
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    rows, total = points_table(first.source)
    assert rows, f"{lesson}: the first markdown cell has no '{TABLE_HEADER}' table"
    expected = list(enumerate(points, start=1))
    assert rows == expected, (
        f"{lesson}: the table says (exercise, points) {rows}, nbgrader's test cells {expected}"
    )
    assert total == sum(points) == 100, (
        f"{lesson}: the table's total is {total}, the test cells' points add up to "
        f"{sum(points)}; a lesson is worth exactly 100"
    )
    headings = [
        line.strip()
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.strip().startswith("### Exercise")
    ]
    parsed = [HEADING.fullmatch(h) for h in headings]
    assert all(parsed), (
        f"{lesson}: headings not shaped '### Exercise N · Title (P points)': "
        + str([h for h, m in zip(headings, parsed, strict=True) if not m])
    )
    found = [(int(m[1]), int(m[3])) for m in parsed]
    assert found == expected, f"{lesson}: exercise headings say {found}, nbgrader {expected}"


def test_points_table_parser_reads_the_documented_shape():
    markdown = (
        "Intro.\n\n| exercise | what you write | points |\n|---|---|---|\n"
        "| 1 | `f`: does it | 40 |\n| 2 | `g`: and this | 60 |\n| | **total** | **100** |\n"
    )
    assert points_table(markdown) == ([(1, 40), (2, 60)], 100)
    assert points_table("no table here") == ([], None)


# ------------------------------------------------------------------------- student text

NOT_FOR_STUDENTS = re.compile(r"\bthe notes\b|course owner|\bwritten on\b", re.I)
BRITISH = re.compile(
    r"\b("
    r"\w*(normalis|regularis|recognis|optimis|visualis|initialis|generalis|summaris|minimis"
    r"|maximis|standardis|organis|characteris|parametris|vectoris|serialis|randomis|customis"
    r"|penalis|memoris|categoris|specialis|utilis|realis|emphasis|prioritis)(e|es|ed|er|ers|ing"
    r"|ation|ations)"
    r"|\w*(colour|behaviour|honour|favour|neighbour|flavour|labour)\w*"
    r"|centr(e|es|ed|ing)|metres?|litres?|fibres?|artefacts?|labell(ed|ing)|modell(ed|ing)"
    r"|travell(ed|ing)|cancell(ed|ing)|licence|analys(e|es|ed|ing)|catalogue|programme"
    r"|defence|offence|whilst"
    r")\b",
    re.I,
)


def _words(code: str) -> str:
    """The text a reader sees in code: comments and string literals (docstrings too)."""
    tokens = _tokens(code)
    if not tokens:
        return code
    kinds = {tokenize.COMMENT, tokenize.STRING}
    kinds |= {getattr(tokenize, n) for n in ("FSTRING_MIDDLE",) if hasattr(tokenize, n)}
    return "\n".join(t.string for t in tokens if t.type in kinds)


def notebook_words(path: Path, markdown_only: bool = False) -> list[tuple[str, str]]:
    """(where, text) for what a notebook's reader sees: markdown, code's words, outputs."""
    found = []
    for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "markdown":
            found.append((f"cell {i}", cell.source))
        elif cell.cell_type == "code" and not markdown_only:
            found.append((f"cell {i}", _words(cell.source)))
            for output in cell.get("outputs", []):
                text = output.get("text", "") or output.get("data", {}).get("text/plain", "")
                found.append((f"cell {i} output", text if isinstance(text, str) else "".join(text)))
    return found


def spelling_problems(texts: list[tuple[str, str]], pattern: re.Pattern = BRITISH) -> list[str]:
    return [
        f"{where}: {match.group(0)!r} in “…{text[max(0, match.start() - 30) : match.end() + 30]}…”"
        for where, text in texts
        for match in pattern.finditer(text)
    ]


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_speaks_to_students(lesson):
    """No "the notes", no course owner, no development log in what a student reads."""
    texts = notebook_words(synthetic.notebook_path(lesson, "lessons"))
    problems = spelling_problems(texts, NOT_FOR_STUDENTS)
    assert not problems, "\n".join(problems)


SPELLING_TARGETS = (
    [f"lessons/{lesson}" for lesson in LESSONS]
    + [f"solutions/{lesson}" for lesson in LESSONS]
    + sorted(str(p.relative_to(COURSE)) for p in (COURSE / "helpers").glob("*.py"))
    + ["README.md"]
)


@pytest.mark.parametrize("target", SPELLING_TARGETS)
def test_american_spelling(target):
    """American spelling, as in Keras's documentation ("normalization", "color", "center")."""
    path = COURSE / target
    if path.is_dir():  # a lesson folder: its notebook (in solutions/, text and test messages)
        texts = notebook_words(path / f"{path.name}.ipynb")
    elif path.suffix == ".py":
        texts = [(target, _words(path.read_text()))]
    else:
        texts = [(target, path.read_text())]
    problems = spelling_problems(texts)
    assert not problems, f"{target}:\n" + "\n".join(problems)


def test_spelling_pattern_knows_british_from_american():
    british = "normalise regularisation colour behaviour centred recognised optimiser labelled"
    american = "normalize regularization color behavior centered recognized optimizer labeled"
    assert len(BRITISH.findall(british)) == len(british.split())
    assert BRITISH.findall(american + " analysis central parameter emphasis") == []


# --------------------------------------------------------- the detectors on planted leaks

PLANTED = '''def spread(x, w, b):
    """Sum of a toy convolution."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    kh, kw = w.shape
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i : i + kh, j : j + kw] * w) + b
    return out
    ### END SOLUTION
'''


def _course(tmp_path: Path, student_cells=(), helper_code: str | None = None) -> Path:
    """A one-lesson course with the planted solution and the given student-visible text."""
    meta = {"nbgrader": {"grade_id": "ex1-spread", "solution": True, "grade": False}}
    solution = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PLANTED, metadata=meta)])
    (tmp_path / "solutions" / "99-toy").mkdir(parents=True)
    nbformat.write(solution, str(tmp_path / "solutions" / "99-toy" / "99-toy.ipynb"))
    (tmp_path / "lessons" / "99-toy").mkdir(parents=True)
    student = nbformat.v4.new_notebook(cells=list(student_cells))
    nbformat.write(student, str(tmp_path / "lessons" / "99-toy" / "99-toy.ipynb"))
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "tools.py").write_text(helper_code or "def nothing():\n    pass\n")
    (tmp_path / "README.md").write_text("# Toy course\n")
    return tmp_path


def _leaks(course: Path) -> list[str]:
    (solution,) = solutions(course)
    texts, functions = visible_texts(course), visible_logic(course)
    return verbatim_leaks(solution, texts) + logic_leaks(solution, functions)


def test_detector_catches_three_solution_lines_in_a_markdown_cell(tmp_path):
    markdown = (
        "Here is how:\n\n```python\n    kh, kw = w.shape\n"
        "    out = np.zeros((x.shape[0] - kh + 1,  x.shape[1] - kw + 1))\n"
        "    for i in range(out.shape[0]):\n        for j in range(out.shape[1]):\n```\n"
    )
    leaks = _leaks(_course(tmp_path, [nbformat.v4.new_markdown_cell(markdown)]))
    assert leaks and "lessons/99-toy/99-toy.ipynb cell 0 shows 99-toy/ex1-spread" in leaks[0]


def test_detector_catches_solution_lines_in_an_output_and_with_comments_between(tmp_path):
    cell = nbformat.v4.new_code_cell("print(source)")
    body = PLANTED.split("### BEGIN SOLUTION\n")[1].split("    ### END")[0]
    cell.outputs = [nbformat.v4.new_output("stream", text=body)]
    commented = (
        "def helper(x, w, b):\n    # the loops\n    out = np.zeros((x.shape[0] - kh + 1, "
        "x.shape[1] - kw + 1))  # the output\n\n    for i in range(out.shape[0]):\n"
        "        # rows, then columns\n        for j in range(out.shape[1]):\n"
        "            pass\n"
    )
    leaks = _leaks(_course(tmp_path, [cell], helper_code=commented))
    assert any("cell 0 output shows" in leak for leak in leaks)
    assert any(leak.startswith("helpers/tools.py shows") for leak in leaks)


def test_detector_catches_the_logic_renamed_in_helpers(tmp_path):
    renamed = (
        "import numpy\n\n\ndef feature_map(image, kernel, offset):\n"
        '    """Looks harmless."""\n'
        "    image = numpy.asarray(image, dtype=float)\n"
        "    kernel = numpy.asarray(kernel, dtype=float)\n"
        "    rows, cols = kernel.shape\n"
        "    result = numpy.zeros((image.shape[0] - rows + 1, image.shape[1] - cols + 1))\n"
        "    for r in range(result.shape[0]):\n"
        "        for c in range(result.shape[1]):\n"
        "            result[r, c] = numpy.sum(image[r : r + rows, c : c + cols] * kernel) + offset\n"
        "    return result\n"
    )
    leaks = _leaks(_course(tmp_path, helper_code=renamed))
    assert leaks == ["helpers/tools.py:feature_map is 99-toy/ex1-spread:spread under other names"]
    nearly = renamed.replace("+ offset\n", "+ offset * 1\n")  # one node more: the fuzzy match
    leaks = _leaks(_course(tmp_path / "fuzzy", helper_code=nearly))
    assert len(leaks) == 1 and "has the logic of 99-toy/ex1-spread:spread" in leaks[0]


def test_detector_ignores_common_lines_and_other_logic(tmp_path):
    common = (
        "import numpy as np\n\n\ndef blur(x, w):\n"
        "    x = np.asarray(x, dtype=float)\n"
        "    w = np.asarray(w, dtype=float)\n"
        "    kh, kw = w.shape\n"
        "    return np.fft.irfft2(np.fft.rfft2(x) * np.fft.rfft2(w, x.shape), x.shape)\n"
    )
    markdown = "Convert first: `x = np.asarray(x, dtype=float)`, then\n\n    return out\n"
    one_line = "out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))"
    cells = [nbformat.v4.new_markdown_cell(markdown), nbformat.v4.new_code_cell(one_line)]
    assert _leaks(_course(tmp_path, cells, helper_code=common)) == []


def test_significant_lines_drop_comments_blanks_and_trivial_lines():
    code = "x = np.asarray(x, dtype=float)\n\n# a comment\nout = f(x)  # why\nreturn out\n)\n"
    assert significant_lines(code) == ["out = f(x)"]
