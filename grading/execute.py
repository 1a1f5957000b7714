"""nbgrader's Execute step, made safe for a class: a guard, limits, recovery, a fair policy.

:class:`GuardedExecute` replaces ``nbgrader.preprocessors.Execute`` in the autograde pipeline
(:mod:`grading.worker` configures it). Compared with nbgrader's own it

* installs :mod:`grading.guard` in the kernel before the first cell, arms it after the
  lesson's read-only set-up cells, and runs every graded test cell through it; a test whose
  result the guard cannot vouch for scores 0 with a ``GradingIntegrityError`` in the cell;
* enforces a **notebook** time limit on top of nbgrader's per-cell one: cells left when it
  runs out are not run and say why;
* survives a kernel that dies (``os._exit``, a crash, the memory cap) or ignores the
  interrupt sent at a cell's time limit: it restarts the kernel, replays the cells before
  (without recording their output again) and carries on, at most ``kernel_restarts`` times;
* leaves out the lesson's demonstration cells that no graded cell depends on
  (:mod:`grading.slicing`; ``run_all`` turns this off): figures and small trainings are most
  of a lesson's running time and none of its score;
* caps the output a cell may send (``max_output_mb``) so that a print loop cannot exhaust
  the grader's memory.

:class:`GradePolicy` then makes two nbgrader rules fair: output on stderr in a test cell
(TensorFlow and Keras warnings) no longer scores 0, and a value displayed by a test cell is
not read as a partial score (a submission could display one before failing).

Everything the guard reported is appended, one JSON object a line, to ``events_file`` for
the worker.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import secrets
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Int, List, Unicode

from grading.guard import WRAPPER
from grading.slicing import unneeded_cells

GUARD_SOURCE = (Path(__file__).with_name("guard.py")).read_text()
PROTECT = ["builtins", "sys", "math", "cmath", "operator", "functools", "numpy", "helpers"]
PROTECT += ["keras", "IPython", "ipykernel", "unittest.mock"]
STRICT = ["builtins", "math", "numpy", "helpers.checks"]
NOT_RUN_NOTE = NotebookNode(
    output_type="stream",
    name="stdout",
    text="(not run while grading: no graded cell depends on this demonstration; "
    "run it in your notebook to see its output)\n",
)


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


def cell_hash(source: str) -> str:
    """ipykernel's name for a cell's code (see ``ipykernel.compiler.get_file_name``)."""
    from ipykernel.compiler import get_tmp_hash_seed, murmur2_x86

    return str(murmur2_x86(source, get_tmp_hash_seed()))


def source_digest(source: str) -> str:
    """SHA-256 of a cell's source as IPython compiles it (after its input transformations)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return hashlib.sha256(TransformerManager().transform_cell(source).encode()).hexdigest()


