"""Warm kernels: each grading kernel is forked from a process that has already imported
TensorFlow, Keras, matplotlib, IPython and the course's helpers.

A fresh kernel spends about 7 CPU-seconds importing those before the lesson's first cell does
any work: for a class of 100 students and 5 lessons, about an hour of CPU. The batch
(:mod:`grading.autograde`) therefore starts one **server** (``python -m grading.zygote serve
SOCKET``) that imports them once, with the environment a kernel gets, and never runs a line
of a submission. Every kernel start is then a fork:

1. jupyter_client launches the **client** (``python -m grading.zygote connect SOCKET
   <sandbox options> -- <kernel command>``) where it would have launched the sandbox
   launcher (:mod:`grading.sandbox`); the client sends the options, its environment and its
   stdin/stdout/stderr to the server over a Unix socket;
2. the server forks a **keeper** for that kernel, which starts a new session and forks the
   kernel; the kernel enters the same sandbox the launcher would have built
   (:func:`grading.sandbox.isolate`) and runs ipykernel in-process instead of exec-ing it;
3. the client forwards SIGINT/SIGTERM/SIGHUP to the kernel's process group and exits with
   the kernel's exit code. When the client dies (jupyter_client or the batch killed it), its
   socket closes and the keeper kills the kernel and every process it started (the keeper
   adopts those a kernel detaches): nothing outlives it. The server dies with the batch, a
   keeper with the server, a kernel with its keeper and a client with its worker
   (:mod:`grading.processes`).

Only the batch's clients are served: each request carries a secret the batch gave its
workers (the server keeps only its hash, so a kernel, a copy of the server, cannot learn it),
so a kernel that finds the server's socket cannot have a process started outside its sandbox.

The kernel is a copy of a process that has run only imports: it shares no state with other
kernels (each is its own fork) and holds nothing secret (the server never sees a key, a test
or a submission). Where the server is not running, the client runs the ordinary launcher, so
a kernel always starts.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import os
import secrets
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO

# What a lesson's set-up imports (and what importing them pulls in): the expensive part.
PRELOAD = (
    "helpers.runtime",  # first, as in a lesson's set-up: it quiets TensorFlow's start-up logs
    "numpy",
    "tensorflow",
    "keras",
    "matplotlib",
    "matplotlib.pyplot",
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipywidgets",
    "matplotlib_inline.backend_inline",
    "PIL.Image",
    "helpers",
    "helpers.checks",
    "helpers.datasets",
    "helpers.plotting",
    "helpers.explorer",
    "helpers.pretrained",
)
# What the judge (in each grading worker) imports to run a lesson's set-up and tests.
JUDGE_PRELOAD = tuple(
    m for m in PRELOAD if not m.startswith(("IPython", "ipykernel", "ipywidgets"))
)
TOKEN_ENV = "CNN_GRADE_ZYGOTE_TOKEN"  # grading.sandbox.ZYGOTE_TOKEN_ENV
MAX_MESSAGE = 1 << 20
PEAK_FILE = "kernel-peak-kb"
KEY_ENV = "CNN_GRADE_ZYGOTE_KEY"  # the hash of the clients' secret, for the server only


# --------------------------------------------------------------------------- messages


def send(sock: socket.socket, data: dict, fds: list[int] = ()) -> None:
    body = json.dumps(data).encode()
    header = struct.pack("!I", len(body))
    if fds:
        socket.send_fds(sock, [header + body], list(fds))
    else:
        sock.sendall(header + body)


def receive(sock: socket.socket, max_fds: int = 0) -> tuple[dict | None, list[int]]:
    """One message (None at end of stream) and the file descriptors sent with it."""
    fds: list[int] = []
    if max_fds:
        data, fds, _flags, _addr = socket.recv_fds(sock, MAX_MESSAGE, max_fds)
    else:
        data = sock.recv(4)
    if not data:
        return None, fds
    while len(data) < 4:
        more = sock.recv(4 - len(data))
        if not more:
            return None, fds
        data += more
    (size,) = struct.unpack("!I", data[:4])
    if size > MAX_MESSAGE:
        raise ValueError("message too large")
    body = data[4:]
    while len(body) < size:
        more = sock.recv(size - len(body))
        if not more:
            return None, fds
        body += more
    return json.loads(body[:size]), fds


# --------------------------------------------------------------------------- server


def preload(modules: tuple[str, ...] = PRELOAD) -> list[str]:
    """Import what kernels will import; returns what was loaded (missing ones are skipped)."""
    loaded = []
    for name in modules:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:  # an optional library, or one that fails here: the kernel will say
            pass
    return loaded


def serve(path: str) -> int:
    """Preload, then fork a keeper for every client, until SIGTERM or the batch is gone."""
    import grading.sandbox  # noqa: F401 - the kernel needs it after the path is cleaned
    from grading import processes

    parent = os.getppid()
    processes.undumpable()
    processes.die_with_parent(signal.SIGTERM, parent)
    processes.become_subreaper()
    key = os.environ.pop(KEY_ENV, "")
    sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]
    before = dict(os.environ)
    loaded = preload()
    # Defaults the imports set (helpers.runtime's log levels): TensorFlow read them here, so
    # every kernel keeps them, as it would have after running the set-up cell itself.
    defaults = {k: v for k, v in os.environ.items() if before.get(k) != v}
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    os.chmod(path, 0o600)
    server.listen(64)
    server.settimeout(1.0)
    signal.signal(signal.SIGTERM, lambda *_: (processes.kill_descendants(), sys.exit(0)))
    print(f"zygote ready: {len(loaded)} modules preloaded", file=sys.stderr, flush=True)
    while os.getppid() == parent:  # the batch that started this server is still there
        reap()
        try:
            conn, _ = server.accept()
        except (TimeoutError, InterruptedError):
            continue
        conn.settimeout(None)
        if os.fork() == 0:
            server.close()
            try:
                keep(conn, defaults, key)
            finally:
                os._exit(0)
        conn.close()
    processes.kill_descendants()
    return 0


def reap() -> None:
    """Collect finished keepers (so their CPU time counts in this server's, and the batch's)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def keep(conn: socket.socket, defaults: dict[str, str], key: str = "") -> None:
    """The keeper: fork the kernel in a new session, report its group, wait, clean up."""
    from grading import processes

    processes.die_with_parent(signal.SIGUSR1, os.getppid())  # the server died: clean up
    request, fds = receive(conn, max_fds=3)
    if request is None or len(fds) != 3:
        return
    token = str(request.get("token", ""))
    if key and not hmac.compare_digest(hashlib.sha256(token.encode()).hexdigest(), key):
        return  # not one of the batch's clients: start nothing
    os.setsid()
    processes.become_subreaper()  # what the kernel detaches is adopted here, not by init
    kernel = os.fork()
    if kernel == 0:
        conn.close()
        become_kernel(request, fds, defaults)  # never returns
    for fd in fds:
        os.close(fd)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)  # signals to the group are for the kernel

    def orphaned(_signum: int, _frame: object) -> None:
        processes.kill_descendants()
        os._exit(0)

    signal.signal(signal.SIGUSR1, orphaned)
    send(conn, {"pgid": os.getpgid(0), "pid": kernel})
    status = None
    while status is None:
        ready, _, _ = select.select([conn], [], [], 0.2)
        done, code, usage = os.wait4(kernel, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(code)
        elif ready and not conn.recv(1):  # the client is gone: so is the kernel
            os.killpg(0, signal.SIGKILL)
    try:
        send(conn, {"exit": status, "peak_kb": usage.ru_maxrss})
    except OSError:
        pass
    processes.kill_descendants()  # anything the kernel left running, in its group or not
    os.killpg(0, signal.SIGKILL)


def become_kernel(request: dict, fds: list[int], defaults: dict[str, str]) -> None:
    """In the forked kernel: take the client's stdio, environment and sandbox; run ipykernel."""
    from grading import sandbox

    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update({**defaults, **request["env"]})
        forget_cached_paths()
        args, cmd = sandbox.parse(request["launcher"])
        sandbox.isolate(args)
        code = run_ipykernel(cmd)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0
    except BaseException as error:  # noqa: BLE001 - report and exit, whatever it was
        print(f"grading.zygote: the kernel failed to start: {error!r}", file=sys.stderr)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def forget_cached_paths() -> None:
    """Paths the preloaded modules computed from the server's environment: recompute them."""
    import tempfile

    tempfile.tempdir = None
    matplotlib = sys.modules.get("matplotlib")
    for name in ("get_configdir", "get_cachedir", "get_data_path"):
        cached = getattr(matplotlib, name, None)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()


def run_ipykernel(cmd: list[str]) -> int:
    """Run ``python -m ipykernel_launcher -f FILE ...`` in this process (any other kernel
    command is exec-ed: sandboxed all the same, only not warm)."""
    if "ipykernel_launcher" not in cmd:
        os.execvp(cmd[0], cmd)
    start = cmd.index("ipykernel_launcher") + 1
    sys.argv = [cmd[start - 1], *cmd[start:]]
    if os.getppid() > 1:  # ipykernel read JPY_PARENT_PID when the server imported it
        sys.argv.append(f"--IPKernelApp.parent_handle={os.getppid()}")  # exit with the keeper
    sys.path.insert(0, os.getcwd())  # what ``python -m`` would have put first
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
    return 0


# --------------------------------------------------------------------------- batch side


class Server:
    """The server process of one grading batch (``with Server(...) as socket_path``).

    ``socket_path`` is "" when the server did not come up (then every client falls back to
    the ordinary launcher, and grading is as it was, only slower).
    """

    def __init__(self, folder: Path, env: dict[str, str], ready_timeout: float = 180) -> None:
        self.folder, self.env, self.ready_timeout = folder, env, ready_timeout
        self.process: subprocess.Popen | None = None
        self.log: BinaryIO | None = None
        self.problem = ""
        self.token = secrets.token_hex(32)  # the clients' secret (this process's environment)

    def __enter__(self) -> str:
        from grading.sandbox import prepare_kernel_dir

        prepare_kernel_dir(self.folder, [], {})
        path = str(self.folder / "zygote.sock")
        self.log = open(self.folder / "zygote.log", "wb")  # noqa: SIM115 - closed in __exit__
        key = hashlib.sha256(self.token.encode()).hexdigest()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grading.zygote", "serve", path],
            cwd=self.folder / "work",
            env={**self.env, KEY_ENV: key},
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if b"zygote ready" in (self.folder / "zygote.log").read_bytes():
                os.environ[TOKEN_ENV] = self.token  # for this process's kernel managers
                return path
            time.sleep(0.1)
        tail = (self.folder / "zygote.log").read_bytes()[-500:].decode(errors="replace")
        self.problem = f"the warm-kernel server did not start: {tail.strip() or 'no output'}"
        self.__exit__()
        return ""

    def __exit__(self, *_exc: object) -> None:
        if os.environ.get(TOKEN_ENV) == self.token:
            del os.environ[TOKEN_ENV]
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.log is not None:
            self.log.close()


# --------------------------------------------------------------------------- client


def connect(path: str, launcher: list[str]) -> int:
    """Have the server start the kernel; forward signals; exit with the kernel's code."""
    from grading import processes

    processes.die_with_parent(signal.SIGKILL, os.getppid())  # the worker died: so does this
    token = os.environ.pop(TOKEN_ENV, "")  # never part of the kernel's environment
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        send(sock, {"launcher": launcher, "env": dict(os.environ), "token": token}, [0, 1, 2])
        reply, _ = receive(sock)
    except OSError:
        reply = None
    if not reply:  # no server: start the kernel the ordinary way
        sock.close()
        os.execv(sys.executable, [sys.executable, "-m", "grading.sandbox", *launcher])
    pgid = reply["pgid"]

    def forward(signum: int, _frame: object) -> None:
        try:
            os.killpg(pgid, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    while True:
        try:
            message, _ = receive(sock)
            break
        except InterruptedError:
            continue
    message = message or {}
    record_peak(launcher, message.get("peak_kb"))
    return int(message.get("exit") or 0) & 0xFF


def record_peak(launcher: list[str], peak_kb: int | None) -> None:
    """Note the kernel's peak memory in its folder (the worker reports it): the kernel is not
    the worker's child, so the worker's own resource usage does not include it."""
    if not peak_kb or "--kernel-dir" not in launcher:
        return
    folder = Path(launcher[launcher.index("--kernel-dir") + 1])
    try:
        with open(folder / PEAK_FILE, "a") as handle:
            handle.write(f"{int(peak_kb)}\n")
    except OSError:
        pass


def kernel_peak_kb(kernel_dir: Path) -> int:
    """The largest peak (KiB) recorded by :func:`record_peak` for the kernels of a folder."""
    try:
        return max(int(line) for line in (kernel_dir / PEAK_FILE).read_text().split())
    except (OSError, ValueError):
        return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) >= 2 and argv[0] == "serve":
        return serve(argv[1])
    if len(argv) >= 2 and argv[0] == "connect":
        return connect(argv[1], argv[2:])
    print(
        "usage: python -m grading.zygote serve SOCKET | connect SOCKET LAUNCHER-ARGS",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
