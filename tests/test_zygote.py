"""Warm kernels (grading.zygote): forked from a server that has imported the heavy libraries.

The server is started once for the module (as a grading batch does) and kernels are started
through the sandbox's kernel manager at the ``process`` level. The hostile cases in
tests/test_grading_robust.py run on warm kernels too, at both sandbox levels.
"""

from __future__ import annotations

import ast
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grading import sandbox, zygote


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zygote")
    base = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env = sandbox.kernel_env(base, folder, {"OMP_NUM_THREADS": "1"})
    with zygote.Server(folder, env) as path:
        assert path, zygote.Server.__name__ + " did not start: see " + str(folder / "zygote.log")
        yield path


def run_kernel(tmp_path: Path, socket_path: str, *steps):
    """Start one warm kernel and run ``steps``: each gets (manager, client) and returns a value."""

    async def go():
        kernel_dir = tmp_path / "kernel"
        sandbox.prepare_kernel_dir(kernel_dir, [], {})
        km = sandbox.SandboxKernelManager(
            level="process", kernel_dir=str(kernel_dir), zygote=socket_path, memory_mb=0
        )
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            return [await step(km, kc) for step in steps]
        finally:
            kc.stop_channels()
            if await km.is_alive():
                await km.shutdown_kernel(now=True)

    return asyncio.run(go())


def evaluate(expression: str, timeout: float = 60):
    async def step(_km, kc):
        reply = await kc.execute_interactive(
            "", user_expressions={"v": expression}, timeout=timeout
        )
        return reply["content"]["user_expressions"]["v"]["data"]["text/plain"]

    return step


def test_a_warm_kernel_starts_with_the_libraries_loaded_and_its_own_folders(
    tmp_path, server, monkeypatch
):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)  # only the server can set it
    loaded, folders, log_level = run_kernel(
        tmp_path,
        server,
        evaluate(
            "sorted(m for m in ('keras', 'tensorflow', 'helpers.checks') "
            "if m in __import__('sys').modules)"
        ),
        evaluate(
            "(__import__('os').getcwd(), __import__('os').environ['HOME'], "
            "__import__('tempfile').gettempdir())"
        ),
        evaluate("__import__('os').environ.get('TF_CPP_MIN_LOG_LEVEL')"),
    )
    assert loaded == "['helpers.checks', 'keras', 'tensorflow']"
    kernel = tmp_path / "kernel"
    assert ast.literal_eval(folders) == tuple(str(kernel / d) for d in ("work", "home", "tmp"))
    assert log_level == "'3'", "helpers.runtime's defaults, as after the lesson's set-up cell"


def test_kernels_share_no_state(tmp_path, server):
    async def define(_km, kc):
        await kc.execute_interactive("shared = 41", timeout=30)

    run_kernel(tmp_path / "a", server, define)
    (found,) = run_kernel(tmp_path / "b", server, evaluate("'shared' in globals()"))
    assert found == "False"


def test_an_interrupt_reaches_a_warm_kernel(tmp_path, server):
    async def interrupt(km, kc):
        msg_id = kc.execute("import time\ntime.sleep(60)")
        await asyncio.sleep(2)
        await km.interrupt_kernel()
        while True:  # without the interrupt, no reply comes for 60 s: get_shell_msg raises
            reply = await kc.get_shell_msg(timeout=20)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"].get("ename")

    (ename,) = run_kernel(tmp_path, server, interrupt)
    assert ename == "KeyboardInterrupt"


def running(pid: int) -> bool:
    """Is ``pid`` a live process (not gone, not a zombie)?"""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_killing_the_client_kills_the_kernel(tmp_path, server):
    async def kill_client(km, kc):
        reply = await kc.execute_interactive(
            "", user_expressions={"p": "__import__('os').getpid()"}, timeout=30
        )
        pid = int(reply["content"]["user_expressions"]["p"]["data"]["text/plain"])
        client = km.provisioner.process
        assert pid != client.pid and running(pid), "the kernel is a forked process of its own"
        os.killpg(os.getpgid(client.pid), signal.SIGKILL)  # what the batch does at a hard limit
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and running(pid):
            await asyncio.sleep(0.2)
        return running(pid)

    (alive,) = run_kernel(tmp_path, server, kill_client)
    assert not alive


