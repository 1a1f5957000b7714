"""Which of a lesson's demonstration cells the grade does not depend on.

A lesson notebook is mostly teaching: figures, timings, small trainings that show an idea.
The grade depends only on the test cells, and a test cell depends only on the cells that
bind what it uses (the student's answers, the set-up, some data and helper cells). Running
the rest while grading costs most of the time and changes no score, so
:func:`unneeded_cells` finds it and :class:`grading.run.JudgedExecute` leaves it out.

Only a cell that is exactly a released lesson cell with no nbgrader role (not set-up, answer
or test) may be left out; whatever the student wrote or changed runs. The slice is taken
backwards from the end. Walking back, a demonstration cell is needed when

* it binds a name that a later cell which runs reads, or
* it may change such a name's object in place: assigns to ``x.attr`` or ``x[i]``, deletes
  from it, calls a method on it (``model.fit(...)``, ``history.append(...)``), or passes it
  to a function (``unfreeze_top(backbone, 4)``).

What a cell reads is what it uses from earlier cells: names bound earlier in the same cell
or local to a function do not count. Names only ever bound by ``import``, ``def``, ``class``,
by an alias of a module (``L = keras.layers``), or by the read-only set-up cells are the
lesson's tools, not state: a cell that calls ``np.mean``, ``P.pick`` or the student's
``build_model`` does not thereby become needed. Only lesson cells (never the student's code)
can hide an earlier binding by binding the name again.

A cell that reads names the parser cannot see (``globals()[...]``, ``eval``) is taken to
read every identifier in its strings; one that uses IPython's history (``Out``, ``_``...), a
magic, ``import *``, a ``global`` statement or ``__main__`` makes the whole notebook run, as
does a cell that does not parse.

The student's own code (answers and added cells: anything that is not the lesson's set-up,
test or demonstration code) is held to a stricter rule, since a correct answer may reach
the notebook's variables by a route no analysis of names follows: the notebook as a module
(``import __main__``, ``sys.modules[...]``, ``importlib``, a module the notebook wrote
itself), ``builtins``, a namespace (``globals()`` with a computed key, ``vars()``, ``eval`` of
computed code, a function's ``__globals__``) or a frame (``inspect``, ``sys._getframe``,
``f_globals``). Any of these in the student's code (:func:`unfollowable`) makes every
demonstration run: leaving one out must never cost a correct student a point.
``--run-all`` (:mod:`grading.autograde`) turns all of this off.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable

from nbformat import NotebookNode

# Names through which a cell reaches what no parser sees: the notebook then runs whole.
HISTORY_NAMES = frozenset(
    {"get_ipython", "In", "Out", "_oh", "_ih", "_dh", "_", "__", "___", "_i", "_ii", "_iii"}
)
HISTORY_PATTERN = re.compile(r"^_i?\d+$")  # _12, _i12: IPython's numbered history
# Calls that look a name up by its string: every identifier in the cell's strings counts.
BY_STRING = frozenset({"globals", "locals", "vars", "eval", "exec", "getattr", "setattr"})
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# Statements whose top-level bindings always happen once the statement has run.
UNCONDITIONAL = (
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
)


class Opaque(Exception):
    """A cell uses names the analysis cannot follow."""


# Routes from the student's code to the notebook's variables that no analysis of names can
# follow (see the module docstring): modules, names, attributes and text that lead there.
UNFOLLOWABLE_MODULES = frozenset(
    "__main__ builtins importlib inspect gc ctypes pickle dill cloudpickle marshal shelve "
    "runpy code codeop pdb bdb trace ipynb import_ipynb nbimporter".split()
)
UNFOLLOWABLE_NAMES = frozenset({"__main__", "__builtins__", "__import__", "breakpoint"})
UNFOLLOWABLE_ATTRIBUTES = frozenset(
    "__globals__ __builtins__ __self__ f_globals f_locals f_back f_builtins tb_frame gi_frame "
    "cr_frame ag_frame modules _getframe _current_frames user_ns user_global_ns get_ipython "
    "globals locals vars eval exec import_module".split()
)
UNFOLLOWABLE_TEXT = re.compile(
    r"__main__|__globals__|__builtins__|f_globals|f_locals|_getframe|user_ns|import_module"
)
NAMESPACES = frozenset({"globals", "locals", "vars"})  # followed with a constant key only
CODE = frozenset({"eval", "exec"})  # followed with constant code only
BY_NAME = frozenset({"getattr", "setattr", "delattr", "hasattr"})  # with a constant name only


def _constant_text(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _namespace_use_followed(call: ast.Call, parent: ast.AST | None) -> bool:
    """``globals()["x"]``, ``globals().get("x")``, ``"x" in globals()``: the key is known."""
    if call.args or call.keywords:
        return False  # vars(obj) and friends: an object's namespace, reached by name
    if isinstance(parent, ast.Subscript) and parent.value is call:
        return _constant_text(parent.slice)
    if isinstance(parent, ast.Attribute) and parent.value is call:
        grand = getattr(parent, "_parent", None)
        return (
            isinstance(grand, ast.Call)
            and grand.func is parent
            and parent.attr in ("get", "__getitem__", "__contains__", "setdefault", "pop")
            and bool(grand.args)
            and _constant_text(grand.args[0])
        )
    if isinstance(parent, ast.Compare) and call in parent.comparators:
        return _constant_text(parent.left)
    return False


def _installed(module: str) -> bool:
    """Whether ``module`` (its top-level package) is one the grader can find: not a file the
    notebook wrote next to itself."""
    import importlib.util

    top = module.split(".")[0]
    if top in sys.builtin_module_names or top in getattr(sys, "stdlib_module_names", ()):
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def unfollowable(source: str) -> str:
    """Why a cell of the student's may read a variable of the notebook by a route no analysis
    of names follows ("" when it cannot): see the module docstring."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return "does not parse"
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            child._parent = node  # type: ignore[attr-defined]
    for node in ast.walk(tree):
        parent = getattr(node, "_parent", None)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in UNFOLLOWABLE_MODULES:
                    return f"imports {alias.name}"
                if not _installed(alias.name):
                    return f"imports {alias.name}, a module that is not installed"
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level or module.split(".")[0] in UNFOLLOWABLE_MODULES:
                return f"imports from {'.' * node.level}{module}"
            if not _installed(module):
                return f"imports from {module}, a module that is not installed"
            names = {alias.name for alias in node.names}
            if names & (UNFOLLOWABLE_ATTRIBUTES | UNFOLLOWABLE_NAMES | NAMESPACES | CODE):
                return f"imports {sorted(names)[0]} from {module}"
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in UNFOLLOWABLE_NAMES:
                return f"uses {node.id}"
            called = isinstance(parent, ast.Call) and parent.func is node
            if node.id in NAMESPACES | CODE | BY_NAME and not called:
                return f"passes {node.id} around"
            if node.id in NAMESPACES and not _namespace_use_followed(
                parent, getattr(parent, "_parent", None)
            ):
                return f"reads {node.id}() with a key computed at run time"
            if node.id in CODE and not (parent.args and _constant_text(parent.args[0])):
                return f"runs {node.id}() on code computed at run time"
            if node.id in BY_NAME and not (len(parent.args) > 1 and _constant_text(parent.args[1])):
                return f"{node.id}() with a name computed at run time"
        elif isinstance(node, ast.Attribute) and node.attr in UNFOLLOWABLE_ATTRIBUTES:
            return f"reads .{node.attr}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            text = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
            if found := UNFOLLOWABLE_TEXT.search(text):
                return f"names {found[0]} in a string"
    return ""


