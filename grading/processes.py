"""The lifetime of the grader's processes: nothing a kernel starts outlives the batch.

A grading batch is a tree: the batch, its workers (:mod:`grading.pool`), each worker's kernel
launcher, the warm-kernel server and its keepers (:mod:`grading.zygote`), the kernels and
whatever a submission starts. Three mechanisms keep the tree together:

* **parent-death signals** (``PR_SET_PDEATHSIG``): each trusted process dies (or cleans up)
  when its parent does, so killing the batch with SIGKILL takes its workers, their kernels
  and the server with it;
* **subreapers** (``PR_SET_CHILD_SUBREAPER``): a process a submission detaches (``setsid``,
  a double fork) is adopted by the nearest trusted ancestor instead of ``init``, and that
  ancestor kills every descendant before it exits (:func:`kill_descendants`);
* **a pids cgroup per kernel** where the grader may create one (root): ``pids.max`` caps how
  many processes and threads a kernel has (RLIMIT_NPROC cannot: it counts per user, and not
  at all for root), and the batch kills whatever is left in it.

Trusted processes that hold hidden tests (the batch, the workers) are also made non-dumpable,
so that a process of the same user cannot ptrace them or read ``/proc/PID/mem``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
LINUX = sys.platform.startswith("linux")
CGROUP_PREFIX = "cnn-grade-"
CGROUP_ENV = "CNN_GRADE_CGROUP"  # the batch's cgroup, for the workers' kernel managers

_libc = ctypes.CDLL(None, use_errno=True) if LINUX else None


def prctl(option: int, value: int) -> bool:
    """``prctl(option, value)``; False where it failed or Linux is not there."""
    if _libc is None:
        return False
    return _libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0) == 0


def die_with_parent(signum: int = signal.SIGKILL, parent: int | None = None) -> None:
    """Get ``signum`` when the parent dies; exit now if it already has (``parent`` is the pid
    this process was started by, read before any credential change cleared the setting)."""
    if not prctl(PR_SET_PDEATHSIG, signum):
        return
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # the parent died before the setting took effect


def undumpable() -> None:
    """No ptrace and no ``/proc/PID/mem`` for processes of the same user (nor core dumps)."""
    prctl(PR_SET_DUMPABLE, 0)


def become_subreaper() -> None:
    """Adopt the orphans among this process's descendants (instead of ``init``)."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)


def _parents() -> dict[int, int]:
    """pid -> parent pid, for every process this machine shows."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
            found[int(entry.name)] = int(stat.rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return found


def descendants(root: int | None = None) -> list[int]:
    """Every live process under ``root`` (default: this one), children first."""
    root = os.getpid() if root is None else root
    parents = _parents()
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, queue = [], list(children.get(root, []))
    while queue:
        pid = queue.pop(0)
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def reap() -> None:
    """Collect every finished child of this process."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def kill_descendants(rounds: int = 20, keep: set[int] | None = None) -> int:
    """SIGKILL every descendant of this process (but ``keep`` and theirs), until none is left;
    returns how many were killed. A subreaper adopts the children of those it kills, so a
    later round finds them; the process cap bounds how many a fork loop can add meanwhile."""
    if not LINUX:
        return 0
    killed = 0
    for _ in range(rounds):
        spared = set()
        for pid in keep or ():
            spared |= {pid, *descendants(pid)}
        victims = [pid for pid in descendants() if pid not in spared]
        if not victims:
            break
        for pid in victims:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.05)
        reap()
    return killed


# --------------------------------------------------------------------------- pids cgroups


def cgroup_base() -> Path | None:
    """Where this process may create pids cgroups: cgroup v2's root with the pids controller
    delegated, or cgroup v1's pids hierarchy; None (not root, no pids controller) otherwise."""
    if not LINUX or os.geteuid() != 0:
        return None
    unified = Path("/sys/fs/cgroup")
    try:
        if (unified / "cgroup.controllers").is_file():
            if "pids" in (unified / "cgroup.subtree_control").read_text().split():
                return unified
            return None
        legacy = unified / "pids"
        if (legacy / "cgroup.procs").is_file() and os.access(legacy, os.W_OK):
            return legacy
    except OSError:
        pass
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _procs(group: Path) -> list[int]:
    try:
        return [int(p) for p in (group / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def empty_cgroup(group: Path, remove: bool = True) -> None:
    """Kill every process in ``group`` and its children groups; then remove them."""
    if not group.is_dir():
        return
    for child in [p for p in group.iterdir() if p.is_dir()]:
        empty_cgroup(child, remove)
    kill = group / "cgroup.kill"  # cgroup v2 (Linux 5.14+): one write kills the whole group
    for _ in range(50):
        pids = _procs(group)
        if not pids:
            break
        if kill.exists():
            with contextlib.suppress(OSError):
                kill.write_text("1")
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    if remove:
        for _ in range(20):
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:  # the last processes are still being torn down
                time.sleep(0.05)


def kernel_cgroup(batch: str, pids_max: int) -> str:
    """A pids cgroup for one kernel under the batch's (``""`` when there is none)."""
    if not batch:
        return ""
    group = Path(batch) / f"k{secrets.token_hex(8)}"
    try:
        group.mkdir()
        (group / "pids.max").write_text(str(pids_max))
    except OSError:
        return ""
    return str(group)


def join_cgroup(group: str) -> None:
    """Move this process into ``group`` (its future children follow)."""
    with open(os.path.join(group, "cgroup.procs"), "w") as handle:
        handle.write("0")


@contextlib.contextmanager
def batch_cgroup() -> Iterator[str]:
    """A cgroup for one batch's kernels (``""`` where none can be made); on exit, every
    process still in it is killed and the groups removed. Groups left by a batch that was
    killed (its pid gone) are removed first."""
    base = cgroup_base()
    if base is None:
        yield ""
        return
    for stale in base.glob(f"{CGROUP_PREFIX}*"):
        owner = stale.name[len(CGROUP_PREFIX) :].split("-")[0]
        if owner.isdigit() and not _alive(int(owner)):
            empty_cgroup(stale)
    group = base / f"{CGROUP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    try:
        group.mkdir()
        if base.name != "pids":  # cgroup v2: let the kernels' groups have their own limit
            (group / "cgroup.subtree_control").write_text("+pids")
    except OSError:
        yield ""
        return
    try:
        yield str(group)
    finally:
        empty_cgroup(group)
