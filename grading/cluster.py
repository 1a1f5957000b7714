"""Grade a class on a Dask cluster: ``python -m grading.autograde SUBMISSIONS OUT --scheduler
tcp://HOST:PORT`` (``make grade ... SCHEDULER=tcp://HOST:PORT``).

**What runs where.** The instructor's machine does what it does for local grading up to the
jobs: intake, the release into a private master course, one job per submission × lesson
(:func:`grading.autograde.grade_class`); then, instead of :func:`grading.pool.run`,
:func:`run` sends one Dask task per job and writes each result as it comes back, so that
``OUT/`` is the same as after local grading. On each Dask worker a task grades its job with
the local grader itself: the worker keeps a **host** process (``python -m grading.cluster
host SOCKET``) that has imported what grading workers import (:func:`grading.pool.preload`)
and, for each task, forks a **supervisor** that runs :func:`grading.pool.run` on that one job:
a grading worker forked from it (:mod:`grading.worker`: repair, the sandboxed kernel forked
warm from the Dask worker's own :mod:`grading.zygote` server, the judge, feedback) with the
same hard limit, kill and crash handling as on the instructor's machine. A submission
therefore never runs in the Dask worker's process, and whatever it does, the Dask worker
goes on.

**What travels.** To each Dask worker, once per run (a Dask worker plugin, :class:`Site`,
kept by the scheduler and given to workers that join later): the released student versions
of the lessons graded, with the files of their lesson folders; the gradebook template of the
run's master course (nbgrader's record of those lessons, hidden tests included, and no
student); ``nbgrader_config.py``; the student versions (no solutions, no hidden tests) of the
course's other lessons, by which repair recognizes a notebook handed in for the wrong lesson;
the lessons' set-up and demonstration cells; the folders kernels must not see. With each task:
one student's notebook, as submitted, and the job's options. Back from each task: the result
(status, scores, notes), the feedback page, the graded notebook and, for an ``error``, the
grader's log. Never: ``solutions/`` (no solution notebook leaves the instructor's machine),
the course's own gradebook, other students' notebooks, the repository. The grader's code,
Python and the lessons' data (the packages' bundled data sets, pre-seeded Keras caches in the
worker's ``~/.keras``, ``COURSE_WEIGHTS_DIR``) come from the workers' own environment, which
must be the same course environment (``pip install 'cnn-course[cluster]'`` of the same
version): a worker whose ``grading/`` or ``helpers/`` differ from the instructor's grades
nothing and says so.

**Nothing lost, nothing doubled.** Every job is one Dask task (a key of its own). A task whose
worker dies is run again on another worker by the scheduler; one during which workers died
more often than the scheduler's ``distributed.scheduler.allowed-failures`` (3 by default) is
given up and its row says so (``error``); a task that raises is retried twice. Each job's row
is written once, by the instructor's machine, from the first result that comes back. What is
finished is in ``OUT/journal.jsonl`` (:mod:`grading.journal`) for ``--resume``.

**Nothing outlives a Dask worker.** The host dies when the Dask worker does (it watches its
parent), a supervisor when the host does (a parent-death signal) and the supervisor then
kills its grading worker and its kernel, as :func:`grading.pool.run` does when interrupted.
The warm-kernel server watches its parent too. When the run ends, the plugin is removed:
each worker stops its host and server and deletes its grading folder.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import nbformat
from distributed import Client, as_completed, get_worker
from distributed.diagnostics.plugin import WorkerPlugin
from distributed.scheduler import KilledWorker

from grading import autograde, intake, pool, processes, report, sandbox, zygote

TASK_RETRIES = 2  # more runs of a task that raised (one whose workers died: the scheduler's)
LOG_TAIL = 256 * 1024  # bytes of a failed grading's log that come back
READY_TIMEOUT = 300  # seconds for a Dask worker's host to import the grader


# --------------------------------------------------------------------------- what travels


@functools.cache
def code_fingerprint() -> str:
    """A digest of the grader's and the helpers' source: the instructor's machine and every
    Dask worker must run the same."""
    digest = hashlib.sha256()
    for package in ("grading", "helpers"):
        root = autograde.COURSE / package
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def student_version(path: str) -> bytes:
    """A lesson as students get it (solutions and hidden tests cleared): what a Dask worker
    recognizes a notebook of a lesson not graded in this run by."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    nb = nbformat.read(path, as_version=4)
    nb, resources = ClearSolutions().preprocess(nb, {})
    nb, _ = ClearHiddenTests().preprocess(nb, resources)
    return nbformat.writes(nb).encode()