def nbgrader_role(cell: NotebookNode) -> bool:
    """Does nbgrader know this cell (set-up, answer, test or any locked cell)?"""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return any(meta.get(key) for key in ("solution", "grade", "locked", "task"))


def demonstration_sources(release: NotebookNode) -> set[str]:
    """The released lesson's code cells that nbgrader gives no role: demonstrations."""
    return {
        cell.source.strip()
        for cell in release.cells
        if cell.cell_type == "code" and cell.source.strip() and not nbgrader_role(cell)
    }


def root_name(node: ast.AST) -> str | None:
    """``x`` for ``x``, ``x.a.b``, ``x[i].a`` and ``x.f(...).g``; None otherwise."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call, ast.Starred)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def dotted(node: ast.AST) -> str | None:
    """The root of a plain dotted name (``keras.layers``); None for anything else."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def local_names(scope: ast.AST) -> set[str]:
    """Names local to a function, lambda or comprehension (its parameters and what it binds)."""
    found: set[str] = set()
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = scope.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                found.add(arg.arg)
        body = scope.body if isinstance(scope.body, list) else [scope.body]
    elif isinstance(scope, COMPREHENSIONS):
        body = [g.target for g in scope.generators]
    else:
        return found
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            found.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
            continue  # its body is its own scope
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.add(node.name)
        if isinstance(node, (ast.Lambda, *COMPREHENSIONS)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


class _Statement(ast.NodeVisitor):
    """What one top-level statement binds, reads and may change."""

    def __init__(self) -> None:
        self.binds: set[str] = set()  # names it binds at top level (as data or otherwise)
        self.data_binds: set[str] = set()  # of those, bound as data (not tools: see module)
        self.aliases: dict[str, str] = {}  # name -> root of the dotted name it was bound to
        self.reads: set[str] = set()  # free names it reads
        self.changes: set[str] = set()  # free names whose object it may change in place
        self.strings: set[str] = set()  # identifiers inside string constants
        self.history: set[str] = set()  # IPython history names it reads
        self.stored: set[str] = set()  # every name it stores, at any depth
        self.by_string = False
        self.opaque = ""
        self._locals: list[set[str]] = []  # enclosing function scopes

    def free(self, name: str) -> bool:
        return not any(name in scope for scope in self._locals)

    def bind(self, name: str, data: bool) -> None:
        if not self._locals:
            self.binds.add(name)
            if data:
                self.data_binds.add(name)

    def changed(self, node: ast.AST) -> None:
        name = root_name(node)
        if name and self.free(name):
            self.changes.add(name)

    # names
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if self.free(node.id):
                self.reads.add(node.id)
                if node.id in HISTORY_NAMES or HISTORY_PATTERN.match(node.id):
                    self.history.add(node.id)
                self.by_string = self.by_string or node.id in BY_STRING
        else:  # Store or Del
            self.stored.add(node.id)
            self.bind(node.id, data=True)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.stored.add(node.target.id)
        if not any(isinstance(s, _FunctionScope) for s in self._locals):
            self.binds.add(node.target.id)  # a walrus in a comprehension binds outside it
            self.data_binds.add(node.target.id)
        self.visit(node.value)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            if "__main__" in node.value:
                self.opaque = self.opaque or "reaches __main__"
            self.strings.update(IDENTIFIER.findall(node.value))

    # bindings that are not data
    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.opaque = self.opaque or "uses import *"
            self.bind(alias.asname or alias.name.split(".")[0], data=False)

    visit_ImportFrom = visit_Import

    def visit_Assign(self, node: ast.Assign) -> None:
        root = dotted(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name) and root is not None and not self._locals:
                self.aliases[target.id] = root
            elif isinstance(target, (ast.Attribute, ast.Subscript)):
                self.changed(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.changed(node.target)
        if isinstance(node.target, ast.Name) and self.free(node.target.id):
            self.reads.add(node.target.id)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if not isinstance(target, ast.Name):
                self.changed(target)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute):  # x.method(...): may change x
            self.changed(node.func.value)
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            self.changed(argument)  # f(x), f(x[0]), f(key=x): may change x
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global | ast.Nonlocal) -> None:
        self.opaque = self.opaque or "uses a global or nonlocal statement"

    visit_Nonlocal = visit_Global

    # scopes
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for outer in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if outer is not None:
                self.visit(outer)
        self.bind(node.name, data=False)
        self._locals.append(_FunctionScope(local_names(node)))
        for statement in node.body:
            self.visit(statement)
        self._locals.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for outer in [*node.args.defaults, *node.args.kw_defaults]:
            if outer is not None:
                self.visit(outer)
        self._locals.append(_FunctionScope(local_names(node)))
        self.visit(node.body)
        self._locals.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for outer in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(outer)
        self.bind(node.name, data=False)
        self._locals.append(_FunctionScope())  # what the body binds stays in the class
        for statement in node.body:
            self.visit(statement)
        self._locals.pop()

    def visit_ListComp(self, node: ast.AST) -> None:
        self._locals.append(set(local_names(node)))
        self.generic_visit(node)
        self._locals.pop()

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp


