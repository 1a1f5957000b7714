"""The judge: runs a lesson's test cells in the grader's own process, never in the kernel.

A student's code runs in a sandboxed kernel; a test that ran there could be fooled by it
(patched modules, a replaced comparison, a walked stack). So under ``make grade`` every test
cell, hidden tests included, runs here, in the grading worker, a process the kernel cannot
reach. The judge

1. runs the lesson's read-only set-up cells itself, so ``np``, ``keras``, ``checks`` and the
   rest are the grader's own modules;
2. for each test cell, asks the kernel once for every other name the cell reads
   (:class:`grading.slicing.CellNames`): data arrives as data, a Keras model is rebuilt here
   from its config and weights, a function or other object becomes a proxy
   (:class:`KernelFunction`, :class:`KernelObject`);
3. runs the cell's source in a fresh namespace here; calling a proxy sends the arguments to
   the kernel as data, runs the student's function there and brings its result back as data
   (:mod:`grading.wire`); an exception the student's code raised comes back as the same
   built-in exception class, with the student's message, and a function that changes an
   array it was given in place fails the call (:class:`ChangedInput`), since the test's own
   array never sees that change.

Every comparison therefore runs here, on data, with the grader's NumPy and
``helpers.checks``; the kernel only ever sees the inputs the tests choose and never a line of
test code. A kernel that hangs or dies during a call aborts the test
(:class:`JudgeAbort`, which a test cannot catch) and the execute step recovers the kernel.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import linecache
import os
import secrets
import sys
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from time import monotonic
from typing import Any

from grading import wire
from grading.slicing import CellNames, Opaque

WIRE_SOURCE = Path(wire.__file__).read_text()
MODULE = "_grading_wire"
INSTALL = (
    "(lambda types, sys: (lambda m: (exec(compile({source!r}, '<grading-wire>', 'exec'), "
    "m.__dict__), sys.modules.__setitem__({module!r}, m)))(types.ModuleType({module!r})))"
    "(__import__('types'), __import__('sys'))"
)
SERVE = "__import__('sys').modules[{module!r}].serve({path!r}, globals())"
MAX_OUTPUT = 1 << 20  # characters of a test cell's output kept


class JudgeAbort(BaseException):
    """The kernel did not answer in time or died: the test cannot go on (not catchable by a
    test's ``except Exception``)."""


class StudentCodeError(Exception):
    """The student's code raised an exception that is not one of Python's built-in ones."""


class ChangedInput(StudentCodeError):
    """The student's function changed, in place, an array a test passed to it.

    The kernel works on copies of a test's arguments (so code that overwrites its inputs
    cannot change what a test compares against); a change to one is reported instead, as the
    failure it would be for the caller that still needs its data.
    """

    def __init__(self, target: Any, places: Any) -> None:
        places = [str(p)[:100] for p in places][:10] if isinstance(places, list) else ["?"]
        which = ", ".join(
            f"{p[1:]}=" if p.startswith("=") else f"argument {int(p) + 1}" if p.isdigit() else p
            for p in places
        )
        name = getattr(target, "__name__", "your function")
        super().__init__(
            f"{name} changed the array it was given ({which}) in place; a graded function must "
            "leave its inputs as they were, since the caller still needs them.\n  Hint: work on "
            "a copy, e.g. x = np.array(x, dtype=float), and write x = x - ..., not x -= ... ."
        )


class KernelFunction:
    """A function (or class) of the student's notebook: calling it runs it in the kernel.

    ``inspect.getsource`` works on it (through :attr:`__wrapped__`, a stand-in whose source is
    the student's text), so a test can still read what the student's code uses.
    """

    def __init__(self, judge: Judge, key: int, name: str, module: str = "__main__") -> None:
        self._judge, self._key, self.__name__, self.__module__ = judge, key, name, module

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._judge.request("call", target=self, args=list(args), kwargs=kwargs)

    @property
    def __wrapped__(self) -> Callable[..., None]:
        source = self._judge.request("source", target=self)
        if not isinstance(source, str) or not source.strip():
            raise AttributeError("__wrapped__")  # inspect then says: no source
        return stand_in(self.__name__, self.__module__, source, self._key)

    def __repr__(self) -> str:
        return f"<{self.__name__} (the student's, in the kernel)>"


class KernelObject:
    """Any other object of the student's notebook: its attributes come back as data."""

    def __init__(self, judge: Judge, key: int, kind: str) -> None:
        self._judge, self._key, self._kind = judge, key, kind

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # Python's protocols and this proxy's own fields
            raise AttributeError(name)
        return self._judge.request("getattr", target=self, name=name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._judge.request("call", target=self, args=list(args), kwargs=kwargs)

    def __repr__(self) -> str:
        return f"<a {self._kind} (the student's, in the kernel)>"


def stand_in(name: str, module: str, source: str, key: int) -> Callable[..., None]:
    """A function that does nothing, whose source (for :mod:`inspect`) is ``source``.

    Its code is compiled from a fixed ``pass`` body, never from the student's text: nothing
    the student wrote ever runs in the grader.
    """
    filename = f"<the student's {name} #{key}>"
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    code = next(
        c
        for c in compile("def f():\n    pass\n", filename, "exec").co_consts
        if isinstance(c, types.CodeType)
    )
    short = name.rpartition(".")[2] or "f"
    code = code.replace(co_name=short, co_qualname=name, co_firstlineno=1)
    function = types.FunctionType(code, {"__name__": module})
    function.__module__ = module
    return function


class _Capture(io.StringIO):
    def write(self, text: str) -> int:
        if self.tell() < MAX_OUTPUT:
            super().write(text[: MAX_OUTPUT - self.tell()])
        return len(text)


def setup_namespace(sources: Iterable[str]) -> dict[str, Any]:
    """The names the lesson's read-only set-up cells bind, run here (their output dropped)."""
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for source in sources:
            exec(compile(transform(source), "<lesson set-up>", "exec"), namespace)
    return namespace


def transform(source: str) -> str:
    """A cell's source as Python (IPython's syntax transformed)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


class Judge:
    """Runs test cells here against one kernel, reached through ``connection`` (a Jupyter
    connection dict) and files in ``wire_dir`` (a folder the kernel can read and write)."""

    def __init__(
        self,
        connection: dict[str, Any],
        wire_dir: Path,
        setup: dict[str, Any],
        alive: Callable[[], bool] = lambda: True,
    ) -> None:
        from jupyter_client.blocking import BlockingKernelClient

        self.setup = setup
        self.alive = alive
        self.wire_dir = wire_dir
        self.folder = os.open(wire_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        self.client = BlockingKernelClient()
        self.client.load_connection_info(connection)
        self.client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        self.deadline = monotonic() + 60
        self.calls = 0
        self.installed = False

    def close(self) -> None:
        self.client.stop_channels()
        os.close(self.folder)

    # ------------------------------------------------------------------ talking to the kernel

    def install(self) -> None:
        """Put :mod:`grading.wire` into the kernel (again, if the notebook removed it)."""
        self._execute(INSTALL.format(source=WIRE_SOURCE, module=MODULE))
        self.installed = True

    def _execute(self, code: str) -> dict:
        msg_id = self.client.execute(
            code, silent=True, store_history=False, allow_stdin=False, stop_on_error=False
        )
        while True:
            left = self.deadline - monotonic()
            if left <= 0:
                raise JudgeAbort("the student's code did not finish within the time limit")
            try:
                reply = self.client.get_shell_msg(timeout=min(left, 1.0))
            except Exception:  # queue.Empty: nothing yet
                if not self.alive():
                    raise JudgeAbort("the kernel died while running the student's code") from None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply["content"]

    def request(self, op: str, **fields: Any) -> Any:
        """Send one request to the kernel and return its answer, decoded. A reply that cannot
        be read (the notebook removed or replaced the module that answers) is asked for once
        more after putting the module back; then the student's code gets the blame."""
        if not self.installed:
            self.install()
        data = wire.encode({"op": op, **fields}, self._reference)
        reply: dict = {}
        for attempt in (1, 2):
            try:
                reply = self._exchange(data)
                break
            except wire.WireError as error:
                if attempt == 2:
                    raise StudentCodeError(
                        f"the grader could not read your notebook's answer: {error}"
                    ) from None
                self.install()
        if reply.get("output"):
            sys.stdout.write(reply["output"])
        if reply.get("ok") is True:
            if op == "call" and reply.get("mutated"):
                raise ChangedInput(fields["target"], reply["mutated"])
            return reply.get("value")
        raise student_exception(reply)

    def _exchange(self, data: bytes) -> dict:
        """Write a request file, have the kernel serve it, read and check the reply file."""
        self.calls += 1
        name = f"{self.calls}-{secrets.token_hex(6)}"
        wire.write_file(f"{name}.req", data, self.folder)
        try:
            content = self._execute(SERVE.format(module=MODULE, path=str(self.wire_dir / name)))
            if content.get("status") != "ok":
                raise wire.WireError(f"{content.get('ename')}: {content.get('evalue')}")
            reply = wire.decode(wire.read_file(f"{name}.rep", self.folder), self._resolve)
        finally:
            for suffix in (".req", ".rep"):
                with contextlib.suppress(OSError):
                    os.unlink(f"{name}{suffix}", dir_fd=self.folder)
        if not (isinstance(reply, dict) and isinstance(reply.get("output", ""), str)):
            raise wire.WireError("the reply is not what the grader asked for")
        return reply

    def _reference(self, value: Any) -> dict:
        if isinstance(value, KernelFunction):
            return {"$f": [value._key, value.__name__]}
        if isinstance(value, KernelObject):
            return {"$o": [value._key, value._kind]}
        raise wire.WireError(
            f"a test can pass data, Keras models and the notebook's own objects to the "
            f"student's code, not a {type(value).__name__}"
        )

    def _resolve(self, tag: str, body: Any) -> Any:
        if not (type(body) is list and len(body) in (2, 3) and type(body[0]) is int):
            raise wire.WireError("malformed reference")
        key, name = body[0], str(body[1])[:200]
        if tag == "$f":
            module = str(body[2])[:200] if len(body) == 3 else "__main__"
            return KernelFunction(self, key, name, module)
        if tag == "$m" and name in sys.modules:
            return sys.modules[name]
        return KernelObject(self, key, "module" if tag == "$m" else name)

    # ------------------------------------------------------------------ running a test

    def run(self, source: str, seconds: float) -> tuple[str, BaseException | None]:
        """Run one test cell's source here; (what it printed, the exception it raised)."""
        self.deadline = monotonic() + seconds
        python = transform(source)
        wanted = sorted(reads(python) - set(self.setup) - set(dir(builtins)))
        namespace = dict(self.setup)
        output = _Capture()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            try:
                if wanted:
                    fetched = self.request("get", names=wanted)
                    if not isinstance(fetched, dict):
                        raise StudentCodeError(
                            "the kernel's answer was not what the grader asked for"
                        )
                    namespace.update({k: v for k, v in fetched.items() if k in wanted})
                exec(compile(python, "<test>", "exec"), namespace)
            except JudgeAbort:
                raise
            except Exception as error:
                return output.getvalue(), error
        return output.getvalue(), None


def reads(python: str) -> set[str]:
    """The names a test cell reads before binding them; for a cell the analysis will not
    follow (a string that names ``__main__``, say), every name it loads anywhere."""
    try:
        return CellNames(python).reads
    except Opaque:
        return {n.id for n in ast.walk(ast.parse(python)) if isinstance(n, ast.Name)}


def student_exception(reply: dict) -> Exception:
    """The exception to raise here for one the student's code raised in the kernel: the first
    built-in exception class it derives from (so a test's ``except ValueError`` works), with
    the student's message and the end of their traceback."""
    name = str(reply.get("type", "Exception"))[:200]
    message = str(reply.get("message", ""))[:4000]
    trace = str(reply.get("traceback", ""))[-2000:]
    text = f"{message}\n" if message else ""
    text += f"({name} raised by your code"
    text += f":\n{trace})" if trace else ")"
    for base in reply.get("bases", []) if isinstance(reply.get("bases"), list) else []:
        kind = getattr(builtins, str(base), None)
        if isinstance(kind, type) and issubclass(kind, Exception):
            with contextlib.suppress(Exception):
                return kind(text)
    return StudentCodeError(text)