def bundle(ctx: dict[str, Any], args: argparse.Namespace) -> tuple[dict[str, bytes], dict]:
    """The files every Dask worker gets (relative path -> bytes) and the run's manifest."""
    master = Path(ctx["master"])
    graded = sorted(ctx["release_paths"])
    files = {
        "nbgrader_config.py": (master / "nbgrader_config.py").read_bytes(),
        "gradebook.db": Path(ctx["gradebook"]).read_bytes(),
    }
    for lesson in graded:
        folder = master / "lessons" / lesson
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            files[f"lessons/{lesson}/{path.relative_to(folder)}"] = path.read_bytes()
    others = sorted(set(ctx["detect_paths"]) - set(graded))
    for lesson in others:
        files[f"detect/{lesson}.ipynb"] = student_version(ctx["detect_paths"][lesson])
    # as local grading decides whether kernels get the parsed digits in their home
    course = args.course.resolve()
    solutions = "".join(
        (course / "solutions" / lesson / f"{lesson}.ipynb").read_text() for lesson in graded
    )
    manifest = {
        "graded": graded,
        "others": others,
        "setup": ctx["setup"],
        "demonstrations": ctx["demonstrations"],
        "max_scores": ctx["max_scores"],
        "hide": ctx["hide"],
        "digits": any(name in solutions for name in ("load_mnist", "bundled_digits")),
        "sandbox": args.sandbox,
        "cold_kernels": bool(args.cold_kernels),
        "fingerprint": code_fingerprint(),
    }
    return files, manifest


def payload(job: dict[str, Any], slots: dict[str, int]) -> dict[str, Any]:
    """What one task carries: the student's notebook and the job's options (no paths)."""
    keys = (
        "index student lesson intake_notes intake_info timestamp run_all max_score timeout "
        "cell_timeout memory_mb output_mb feedback"
    ).split()
    return {
        **{k: job[k] for k in keys},
        "notebook": Path(job["path"]).read_bytes(),
        "filename": Path(job["path"]).name,
        "slots": slots,
    }


# --------------------------------------------------------------------------- on a Dask worker


def usable_cores() -> int:
    """Cores this process may use: its CPU affinity, and the CPU quota of its cgroup where a
    container runtime set one (Kubernetes limits CPU so, not by affinity)."""
    cores = autograde.cores()
    with contextlib.suppress(OSError, ValueError):
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    return cores