class _FunctionScope(set):
    """The local names of a function, lambda or class body (not of a comprehension)."""


class CellNames:
    """What one cell binds, reads and may change, from its source (IPython syntax allowed).

    ``reads`` are the names it may read before binding them itself (what it needs from
    earlier cells); ``binds`` every name it may bind; ``always_binds`` those it binds
    whenever it runs to the end; ``changes`` the names whose objects it may change.
    """

    def __init__(self, source: str) -> None:
        from IPython.core.inputtransformer2 import TransformerManager

        python = TransformerManager().transform_cell(source)
        if "get_ipython()" in python:
            raise Opaque("uses an IPython magic or shell command")
        self.binds: set[str] = set()
        self.data_binds: set[str] = set()
        self.aliases: dict[str, str] = {}
        self.reads: set[str] = set()
        self.changes: set[str] = set()
        self.always_binds: set[str] = set()
        strings: set[str] = set()
        history: set[str] = set()
        stored: set[str] = set()
        by_string = False
        for statement in ast.parse(python).body:  # SyntaxError propagates
            seen = _Statement()
            seen.visit(statement)
            if seen.opaque:
                raise Opaque(seen.opaque)
            by_string = by_string or seen.by_string
            strings |= seen.strings
            history |= seen.history
            stored |= seen.stored
            self.reads |= seen.reads - self.always_binds
            self.changes |= seen.changes
            self.binds |= seen.binds
            self.data_binds |= seen.data_binds
            self.aliases.update(seen.aliases)
            bare = isinstance(statement, ast.AnnAssign) and statement.value is None
            if isinstance(statement, UNCONDITIONAL) and not bare:  # ``x: int`` binds nothing
                self.always_binds |= seen.binds
        if history - stored:  # ``_`` as a loop variable is fine; reading Out[3] is not
            raise Opaque(f"uses IPython's {sorted(history - stored)[0]}")
        if by_string:  # globals()["name"], eval("name"): any identifier in a string counts
            self.reads |= strings