def test_a_kernel_that_exits_reports_its_code_and_peak_memory(tmp_path, server):
    async def exit_three(km, kc):
        kc.execute("import os\nos._exit(3)")
        client = km.provisioner.process
        for _ in range(100):
            if client.poll() is not None:
                return client.returncode
            await asyncio.sleep(0.1)
        return None

    (code,) = run_kernel(tmp_path, server, exit_three)
    assert code == 3
    assert zygote.kernel_peak_kb(tmp_path / "kernel") > 50_000  # TensorFlow is in there


def test_without_a_server_the_client_starts_the_ordinary_launcher(tmp_path):
    kernel = tmp_path / "kernel"
    sandbox.prepare_kernel_dir(kernel, [], {})
    command = [sys.executable, "-m", "grading.zygote", "connect", str(tmp_path / "none.sock")]
    command += ["--level", "process", "--kernel-dir", str(kernel), "--cwd", str(kernel / "work")]
    command += ["--", sys.executable, "-c", "import os; print(os.getcwd())"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(kernel / "work")


def test_a_server_that_cannot_start_is_reported_not_fatal(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONHOME": str(tmp_path / "no-python-here")}
    broken = zygote.Server(tmp_path / "z", env, ready_timeout=20)  # Python cannot even start
    with broken as path:
        assert path == ""
    assert "did not start" in broken.problem


def test_another_kernel_command_runs_in_the_sandbox_through_the_server(tmp_path, server):
    """Not ipykernel's launcher: the forked process enters the sandbox and execs it."""
    kernel = tmp_path / "kernel"
    sandbox.prepare_kernel_dir(kernel, [], {})
    command = [sys.executable, "-m", "grading.zygote", "connect", server]
    command += ["--level", "process", "--kernel-dir", str(kernel), "--cwd", str(kernel / "work")]
    command += ["--", sys.executable, "-c", "import os, sys; print(os.getcwd()); sys.exit(7)"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 7, result.stderr
    assert result.stdout.strip() == str(kernel / "work")
    assert zygote.kernel_peak_kb(kernel) > 0, "it went through the server, not the fallback"


def test_a_warm_kernel_holds_no_descriptor_of_the_server_or_the_grader(tmp_path, server):
    (fds,) = run_kernel(
        tmp_path,
        server,
        evaluate(
            "(lambda os: [os.readlink(f'/proc/self/fd/{fd}') for fd in os.listdir('/proc/self/fd')"
            " if fd not in ('0', '1', '2') and os.path.lexists(f'/proc/self/fd/{fd}')])"
            "(__import__('os'))"
        ),
    )
    targets = ast.literal_eval(fds)
    folder = str(Path(server).parent)
    assert not [t for t in targets if t.startswith(folder)], targets  # its log, its socket
    kernel = str(tmp_path / "kernel")
    assert not [t for t in targets if t.startswith("/") and not t.startswith(kernel)], targets


def test_the_server_starts_nothing_for_a_client_without_the_secret(tmp_path, server):
    """A kernel that finds the server's socket (the process level shows it in /proc/net/unix)
    cannot have it start a process outside any sandbox: the request needs the batch's secret,
    which only the server's hash of it is a copy of."""
    kernel = tmp_path / "kernel"
    sandbox.prepare_kernel_dir(kernel, [], {})
    marker = kernel / "work" / "started"
    launcher = ["--level", "process", "--kernel-dir", str(kernel), "--cwd", str(kernel / "work")]
    launcher += ["--", sys.executable, "-c", f"open({str(marker)!r}, 'w')"]
    for token in ("", "0" * 64, os.environ[zygote.TOKEN_ENV][::-1]):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(server)
            request = {"launcher": launcher, "env": {}, "token": token}
            zygote.send(sock, request, [0, 1, 2])
            sock.settimeout(30)
            reply, _ = zygote.receive(sock)
        assert reply is None, "the server answered a request without the secret"
    time.sleep(1)
    assert not marker.exists()
    # the same request with the secret starts it (the test above is not vacuous)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(server)
        request = {"launcher": launcher, "env": {}, "token": os.environ[zygote.TOKEN_ENV]}
        zygote.send(sock, request, [0, 1, 2])
        sock.settimeout(60)
        reply, _ = zygote.receive(sock)
        assert reply and reply.get("pgid")
        zygote.receive(sock)  # its exit
    assert marker.exists()
