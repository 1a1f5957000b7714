"""nbgrader's Execute step for a class: the notebook in a sandboxed kernel, the tests in the judge.

:class:`JudgedExecute` replaces ``nbgrader.preprocessors.Execute`` in the autograde pipeline
(:mod:`grading.worker` configures it). It runs the student's notebook cell by cell in the
kernel (:mod:`grading.sandbox`), except the test cells: those run in this process through
:class:`grading.judge.Judge`, and their outputs (what the test printed and the error that
failed it) are what nbgrader scores. The kernel never receives a test cell's hidden part;
it runs a test cell's visible part only when a later cell reads what that part binds, and
never a line of it otherwise. Beyond nbgrader's own step it

* enforces a **notebook** time limit on top of nbgrader's per-cell one: cells left when it
  runs out are not run and say why;
* survives a kernel that dies (``os._exit``, a crash, the memory cap) or ignores the
  interrupt sent at a cell's time limit: it restarts the kernel, replays the cells before
  (without recording their output again) and carries on, at most ``kernel_restarts`` times;
* leaves out the lesson's demonstration cells that no graded cell depends on
  (:mod:`grading.slicing`; ``run_all`` turns this off);
* caps the output a cell, and the notebook as a whole, may send, so that a print loop cannot
  exhaust the grader's memory.

:class:`GradePolicy` then makes two nbgrader rules fair: output on stderr in a test cell no
longer scores 0, and a value displayed by a test cell is not read as a partial score.

What happened (cells left out, restarts, timings) is appended, one JSON object a line, to
``events_file`` for the worker.
"""

from __future__ import annotations

import json
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Int, List, Unicode

from grading.feedback import strip_hidden_tests
from grading.judge import Judge, JudgeAbort, setup_namespace
from grading.slicing import unneeded_cells

NOT_RUN_NOTE = NotebookNode(
    output_type="stream",
    name="stdout",
    text="(not run while grading: no graded cell depends on this demonstration; "
    "run it in your notebook to see its output)\n",
)


TRUNCATED = "\n... output truncated by the grader (over its limit for a cell or a notebook) ...\n"


def is_test(cell: NotebookNode) -> bool:
    """A graded test cell (nbgrader "Autograded tests")."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_setup(cell: NotebookNode) -> bool:
    """A read-only, ungraded code cell: the lesson's set-up (or another locked cell)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return (
        cell.cell_type == "code"
        and bool(meta.get("locked"))
        and not meta.get("grade")
        and not meta.get("solution")
    )


def error_output(ename: str, evalue: str) -> NotebookNode:
    """An error output as the kernel would have sent it."""
    return NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


def stream_output(text: str) -> NotebookNode:
    return NotebookNode(output_type="stream", name="stdout", text=text)