def unneeded_cells(
    nb: NotebookNode, demonstrations: Iterable[str], judged: Iterable[int] = ()
) -> dict[int, str]:
    """Indices of the code cells the kernel need not run, each with why.

    ``demonstrations`` are the sources of the released lesson's cells without an nbgrader
    role (:func:`demonstration_sources`); none is left out when the student's code takes a
    route the analysis cannot follow (:func:`unfollowable`). ``judged`` are the test cells the
    judge runs
    (:mod:`grading.judge`): the judge reads what they read from the kernel, so those names
    are needed, but the kernel itself runs such a cell only when a later cell that runs reads
    what it binds or changes. An empty result means: run everything in the kernel.
    """
    judged = set(judged)
    demos = {s.strip() for s in demonstrations}
    cells = [
        (index, cell)
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and cell.source.strip()
    ]
    names: dict[int, CellNames] = {}
    every_demonstration = False  # the student's code may reach any of them
    for index, cell in cells:
        try:
            names[index] = CellNames(cell.source)
        except (Opaque, SyntaxError, ValueError):
            return {}  # a cell hides what it uses (or cannot be read): run everything
        answer = cell.get("metadata", {}).get("nbgrader", {}).get("solution")
        lesson_code = cell.source.strip() in demos or index in judged
        lesson_code = lesson_code or (nbgrader_role(cell) and not answer)  # set-up, tests
        every_demonstration = every_demonstration or (
            not lesson_code and bool(unfollowable(cell.source))
        )
    # State is what is bound as data outside the set-up cells, except aliases of tools.
    tools: set[str] = set()
    for index, cell in cells:
        if is_setup(cell):
            tools |= names[index].binds
    data = set()
    for info in names.values():
        data |= info.data_binds - tools
    defined_as_tool = {n for info in names.values() for n in info.binds - info.data_binds}
    for info in names.values():
        for alias, root in info.aliases.items():
            if root in defined_as_tool | tools and root not in data:
                data.discard(alias)
    needed: set[str] = set()
    skip: dict[int, str] = {}
    for index, cell in reversed(cells):
        info = names[index]
        source = cell.source.strip()
        demonstration = source in demos and not nbgrader_role(cell)
        if demonstration and not every_demonstration or index in judged:
            if not (info.binds & needed or info.changes & needed & data):
                skip[index] = "judged" if index in judged else "no graded cell depends on it"
                needed |= info.reads if index in judged else set()
                continue
        if source in demos or is_setup(cell):  # lesson code that runs to its end
            needed -= info.always_binds
        needed |= info.reads
    return dict(sorted(skip.items()))


def is_setup(cell: NotebookNode) -> bool:
    """A read-only, ungraded cell of the lesson (its set-up)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("locked")) and not meta.get("grade") and not meta.get("solution")