class GuardedExecute(Execute):
    """Execute with the guard, a notebook time limit, kernel recovery and an output cap."""

    notebook_timeout = Int(600, help="seconds for the whole notebook").tag(config=True)
    kernel_restarts = Int(2, help="kernel restarts allowed after a death or a hang").tag(
        config=True
    )
    max_output_mb = Int(16, help="output a single cell may send (MiB)").tag(config=True)
    setup_timeout = Int(300, help="seconds for a read-only set-up cell (lesson code)").tag(
        config=True
    )
    guard = Bool(True, help="install grading.guard in the kernel").tag(config=True)
    guard_dir = Unicode(help="a folder only the kernel can read (for the guard's key)").tag(
        config=True
    )
    trusted_sources = List(Unicode(), help="the released lesson's code cells").tag(config=True)
    deny_roots = List(Unicode(), help="folders the kernel may not touch").tag(config=True)
    allow_roots = List(Unicode(), help="exceptions inside deny_roots").tag(config=True)
    installed_roots = List(
        Unicode(), help="read-only installed code (this Python, helpers): not the kernel's own"
    ).tag(config=True)
    events_file = Unicode(help="where to append what the guard reported (JSON lines)").tag(
        config=True
    )
    key_owner = Int(-1, help="uid that must own the key file (the kernel's user)").tag(config=True)
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
        self._key = b""
        self._armed = False
        self._restarts = 0
        self._skip: set[int] = set()
        self._unneeded: dict[int, str] = {}
        if not self.run_all and self.demonstration_sources:
            self._unneeded = unneeded_cells(self.nb, self.demonstration_sources)
            self._event("unneeded", {"cells": sorted(self._unneeded)})
        cell_timeout = self.timeout or 0
        self._deadline = monotonic() + self.notebook_timeout
        self.km = self.create_kernel_manager()
        try:
            await self._start_kernel()
            for index, cell in enumerate(self.nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                if index in self._unneeded:
                    cell.outputs = [NotebookNode(NOT_RUN_NOTE)]
                    continue
                if not self._armed and not is_setup(cell):
                    await self._arm()
                remaining = self._deadline - monotonic()
                if remaining <= 1 or self.kc is None:
                    self._not_run(cell, index)
                    continue
                limit = max(cell_timeout, self.setup_timeout) if is_setup(cell) else cell_timeout
                self.timeout = int(min(limit or remaining, remaining))
                await self._run_cell(cell, index)
            if self.kc is not None:
                report = await self._request("report")
                self._event("report", report)
        finally:
            self.timeout = cell_timeout
            if self.km is not None:
                await self._async_cleanup_kernel()

    async def _run_cell(self, cell: NotebookNode, index: int) -> None:
        started = monotonic()
        try:
            await self._run_cell_once(cell, index)
        finally:
            self._event("timing", {"cell": index, "seconds": round(monotonic() - started, 2)})

    async def _run_cell_once(self, cell: NotebookNode, index: int) -> None:
        try:
            if self.guard and is_test(cell):
                await self._run_test(cell, index)
            else:
                await self.async_execute_cell(
                    cell, index, execution_count=self.code_cells_executed + 1
                )
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
            if not await self._responsive():
                await self._recover(index, "the kernel ignored the interrupt at the time limit")

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
        await self.async_start_new_kernel()
        await self.async_start_new_kernel_client()
        msg_id = await ensure_async(self.kc.kernel_info())
        await self._reply(msg_id, 60)
        ready = monotonic()
        if self.guard:
            await self._install_guard()
        self._event(
            "timing",
            {"kernel_start": round(ready - started, 2), "guard": round(monotonic() - ready, 2)},
        )

    async def _responsive(self) -> bool:
        """Does the kernel answer on its shell channel within a few seconds?"""
        try:
            msg_id = await ensure_async(self.kc.kernel_info())
            return await self._reply(msg_id, 5) is not None
        except DeadKernelError:
            return False

    async def _recover(self, index: int, why: str) -> None:
        """Restart the kernel and replay the cells before ``index`` (outputs not recorded)."""
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
        self._armed = False
        self.km = self.create_kernel_manager()
        try:
            await self._start_kernel()
            for j, cell in enumerate(self.nb.cells[:index]):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                if j in self._skip or j in self._unneeded:
                    continue
                if not self._armed and not is_setup(cell):
                    await self._arm()
                msg_id = await ensure_async(
                    self.kc.execute(cell.source, silent=True, store_history=False)
                )
                remaining = self._deadline - monotonic()
                if await self._reply(msg_id, min(self.timeout or remaining, remaining)) is None:
                    raise DeadKernelError("a replayed cell did not finish")
        except (DeadKernelError, RuntimeError) as error:
            self._event("gave_up", {"cell": index, "why": f"replay failed: {error}"})
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

    # ------------------------------------------------------------------ the guard

    async def _install_guard(self) -> None:
        self._key = secrets.token_bytes(32)
        keyfile = Path(self.guard_dir) / f".grading-key-{secrets.token_hex(4)}"
        keyfile.write_bytes(self._key)
        os.chmod(keyfile, 0o600)
        if self.key_owner >= 0:
            os.chown(keyfile, self.key_owner, self.key_owner)
        config = {
            "keyfile": str(keyfile),
            "trusted": {cell_hash(s): source_digest(s) for s in self.trusted_sources},
            "deny_roots": list(self.deny_roots),
            "allow_roots": list(self.allow_roots),
            "installed_roots": list(self.installed_roots),
            "protect": PROTECT,
            "strict": STRICT,
        }
        code = (
            "(lambda s, c: exec(compile(s + '\\ninstall(CONFIG)', '<grading-guard>', 'exec'), "
            "{'__builtins__': dict(vars(__import__('builtins'))), '__name__': 'grading_guard', "
            f"'CONFIG': c}}))({GUARD_SOURCE!r}, {config!r})"
        )
        msg_id = await ensure_async(self.kc.execute(code, silent=True, store_history=False))
        reply = await self._reply(msg_id, 60)
        if reply is None or reply["content"].get("status") != "ok":
            detail = reply["content"].get("evalue", "") if reply else "no answer"
            raise RuntimeError(f"could not install the grading guard in the kernel: {detail}")

    def _sign(self, *parts: str) -> str:
        return hashlib.sha256(self._key + "|".join(parts).encode()).hexdigest()

    async def _request(self, op: str, *extra: str) -> dict | None:
        """Send a signed request to the guard; its verified answer, or None."""
        nonce = secrets.token_hex(16)
        args = ", ".join(repr(a) for a in (op, nonce, self._sign(op, nonce, *extra)))
        extras = "".join(f", {a!r}" for a in extra)
        expression = (
            f"(lambda b: (__import__('sys').audit('grading.guard', {args}, b{extras}), b)[1])([])"
        )
        try:
            msg_id = await ensure_async(
                self.kc.execute(
                    "", silent=True, store_history=False, user_expressions={"g": expression}
                )
            )
            reply = await self._reply(msg_id, 30)
        except DeadKernelError:
            return None
        try:
            text = reply["content"]["user_expressions"]["g"]["data"]["text/plain"]
            answer = ast.literal_eval(text)[0]
            got_op, got_nonce, body, mac = answer
        except Exception:
            return None
        if (got_op, got_nonce) != (op, nonce) or mac != self._sign(op, nonce, body):
            return None
        return json.loads(body)

    async def _arm(self) -> None:
        self._armed = True
        if self.guard:
            started = monotonic()
            armed = await self._request("arm")
            self._event("timing", {"arm": round(monotonic() - started, 2)})
            if armed is None:
                self._event("integrity", {"what": "the guard could not be armed"})

    async def _run_test(self, cell: NotebookNode, index: int) -> None:
        grade_id = cell.metadata.nbgrader["grade_id"]
        ticket = secrets.token_hex(16)
        started = monotonic()
        restored = await self._request("restore", grade_id, ticket, cell.source)
        self._event("timing", {"restore": round(monotonic() - started, 2)})
        original = cell.source
        cell.source = WRAPPER.format(nonce=ticket)
        try:
            await self.async_execute_cell(cell, index, execution_count=self.code_cells_executed + 1)
        finally:
            cell.source = original
        started = monotonic()
        verdict = await self._request("verdict")
        self._event("timing", {"verdict": round(monotonic() - started, 2)})
        self._judge(cell, grade_id, restored, verdict)

    def _judge(self, cell: NotebookNode, grade_id: str, restored: Any, verdict: Any) -> None:
        """Turn the guard's verdict on one test cell into outputs nbgrader will score."""
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if restored and restored.get("changes"):
            self._event("restored", {"grade_id": grade_id, "changes": restored["changes"]})
        if verdict and verdict.get("shadowed"):
            names = ", ".join(verdict["shadowed"])
            self._event(
                "integrity",
                {
                    "grade_id": grade_id,
                    "what": f"the test used the lesson's {names} (the submission had rebound them)",
                },
            )
        if verdict and verdict.get("blocked"):
            self._event("blocked", {"grade_id": grade_id, "what": verdict["blocked"]})
        problem = None
        if any(o.get("ename") in ("CellTimeoutError", "DeadKernelError") for o in errors):
            return  # the cell already failed on its own
        if restored is None or verdict is None:
            problem = "the grader could not confirm this test's result (the kernel's state was tampered with)"
        elif not verdict.get("ran"):
            problem = (
                f"this test did not run ({verdict.get('status')}): the kernel was tampered with"
            )
        elif verdict.get("during"):
            problem = (
                "the submission changed "
                + ", ".join(verdict["during"][:5])
                + " while this test ran"
            )
        elif verdict.get("status") == "error" and not errors:
            cell.outputs.append(
                error_output(verdict.get("ename", "Error"), verdict.get("evalue", ""))
            )
            self._event(
                "integrity", {"grade_id": grade_id, "what": "a test's error message was suppressed"}
            )
        if problem:
            cell.outputs.append(error_output("GradingIntegrityError", problem))
            self._event("integrity", {"grade_id": grade_id, "what": problem})

    # ------------------------------------------------------------------ outputs and events

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        """Keep a cell's outputs under ``max_output_mb``; drop the rest with one note."""
        size = len(json.dumps(msg.get("content", {})))
        used = getattr(self, "_output_used", {})
        self._output_used = used
        total = used.get(cell_index, 0) + size
        used[cell_index] = total
        cap = self.max_output_mb * 2**20
        if total > cap:
            if used.get(("noted", cell_index)) is None:
                used[("noted", cell_index)] = True
                outs.append(
                    NotebookNode(
                        output_type="stream",
                        name="stdout",
                        text=f"\n... output truncated by the grader (over {self.max_output_mb} MiB) ...\n",
                    )
                )
            return None
        return super().output(outs, msg, display_id, cell_index)

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
