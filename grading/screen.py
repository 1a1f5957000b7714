"""A static screen of the code a student wrote, for the instructor's eyes.

The guard (:mod:`grading.guard`) keeps the tests honest while they run; this screen lists the
constructs a submission has no business using in these lessons and that an attack on the
grader needs: patching modules or builtins, reaching into frames, the kernel or the garbage
collector, running programs, opening connections, building code at run time. A finding does
not change the score: it marks the submission ``flagged`` for a human to look at.
"""

from __future__ import annotations

import ast

from IPython.core.inputtransformer2 import TransformerManager

# Names that, imported or used, point at the grader or the interpreter's machinery.
MODULES = {
    "ctypes": "ctypes (raw memory access)",
    "gc": "the garbage collector",
    "inspect": "frame introspection (inspect)",
    "builtins": "the builtins module",
    "importlib": "importlib",
    "subprocess": "running programs (subprocess)",
    "socket": "network sockets",
    "urllib": "network access (urllib)",
    "requests": "network access (requests)",
    "http": "network access (http)",
    "signal": "signal handlers",
    "threading": "threads",
    "multiprocessing": "processes",
    "atexit": "exit hooks",
    "IPython": "the IPython shell",
    "ipykernel": "the kernel",
    "zmq": "the kernel's sockets",
    "jupyter_client": "the kernel's protocol",
    "nbgrader": "nbgrader",
    "grading": "the course's grader",
    "pty": "terminals",
    "sqlite3": "databases (the gradebook is one)",
}
CALLS = {
    "exec": "exec()",
    "eval": "eval()",
    "compile": "compile()",
    "__import__": "__import__()",
    "globals": "globals()",
    "breakpoint": "breakpoint()",
    "get_ipython": "get_ipython()",
}
ATTRIBUTES = {
    "__dict__": "an object's __dict__",
    "__globals__": "a function's globals",
    "__code__": "a function's code",
    "__closure__": "a function's closure",
    "__builtins__": "__builtins__",
    "__subclasses__": "__subclasses__()",
    "f_back": "frames",
    "f_globals": "frames",
    "f_locals": "frames",
    "tb_frame": "frames",
    "gi_frame": "frames",
    "_getframe": "frames",
    "settrace": "tracing",
    "setprofile": "tracing",
    "modules": None,  # only sys.modules
    "meta_path": None,
    "path_hooks": None,
    "displayhook": None,
    "excepthook": None,
    "audit": None,
    "addaudithook": None,
    "_exit": None,  # only os._exit
    "system": None,
    "fork": None,
    "popen": None,
}
SYS_ATTRIBUTES = {"modules", "meta_path", "path_hooks", "displayhook", "excepthook"}
SYS_ATTRIBUTES |= {"audit", "addaudithook", "settrace", "setprofile", "_getframe"}
OS_ATTRIBUTES = {"_exit", "system", "fork", "popen", "execv", "execve", "spawnv", "kill"}


def parse(source: str) -> ast.AST | None:
    """The cell as Python (IPython magics and ``!`` commands translated first)."""
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def root_name(node: ast.AST) -> str | None:
    """``np`` for ``np.linalg.norm``: the name an attribute chain starts from."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def screen_cell(source: str, modules: set[str]) -> list[str]:
    """What this cell does that the screen lists; ``modules`` are names bound to modules."""
    tree = parse(source)
    if tree is None:
        return []
    found: list[str] = []
    aliases = set(modules)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for name in names:
                top = name.split(".")[0]
                if top in MODULES:
                    found.append(f"imports {MODULES[top]} (line {node.lineno})")
            for alias in node.names:
                aliases.add(alias.asname or alias.name.split(".")[0])
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.FunctionDef, ast.ClassDef)):
            targets = (
                node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", node)]
            )
            for target in targets:
                name = target.id if isinstance(target, ast.Name) else getattr(target, "name", None)
                if name in modules:
                    found.append(f"rebinds the lesson's name {name} (line {node.lineno})")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name in CALLS:
                found.append(f"calls {CALLS[name]} (line {node.lineno})")
            elif name in ("setattr", "delattr", "vars") and node.args:
                target = node.args[0]
                if isinstance(target, ast.Name) and target.id in aliases:
                    found.append(f"{name}() on the module {target.id} (line {node.lineno})")
        if isinstance(node, ast.Attribute):
            base = node.value.id if isinstance(node.value, ast.Name) else None
            if node.attr in ATTRIBUTES and ATTRIBUTES[node.attr]:
                found.append(f"uses {ATTRIBUTES[node.attr]} (line {node.lineno})")
            elif base == "sys" and node.attr in SYS_ATTRIBUTES:
                found.append(f"uses sys.{node.attr} (line {node.lineno})")
            elif base == "os" and node.attr in OS_ATTRIBUTES:
                found.append(f"uses os.{node.attr} (line {node.lineno})")
            root = root_name(node)
            if isinstance(node.ctx, (ast.Store, ast.Del)) and root in aliases:
                verb = "replaces" if isinstance(node.ctx, ast.Store) else "deletes"
                found.append(f"{verb} {ast.unparse(node)} (line {node.lineno})")
            if isinstance(node.ctx, ast.Store) and node.attr == "__class__":
                found.append(f"assigns __class__ (line {node.lineno})")
    return sorted(set(found), key=found.index)


def screen(cells: list[tuple[str, str]], modules: set[str]) -> list[str]:
    """Findings for (label, source) pairs of the student's code cells."""
    return [
        f"{label}: {finding}" for label, source in cells for finding in screen_cell(source, modules)
    ]