def kernel_settings(slots: int) -> dict[str, str]:
    """:func:`grading.autograde.kernel_settings` for a machine that grades ``slots``
    submissions at once: each kernel gets its share of the usable cores."""
    settings = autograde.kernel_settings(argparse.Namespace(workers=slots))
    threads = str(max(1, usable_cores() // max(1, slots)))
    for name in (
        "TF_NUM_INTRAOP_THREADS",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
    ):
        settings[name] = threads
    if slots <= 1:
        settings["TF_NUM_INTEROP_THREADS"] = threads
    return settings


class Site(WorkerPlugin):
    """One run's grading folder on a Dask worker, and the processes that grade there.

    Registered by the instructor's machine for the run; the first task on a worker builds
    the folder (the shipped files, kernel folders, warm caches) and starts the host and the
    warm-kernel server; :meth:`teardown` (the run is over, or the worker closes) stops them
    and deletes the folder.
    """

    idempotent = False

    def __init__(self, name: str, files: dict[str, bytes], manifest: dict[str, Any]) -> None:
        self.name, self.files, self.manifest = name, files, manifest

    def setup(self, worker: Any) -> None:
        self.worker = worker
        self.lock = threading.Lock()
        self.folder: Path | None = None
        self.problem = ""
        self.level = self.manifest["sandbox"]
        self.running: dict[int, dict] = {}  # supervisor pid -> job
        self.host: Host | None = None
        self.warm: zygote.Server | None = None
        self.zygote = ""
        self.cgroup = contextlib.ExitStack()  # the kernels' pids cgroup, while the run lasts

    def teardown(self, worker: Any) -> None:
        self.close()

    # ---------------------------------------------------------------- the folder

    def prepare(self, slots: int) -> None:
        """Build the folder and start the processes (once; later calls return at once)."""
        with self.lock:
            if self.folder is not None:
                return
            folder = Path(tempfile.mkdtemp(prefix=autograde.WORK_PREFIX))
            self.folder = folder
            try:
                self._prepare(folder, slots)
            except Exception as error:  # noqa: BLE001 - every task on this worker says why
                self.problem = f"this Dask worker cannot grade: {type(error).__name__}: {error}"

    def _prepare(self, folder: Path, slots: int) -> None:
        os.chmod(folder, 0o711)
        master = folder / "master"
        master.mkdir(mode=0o700)
        for sub in ("host", "tasks"):
            (folder / sub).mkdir(mode=0o711)
        for relative, data in self.files.items():
            target = (master / relative).resolve()
            if not target.is_relative_to(master):
                raise ValueError(f"a shipped file lies outside the folder: {relative}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if self.manifest["fingerprint"] != code_fingerprint():
            self.problem = (
                f"the Dask worker {self.worker.address} runs another version of the grader "
                "(its grading/ or helpers/ differ from the instructor's): install the same "
                "course environment on the workers"
            )
            return
        self.level = sandbox.resolve_level(self.manifest["sandbox"])
        env = autograde.tool_env()
        self.env = env
        self.settings = kernel_settings(slots)
        # the course checkout the grader runs from, if it does (not an installed wheel)
        checkout = autograde.COURSE if (autograde.COURSE / "pyproject.toml").is_file() else folder
        mine = autograde.hidden_paths(
            checkout, folder, folder, folder, [self.worker.local_directory]
        )
        self.hide = sorted(set(self.manifest["hide"]) | set(mine))
        self.keep = autograde.kept_paths()
        self.as_nobody = self.level != "none" and sandbox.nobody_can_run_python()
        self.home_files = autograde.warm_caches(
            folder, env, "load_mnist" if self.manifest["digits"] else ""
        )
        if self.level != "none":
            env[processes.CGROUP_ENV] = self.cgroup.enter_context(processes.batch_cgroup())
        if self.level != "none" and not self.manifest["cold_kernels"]:
            kernel_env = sandbox.kernel_env(env, folder / "zygote", self.settings)
            self.warm = zygote.Server(folder / "zygote", kernel_env)
            self.zygote = self.warm.__enter__()
            env[zygote.TOKEN_ENV] = self.warm.token  # what its clients show the server
        self.host = Host(folder / "host", env)
        self.host.start()
        self.host.wait_ready()

    def ctx(self, work: Path) -> dict[str, Any]:
        """What :func:`grading.autograde.make_jobs` needs, for a task's folder ``work``."""
        master = self.folder / "master"
        graded = self.manifest["graded"]
        detect = {lesson: str(master / "lessons" / lesson / f"{lesson}.ipynb") for lesson in graded}
        detect.update({o: str(master / "detect" / f"{o}.ipynb") for o in self.manifest["others"]})
        return {
            "work": work,
            "master": master,
            "gradebook": master / "gradebook.db",
            "logs": work / "logs",
            "release_paths": {lesson: detect[lesson] for lesson in graded},
            "detect_paths": detect,
            "setup": self.manifest["setup"],
            "demonstrations": self.manifest["demonstrations"],
            "max_scores": self.manifest["max_scores"],
            "lesson_files": {
                lesson: [
                    str(p) for p in (master / "lessons" / lesson).iterdir() if p.suffix != ".ipynb"
                ]
                for lesson in graded
            },
            "home_files": self.home_files,
            "level": self.level,
            "hide": self.hide,
            "keep": self.keep,
            "as_nobody": self.as_nobody,
            "zygote": self.zygote,
        }

    # ---------------------------------------------------------------- one task

    def grade(self, task: dict[str, Any]) -> dict[str, Any]:
        """Grade one submission as the local grader does; the result and files, as data."""
        started, started_at = time.perf_counter(), time.time()
        host = urlparse(self.worker.address).hostname or ""
        self.prepare(task["slots"].get(host) or self.worker.state.nthreads)
        where = {"worker": self.worker.address, "host": socket.gethostname()}
        if self.problem:
            result = report.new_result(task, "error", self.problem)
            result["graded_on"] = where
            return {"result": result, "log": self.problem + "\n"}
        work = Path(tempfile.mkdtemp(prefix="task-", dir=self.folder / "tasks"))
        try:
            return self._grade(task, work, {**where, "started_at": started_at}, started)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _grade(self, task: dict, work: Path, where: dict, started: float) -> dict[str, Any]:
        os.chmod(work, 0o711)
        for sub, mode in (("courses", 0o700), ("kernels", 0o711), ("jobs", 0o700)):
            (work / sub).mkdir(mode=mode)
        for sub in ("logs", "submitted", "out"):
            (work / sub).mkdir(mode=0o700)
        notebook = work / "submitted" / (Path(task["filename"]).name or "submission.ipynb")
        notebook.write_bytes(task["notebook"])
        submission = intake.Submission(
            student=task["student"],
            lesson=task["lesson"],
            path=notebook,
            notes=list(task["intake_notes"]),
            info=list(task["intake_info"]),
            timestamp=task["timestamp"],
        )
        options = argparse.Namespace(
            run_all=task["run_all"],
            timeout=task["timeout"],
            cell_timeout=task["cell_timeout"],
            memory=task["memory_mb"],
            output_mb=task["output_mb"],
            no_feedback=not task["feedback"],
            out=work / "out",
            workers=1,
        )
        [job] = autograde.make_jobs(options, [submission], self.ctx(work))
        job.update(index=task["index"], kernel_env=self.settings, max_score=task["max_score"])
        Path(job["job_file"]).write_text(json.dumps(job))
        result = self.run_job(job, work)
        result["graded_on"] = {
            **where,
            "sandbox": self.level,
            "kernels": "warm" if self.zygote else "cold",
            "task_seconds": round(time.perf_counter() - started, 2),
            "finished_at": time.time(),
        }
        reply: dict[str, Any] = {"result": result}
        lesson, student = job["lesson"], job["student"]
        for kind, suffix in (("feedback", ".html"), ("autograded", ".ipynb")):
            made = work / "out" / kind / student / lesson / f"{lesson}{suffix}"
            if made.is_file():
                reply[kind] = made.read_bytes()
        if result["status"] == "error":
            with contextlib.suppress(OSError), open(job["log"], "rb") as handle:
                handle.seek(max(0, os.path.getsize(job["log"]) - LOG_TAIL))
                reply["log"] = handle.read().decode(errors="replace")
        return reply

    def run_job(self, job: dict[str, Any], work: Path) -> dict[str, Any]:
        """:func:`grading.pool.run` on ``job`` in a supervisor forked by the host."""
        final = work / "jobs" / "final.json"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(self.host.socket))
            zygote.send(conn, {"job_file": job["job_file"], "env": self.env, "final": str(final)})
            started, _ = zygote.receive(conn)
            if started is None:
                return pool.failure(job, "error", "the grading host refused the job")
            pid = int(started["pid"])
            self.running[pid] = job
            try:
                conn.settimeout(job["hard_limit"] + 120)  # the supervisor enforces the limit
                try:
                    zygote.receive(conn)
                except TimeoutError:
                    stop_supervisor(pid, job)
            finally:
                self.running.pop(pid, None)
        try:
            return json.loads(final.read_text())
        except (OSError, ValueError):
            return pool.failure(job, "error", "the grading supervisor stopped without a result")

    def close(self) -> None:
        """Stop what grades here and delete the folder."""
        for pid, job in list(self.running.items()):
            stop_supervisor(pid, job)
        if self.host is not None:
            self.host.stop()
        if self.warm is not None:
            self.warm.__exit__()
        self.cgroup.close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def stop_supervisor(pid: int, job: dict[str, Any]) -> None:
    """Ask a supervisor to stop (it kills its grading worker and kernel), then kill it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        time.sleep(0.1)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
    pool.kill_group(pid)
    if (pgid := pool.kernel_group(job)) is not None:
        pool.kill_group(pgid)


def grade_task(name: str, task: dict[str, Any]) -> dict[str, Any]:
    """The Dask task: grade ``task`` with the run ``name``'s :class:`Site` on this worker."""
    return get_worker().plugins[name].grade(task)


# --------------------------------------------------------------------------- the host


class Host:
    """The host process of a run on one Dask worker (a fork server for supervisors)."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.socket = folder / "host.sock"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.folder / "host.log", "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "grading.cluster", "host", str(self.socket)],
                cwd=self.folder,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        log = self.folder / "host.log"
        while time.monotonic() < deadline and self.process.poll() is None:
            if b"grading host ready" in log.read_bytes():
                return
            time.sleep(0.1)
        tail = log.read_bytes()[-500:].decode(errors="replace").strip()
        raise RuntimeError(f"the grading host did not start: {tail or 'no output'}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                pool.kill_group(self.process.pid)
                self.process.wait()


def serve(path: str) -> int:
    """The host: import what grading workers need, then fork a supervisor per connection,
    until SIGTERM or the Dask worker that started it is gone; then stop the supervisors (each
    kills its grading worker and kernel) and, if that worker is gone, delete the run's folder
    on this machine, which the worker can no longer do."""
    parent = os.getppid()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    processes.die_with_parent(signal.SIGTERM)
    supervisors: set[int] = set()
    try:
        if os.getppid() == parent:
            host(path, parent, supervisors)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all(supervisors)
        if os.getppid() != parent:
            shutil.rmtree(Path(path).parent.parent, ignore_errors=True)
    return 0


def host(path: str, parent: int, supervisors: set[int]) -> None:
    pool.preload()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    os.chmod(path, 0o600)
    server.listen(64)
    server.settimeout(1.0)
    print("grading host ready", file=sys.stderr, flush=True)
    while os.getppid() == parent:
        reap(supervisors)
        try:
            conn, _ = server.accept()
        except (TimeoutError, InterruptedError):
            continue
        conn.settimeout(None)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                server.close()
                code = supervise(conn)
            except BaseException:  # noqa: BLE001 - a supervisor reports, then exits
                traceback.print_exc()
            finally:
                sys.stderr.flush()
                os._exit(code)
        supervisors.add(pid)
        conn.close()


def reap(supervisors: set[int]) -> None:
    """Forget the supervisors that have exited."""
    for pid in list(supervisors):
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                continue
        supervisors.discard(pid)


def stop_all(supervisors: set[int], grace: float = 15) -> None:
    """SIGTERM every supervisor (each kills its grading worker and kernel), wait, then kill."""
    for pid in supervisors:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while supervisors and time.monotonic() < deadline:
        reap(supervisors)
        time.sleep(0.05)
    for pid in supervisors:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def supervise(conn: socket.socket) -> int:
    """A supervisor: run the local pool on one job; stop it (killing the grading worker and
    its kernel) on SIGTERM, which also comes when the host dies."""
    host = os.getppid()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    processes.die_with_parent(signal.SIGTERM)
    if os.getppid() != host:
        return 1
    request, _ = zygote.receive(conn)
    if request is None:
        return 1
    zygote.send(conn, {"pid": os.getpid()})
    job = json.loads(Path(request["job_file"]).read_text())
    [result] = pool.run([job], 1, pool.Progress(1, quiet=True), request["env"])
    Path(request["final"]).write_text(json.dumps(result, default=str))
    zygote.send(conn, {"done": True})
    return 0


# --------------------------------------------------------------------------- the instructor's side


def slots_per_host(client: Client) -> dict[str, int]:
    """Dask worker threads per machine (each task's kernel gets its share of the cores)."""
    slots: dict[str, int] = {}
    for address, info in client.scheduler_info()["workers"].items():
        host = urlparse(address).hostname or ""
        slots[host] = slots.get(host, 0) + int(info.get("nthreads") or 1)
    return slots


def task_failure(job: dict[str, Any], future: Any) -> tuple[dict[str, Any], str]:
    """The ``error`` row of a task that did not finish, and the log text that says why."""
    error = future.exception()
    if isinstance(error, KilledWorker):
        deaths = error.allowed_failures + 1
        why = (
            f"the Dask workers grading it died {deaths} time{'s' if deaths > 1 else ''} "
            f"(last: {error.last_worker.address}); not tried again"
        )
    else:
        why = f"the Dask task failed: {type(error).__name__}: {error}"
    trace = "".join(traceback.format_tb(future.traceback()))
    return pool.failure(job, "error", why[:500]), f"{why}\n{trace}"


def retry(future: Any) -> bool:
    """Whether a task that did not finish is run again: one that raised, not one whose
    workers died (the scheduler has run that one again as often as it allows)."""
    return future.status == "error" and not isinstance(future.exception(), KilledWorker)


def deliver(job: dict[str, Any], reply: dict[str, Any], out: Path) -> dict[str, Any]:
    """Write a task's files where local grading writes them; return its result."""
    result = reply["result"]
    lesson, student = job["lesson"], job["student"]
    for kind, suffix in (("feedback", ".html"), ("autograded", ".ipynb")):
        if reply.get(kind) is not None:
            target = out / kind / student / lesson / f"{lesson}{suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(reply[kind])
    if reply.get("log") is not None or result["status"] == "error":
        Path(job["log"]).write_text(reply.get("log") or f"{result.get('problem')}\n")
    return result


def run(
    jobs: list[dict[str, Any]], ctx: dict[str, Any], args: argparse.Namespace, progress: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Grade ``jobs`` on the Dask cluster at ``args.scheduler``: results in the order of
    ``jobs``, and what the run's summary says about the cluster."""
    out = args.out.resolve()
    files, manifest = bundle(ctx, args)
    name = f"cnn-grading-{secrets.token_hex(6)}"
    client = Client(args.scheduler, timeout=60)
    results: dict[int, dict[str, Any]] = {}
    running: dict[str, tuple[Any, dict]] = {}
    handled = 0.0  # seconds this machine spent taking results in (files, journal, progress)
    attempts: dict[int, int] = {}  # job index -> times its task raised
    try:
        client.register_plugin(Site(name, files, manifest), name=name)
        threads = sum(client.nthreads().values())
        if not args.quiet:
            print(
                f"Dask cluster {args.scheduler}: {len(client.nthreads())} worker(s), "
                f"{threads} thread(s)" + ("; waiting for workers" if not threads else ""),
                file=sys.stderr,
            )
        pending = list(jobs)
        finished = as_completed()
        while pending or running:
            # a bounded window: the scheduler holds only the notebooks about to be graded
            slots = slots_per_host(client)
            threads = max(threads, sum(slots.values()))
            window = max(4, 2 * sum(slots.values()))
            while pending and len(running) < window:
                job = pending.pop(0)
                try:
                    task = payload(job, slots)
                except OSError as error:
                    results[job["index"]] = pool.failure(
                        job, "invalid", f"the notebook cannot be read: {error.strerror}"
                    )
                    progress.update(results[job["index"]])
                    continue
                attempt = attempts.get(job["index"], 0)
                future = client.submit(
                    grade_task, name, task, key=f"{name}-{job['index']:05d}-{attempt}", pure=False
                )
                running[future.key] = (future, job)
                finished.add(future)
            if not running:
                continue
            future = next(finished)
            handling = time.perf_counter()
            _, job = running.pop(future.key)
            if future.status == "cancelled":  # the scheduler is gone, or forgot the run
                raise RuntimeError(
                    f"the Dask scheduler {args.scheduler} lost the run ({len(results)} "
                    f"row(s) finished are in {out / 'journal.jsonl'}): start it again and run "
                    "the same command with --resume"
                )
            if future.status == "finished":
                result = deliver(job, future.result(), out)
            elif retry(future) and attempts.get(job["index"], 0) < TASK_RETRIES:
                attempts[job["index"]] = attempts.get(job["index"], 0) + 1
                pending.insert(0, job)
                future.release()
                continue
            else:
                result, log = task_failure(job, future)
                Path(job["log"]).write_text(log)
            future.release()
            for key, value in pool.failure(job, "", "").items():
                result.setdefault(key, value)
            results[job["index"]] = result
            progress.update(result)
            handled += time.perf_counter() - handling
    finally:
        for future, _ in running.values():
            future.cancel()
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(name)
        client.close()
    levels = sorted({r.get("graded_on", {}).get("sandbox", "") for r in results.values()} - {""})
    kinds = sorted({r.get("graded_on", {}).get("kernels", "") for r in results.values()} - {""})
    info = {
        "scheduler": args.scheduler,
        "workers": threads,
        "dask_workers": sorted(
            {r["graded_on"]["worker"] for r in results.values() if r.get("graded_on")}
        ),
        "sandbox": "; ".join(sandbox.describe(level) for level in levels) or args.sandbox,
        "kernels": (" and ".join(kinds) or "none") + f" (on the Dask cluster {args.scheduler})",
        "seconds_per_row_here": round(handled / max(1, len(results)), 4),
    }
    return [results[job["index"]] for job in jobs], info


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "host":
        return serve(argv[1])
    print("usage: python -m grading.cluster host SOCKET", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