class JudgedExecute(Execute):
    """Execute with the judge, a notebook time limit, kernel recovery and output caps."""

    notebook_timeout = Int(600, help="seconds for the whole notebook").tag(config=True)
    kernel_restarts = Int(2, help="kernel restarts allowed after a death or a hang").tag(
        config=True
    )
    max_output_mb = Int(16, help="output a single cell may send (MiB)").tag(config=True)
    max_notebook_output_mb = Int(64, help="output the whole notebook may send (MiB)").tag(
        config=True
    )
    setup_timeout = Int(300, help="seconds for a read-only set-up cell (lesson code)").tag(
        config=True
    )
    setup_sources = List(Unicode(), help="the released lesson's read-only set-up cells").tag(
        config=True
    )
    wire_dir = Unicode(help="a folder of the kernel's where the judge exchanges data").tag(
        config=True
    )
    events_file = Unicode(help="where to append what happened (JSON lines)").tag(config=True)
    demonstration_sources = List(
        Unicode(), help="the released lesson's cells without an nbgrader role"
    ).tag(config=True)
    run_all = Bool(False, help="run every cell, even those no graded cell depends on").tag(
        config=True
    )

    # ------------------------------------------------------------------ the run

    def preprocess(self, nb: NotebookNode, resources: Any, km: Any = None) -> tuple[Any, Any]:
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        run_sync(self._run_all)()
        return self.nb, self.resources

    async def _run_all(self) -> None:
        self._restarts = 0
        self._skip: set[int] = set()
        self._judge: Judge | None = None
        self._used: dict[int, int] = {}  # bytes of output per cell
        self._total = 0  # and in the whole notebook
        self._truncated: set[int] = set()
        self._tests = {i for i, c in enumerate(self.nb.cells) if is_test(c)}
        self._unneeded: dict[int, str] = {}
        if not self.run_all:
            self._unneeded = unneeded_cells(self.nb, self.demonstration_sources, self._tests)
            self._event("unneeded", {"cells": sorted(set(self._unneeded) - self._tests)})
        started = monotonic()
        self._setup = setup_namespace(self.setup_sources)
        self._event("timing", {"judge_setup": round(monotonic() - started, 2)})
        cell_timeout = self.timeout or 0
        self._deadline = monotonic() + self.notebook_timeout
        self.km = self.create_kernel_manager()
        try:
            await self._start_kernel()
            for index, cell in enumerate(self.nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                if index in self._unneeded and index not in self._tests:
                    cell.outputs = [NotebookNode(NOT_RUN_NOTE)]
                    continue
                remaining = self._deadline - monotonic()
                if remaining <= 1 or self.kc is None:
                    self._not_run(cell, index)
                    continue
                limit = max(cell_timeout, self.setup_timeout) if is_setup(cell) else cell_timeout
                self.timeout = int(min(limit or remaining, remaining))
                await self._run_cell(cell, index)
        finally:
            self.timeout = cell_timeout
            self._close_judge()
            if self.km is not None:
                await self._async_cleanup_kernel()

    def _kernel_source(self, index: int, cell: NotebookNode) -> str | None:
        """What the kernel runs for cell ``index``: its source, a test cell's visible part
        when later cells need what it binds, or nothing."""
        if index in self._skip or index in self._unneeded:
            return None
        return strip_hidden_tests(cell.source) if index in self._tests else cell.source

    async def _run_cell(self, cell: NotebookNode, index: int) -> None:
        started = monotonic()
        try:
            if index in self._tests:
                await self._run_test(cell, index)
            else:
                await self._in_kernel(cell, index)
        finally:
            self._event("timing", {"cell": index, "seconds": round(monotonic() - started, 2)})

    async def _in_kernel(self, cell: NotebookNode, index: int) -> None:
        try:
            await self.async_execute_cell(cell, index, execution_count=self.code_cells_executed + 1)
        except DeadKernelError:
            self._add_error(
                cell,
                "DeadKernelError",
                "the kernel died while running this cell (os._exit, a crash, or the memory "
                "cap); the grader restarted it and went on",
            )
            self._skip.add(index)
            await self._recover(index, "the kernel died")
            return
        except CellTimeoutError as error:  # its message quotes the cell: keep the first line
            first = next((line for line in str(error).splitlines() if line.strip()), "timed out")
            self._add_error(cell, "CellTimeoutError", first)
        if any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", [])):
            self._skip.add(index)
            await self._after_timeout(index)

    async def _after_timeout(self, index: int) -> None:
        """The kernel was interrupted at a time limit: recover it if it no longer answers."""
        if not await self._responsive():
            await self._recover(index, "the kernel ignored the interrupt at the time limit")

    async def _run_test(self, cell: NotebookNode, index: int) -> None:
        """The judge runs the test cell; the kernel runs its visible part if needed."""
        self.code_cells_executed += 1
        cell.execution_count = self.code_cells_executed
        cell.outputs = []
        if self._judge is None:
            self._add_error(cell, "NotRunError", "the kernel could not be restarted")
            return
        started = monotonic()
        calls = self._judge.calls
        try:
            printed, error = self._judge.run(cell.source, self.timeout)
        except JudgeAbort as abort:
            printed, error = "", abort
        self._event(
            "judged",
            {
                "cell": index,
                "seconds": round(monotonic() - started, 2),
                "calls": self._judge.calls - calls,
            },
        )
        if printed:
            self._keep(cell, index, stream_output(printed))
        if isinstance(error, JudgeAbort):
            self._add_error(
                cell, "TimeoutError" if "time" in str(error) else "DeadKernelError", str(error)
            )
            await self._abort_call(index)
            return
        if error is not None:
            self._add_error(cell, type(error).__name__, str(error))
        source = self._kernel_source(index, cell)
        if source is not None and self.kc is not None:
            await self._silently(source, index)

    async def _abort_call(self, index: int) -> None:
        """After a call into the kernel timed out or the kernel died during it."""
        self._skip.add(index)
        if self.km is not None and await ensure_async(self.km.is_alive()):
            await ensure_async(self.km.interrupt_kernel())
            if await self._responsive():
                return
        await self._recover(index, "the kernel stopped answering the grader")

    async def _silently(self, source: str, index: int) -> None:
        """Run ``source`` in the kernel without recording its output."""
        remaining = min(self.timeout or 60, self._deadline - monotonic())
        try:
            msg_id = await ensure_async(self.kc.execute(source, silent=True, store_history=False))
            if await self._reply(msg_id, remaining) is None:
                await ensure_async(self.km.interrupt_kernel())
                self._skip.add(index)
                await self._after_timeout(index)
        except DeadKernelError:
            self._skip.add(index)
            await self._recover(index, "the kernel died")

    def _not_run(self, cell: NotebookNode, index: int) -> None:
        reason = (
            f"the notebook's time limit ({self.notebook_timeout} s) was reached"
            if self.kc is not None
            else "the kernel could not be restarted"
        )
        cell.outputs = [error_output("NotRunError", f"this cell did not run: {reason}")]
        self._event("not_run", {"cell": index, "reason": reason})

    # ------------------------------------------------------------------ kernel life

    async def _start_kernel(self) -> None:
        started = monotonic()
        if self.km is None:
            self.km = self.create_kernel_manager()
        if self.wire_dir:
            Path(self.wire_dir).mkdir(mode=0o700, exist_ok=True)
        await self.async_start_new_kernel()
        await self.async_start_new_kernel_client()
        msg_id = await ensure_async(self.kc.kernel_info())
        await self._reply(msg_id, 60)
        ready = monotonic()
        self._close_judge()
        self._judge = Judge(
            self.km.get_connection_info(session=False),
            Path(self.wire_dir),
            self._setup,
            alive=self._alive,
        )
        self._judge.install()
        self._event(
            "timing",
            {"kernel_start": round(ready - started, 2), "judge": round(monotonic() - ready, 2)},
        )

    def _alive(self) -> bool:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return process is not None and process.poll() is None

    def _close_judge(self) -> None:
        if getattr(self, "_judge", None) is not None:
            self._judge.close()
            self._judge = None

    async def _responsive(self) -> bool:
        """Does the kernel answer on its shell channel within a few seconds?"""
        try:
            msg_id = await ensure_async(self.kc.kernel_info())
            return await self._reply(msg_id, 5) is not None
        except DeadKernelError:
            return False

    async def _recover(self, index: int, why: str) -> None:
        """Restart the kernel and replay what ran before ``index`` (outputs not recorded)."""
        self._close_judge()
        try:  # a dead or stuck kernel gets no grace period
            await ensure_async(self.km.shutdown_kernel(now=True))
        except Exception:
            pass
        await self._async_cleanup_kernel()
        if self._restarts >= self.kernel_restarts or self._deadline - monotonic() < 5:
            self._event("gave_up", {"cell": index, "why": why})
            return
        self._restarts += 1
        self._event("restart", {"cell": index, "why": why})
        self.km = self.create_kernel_manager()
        try:
            await self._start_kernel()
            for j, cell in enumerate(self.nb.cells[:index]):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                source = self._kernel_source(j, cell)
                if source is None:
                    continue
                msg_id = await ensure_async(
                    self.kc.execute(source, silent=True, store_history=False)
                )
                remaining = self._deadline - monotonic()
                if await self._reply(msg_id, min(self.timeout or remaining, remaining)) is None:
                    raise DeadKernelError("a replayed cell did not finish")
        except (DeadKernelError, RuntimeError) as error:
            self._event("gave_up", {"cell": index, "why": f"replay failed: {error}"})
            self._close_judge()
            await self._async_cleanup_kernel()

    async def _reply(self, msg_id: str, timeout: float) -> dict | None:
        """The shell reply to ``msg_id`` within ``timeout`` seconds (None if none came)."""
        deadline = monotonic() + max(timeout, 0.1)
        while (remaining := deadline - monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=min(remaining, 1)))
            except Empty:
                if not await ensure_async(self.kc.is_alive()):
                    raise DeadKernelError("Kernel died") from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg
        return None

    # ------------------------------------------------------------------ outputs and events

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        """Keep outputs under the per-cell and per-notebook caps; drop the rest with a note."""
        if self._count(cell_index, len(json.dumps(msg.get("content", {})))):
            return super().output(outs, msg, display_id, cell_index)
        if cell_index not in self._truncated:
            self._truncated.add(cell_index)
            outs.append(stream_output(TRUNCATED))
        return None

    def _count(self, cell_index: int, size: int) -> bool:
        """Count ``size`` bytes of output for a cell; False once a cap is reached."""
        self._used[cell_index] = self._used.get(cell_index, 0) + size
        self._total += size
        return (
            self._used[cell_index] <= self.max_output_mb * 2**20
            and self._total <= self.max_notebook_output_mb * 2**20
        )

    def _keep(self, cell: NotebookNode, index: int, output: NotebookNode) -> None:
        fits = self._count(index, len(output.get("text", "")))
        cell.outputs.append(output if fits else stream_output(TRUNCATED))

    def _add_error(self, cell: NotebookNode, ename: str, evalue: str) -> None:
        cell.setdefault("outputs", []).append(error_output(ename, evalue))

    def _event(self, kind: str, data: Any) -> None:
        if self.events_file:
            with open(self.events_file, "a") as handle:
                handle.write(json.dumps({"kind": kind, "data": data}, default=str) + "\n")


class GradePolicy(NbGraderPreprocessor):
    """Fair scoring of test cells: stderr is not a failure, a displayed value is not a score."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> tuple[Any, Any]:
        if not is_test(cell):
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output["name"] = "stdout"
            elif output.get("output_type") == "execute_result":
                output["output_type"] = "display_data"
                output.pop("execution_count", None)
        return cell, resources
