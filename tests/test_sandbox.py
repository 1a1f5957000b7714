"""The sandbox and the grader's process tree, without nbgrader (seconds, not minutes).

Each test starts the kernel launcher (``python -m grading.sandbox ... -- python -c CODE``) at
one level, with a plain Python program in place of ipykernel, and checks what that program
can reach: the grader's files, its descriptors, its processes and their memory, how many
processes it may start, and whether what it starts outlives its parent. The same attacks,
written as a student would, run through the whole batch in tests/test_grading_robust.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grading import processes, sandbox

LEVELS = ["namespaces", "process"]


def level_available(level: str) -> bool:
    return level == "process" or sandbox.namespaces_available()


def launch(tmp_path: Path, level: str, code: str, *extra: str, **popen) -> dict:
    """Run ``code`` in a kernel folder of its own under ``tmp_path``, sandboxed at ``level``
    (the grader's folder, ``tmp_path/grader``, hidden); returns what it printed as JSON."""
    if not level_available(level):
        pytest.skip("user namespaces are not available on this machine")
    kernel = tmp_path / "kernel"
    sandbox.prepare_kernel_dir(kernel, [], {})
    (kernel / "work" / "probe.py").write_text(textwrap.dedent(code))
    command = [sys.executable, "-m", "grading.sandbox", "--level", level]
    command += ["--kernel-dir", str(kernel), "--cwd", str(kernel / "work")]
    command += ["--hide", str(tmp_path / "grader"), "--memory-mb", "2048", *extra]
    command += ["--", sys.executable, "probe.py"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, **popen)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def grader_files(tmp_path: Path) -> Path:
    """What a kernel must neither read nor write: a gradebook, a log, another kernel's."""
    grader = tmp_path / "grader"
    for name, text in {
        "gradebook.db": "scores",
        "logs/j00001.log": "log",
        "jobs/j00001.json": "{}",
        "kernels/other/work/answer.py": "someone else's",
    }.items():
        (grader / name).parent.mkdir(parents=True, exist_ok=True)
        (grader / name).write_text(text)
    return grader


@pytest.mark.parametrize("level", LEVELS)
def test_a_kernel_cannot_read_or_write_the_graders_files(tmp_path, level):
    grader = grader_files(tmp_path)
    found = launch(
        tmp_path,
        level,
        f"""
        import json, os
        done = []
        for root, _, files in os.walk({str(grader)!r}):
            for name in files:
                path = os.path.join(root, name)
                for mode in ("r", "a"):
                    try:
                        with open(path, mode) as handle:
                            handle.read() if mode == "r" else handle.write("HACKED")
                        done.append(mode + " " + path)
                    except OSError:
                        pass
        try:
            open({str(grader / "new.txt")!r}, "w").write("x")
            done.append("created")
        except OSError:
            pass
        print(json.dumps(done))
        """,
    )
    assert found == []
    assert (grader / "gradebook.db").read_text() == "scores"


def test_the_process_level_keeps_a_kernel_to_its_folder(tmp_path):
    """Landlock: no read outside this Python, the system and the kernel's folder; no write
    outside the kernel's folder; no TCP. Without Landlock, the batch grades one notebook at a
    time instead (and the summary says why)."""
    if sandbox.landlock_abi() == 0:
        assert not sandbox.isolation("process")["kernels_apart"]
        assert "Landlock" in sandbox.isolation("process")["why_one_worker"]
        return
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("a file of the grader's account")
    found = launch(
        tmp_path,
        "process",
        f"""
        import json, os, socket
        out = {{}}
        for name, attempt in {{
            "read": lambda: open({str(elsewhere)!r}).read(),
            "list /tmp": lambda: os.listdir("/tmp"),
            "home": lambda: os.listdir(os.path.expanduser("~root")),
            "write /tmp": lambda: open("/tmp/sandbox-probe", "w"),
            "tcp": lambda: socket.create_connection(("127.0.0.1", 9), timeout=2),
            "own": lambda: open("mine.txt", "w").write("fine"),
            "python": lambda: open(os.__file__).read(10),
        }}.items():
            try:
                attempt()
                out[name] = "ok"
            except OSError as error:
                out[name] = error.__class__.__name__
        print(json.dumps(out))
        """,
    )
    assert found["own"] == found["python"] == "ok"
    denied = {k: v for k, v in found.items() if k not in ("own", "python")}
    assert all(v == "PermissionError" for v in denied.values()), found


@pytest.mark.parametrize("level", LEVELS)
def test_a_kernel_holds_no_descriptor_of_the_grader(tmp_path, level):
    secret = tmp_path / "grader-log.txt"
    secret.write_text("the grader's log")
    handle = os.open(secret, os.O_RDWR)
    try:
        found = launch(
            tmp_path,
            level,
            """
            import json, os
            fds = {}
            for fd in os.listdir("/proc/self/fd"):
                try:
                    fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
                except OSError:
                    pass
            print(json.dumps(fds))
            """,
            pass_fds=(handle,),
        )
    finally:
        os.close(handle)
    assert str(handle) not in found or str(secret) not in found[str(handle)]
    assert not [target for target in found.values() if str(secret) in target]
    assert not [fd for fd in found if int(fd) > 2 and found[fd].startswith("/")], found


@pytest.mark.parametrize("level", LEVELS)
def test_a_fork_loop_stops_at_the_process_cap(tmp_path, level):
    cap = 40
    with processes.batch_cgroup() as batch:
        group = processes.kernel_cgroup(batch, cap)
        extra = ["--pids-max", str(cap)] + (["--cgroup", group] if group else [])
        if os.getuid() == 0 and not group:
            pytest.skip("root without a writable pids cgroup: nothing can cap its processes")
        found = launch(
            tmp_path,
            level,
            """
            import json, os, time
            children = []
            for _ in range(200):
                try:
                    pid = os.fork()
                except OSError:
                    break
                if pid == 0:
                    time.sleep(20)
                    os._exit(0)
                children.append(pid)
            for pid in children:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            print(json.dumps(len(children)))
            """,
            *extra,
        )
    assert 0 < found < cap


def undumpable_holder(tmp_path: Path, undumpable: bool) -> subprocess.Popen:
    """A process that holds a secret in its memory (as a grading worker holds the hidden
    tests), made undumpable as the workers are, or not. It has no capability, as a grader
    that is not root has none (root's capabilities alone keep a kernel without any away)."""
    code = f"""
        import sys, time
        from grading import processes, sandbox
        secret = "HIDDEN-" + "TEST-TEXT" * 3
        sandbox._drop_capabilities()
        if {undumpable}:
            processes.undumpable()
        print("ready", flush=True)
        time.sleep(60)
    """
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "ready"
    return holder


READ_MEMORY = """
    import json, os, re, sys
    sys.path[:0] = {paths!r}
    from grading import sandbox
    sandbox._drop_capabilities()  # what every kernel runs with
    found = []
    try:
        with open("/proc/{pid}/maps") as maps, open("/proc/{pid}/mem", "rb", 0) as mem:
            for line in maps:
                span, perms = line.split()[:2]
                start, stop = (int(x, 16) for x in span.split("-"))
                if "r" not in perms or stop - start > 2**26:
                    continue
                try:
                    mem.seek(start)
                    found += re.findall(rb"HIDDEN-(?:TEST-TEXT)+", mem.read(stop - start))
                except (OSError, ValueError, OverflowError):
                    continue
    except OSError as error:
        found.append(error.__class__.__name__)
    print(json.dumps([f if isinstance(f, str) else f.decode() for f in found[:1]]))
"""


@pytest.mark.parametrize("undumpable", [False, True])
def test_an_undumpable_grader_keeps_its_memory_from_a_kernel_of_the_same_user(tmp_path, undumpable):
    """Without Landlock, a capability-less process of the same user reads the memory of a
    dumpable process (the control); an undumpable one (the batch, its workers, the warm-kernel
    server) it cannot."""
    holder = undumpable_holder(tmp_path, undumpable)
    try:
        repository = str(Path(__file__).resolve().parent.parent)
        code = READ_MEMORY.format(pid=holder.pid, paths=[repository])
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True
        )
        found = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        holder.kill()
        holder.wait()
    if undumpable:
        assert found == ["PermissionError"]
    else:
        assert found == ["HIDDEN-TEST-TEXTTEST-TEXTTEST-TEXT"], "the control could read it"


def test_a_process_level_kernel_can_neither_signal_nor_read_the_grader(tmp_path):
    if sandbox.landlock_abi() < sandbox.LANDLOCK_FULL:
        pytest.skip("Landlock 6+ is not available: the batch grades one notebook at a time")
    holder = undumpable_holder(tmp_path, undumpable=False)  # even a dumpable one
    try:
        found = launch(
            tmp_path,
            "process",
            f"""
            import json, os
            out = {{}}
            try:
                os.kill({holder.pid}, 0)
                out["signal"] = "ok"
            except OSError as error:
                out["signal"] = error.__class__.__name__
            try:
                open("/proc/{holder.pid}/mem", "rb").read(1)
                out["memory"] = "ok"
            except OSError as error:
                out["memory"] = error.__class__.__name__
            print(json.dumps(out))
            """,
        )
        assert holder.poll() is None
    finally:
        holder.kill()
        holder.wait()
    assert found == {"signal": "PermissionError", "memory": "PermissionError"}


def detaching_kernel(tag: str, stay: bool) -> str:
    """A program that leaves a process behind (``setsid`` and a fork; ``tag`` on its command
    line), and stays itself if ``stay``."""
    return "\n".join(
        [
            "import os, sys, time",
            "if os.fork() == 0:",
            "    os.setsid()",
            "    if os.fork() == 0:",
            f"        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(120)', {tag!r}])",
            "    os._exit(0)",
            "time.sleep(120)" if stay else "",
        ]
    )


def test_a_subreaper_kills_what_a_child_detached(tmp_path):
    """A worker adopts what its kernel detaches (setsid and a double fork) and kills it when
    it ends."""
    tag = f"detached-{os.getpid()}-{time.monotonic_ns()}"
    code = f"""
        import os, subprocess, sys, time
        from grading import processes
        processes.become_subreaper()
        subprocess.run([sys.executable, "-c", {detaching_kernel(tag, stay=False)!r}])
        time.sleep(0.5)
        print(len(processes.descendants()), flush=True)
        processes.kill_descendants()
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[0]) >= 1, "the detached process was adopted"
    assert not running_with(tag)


def running_with(text: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if text.encode() in command and int(entry) != os.getpid():
                found.append(int(entry))
    return found


def test_a_worker_dies_with_the_batch_and_takes_its_kernel(tmp_path):
    """The batch killed with SIGKILL: its workers get SIGTERM, kill what runs under them
    (a kernel, and what the kernel detached), and exit."""
    tag = f"orphan-{os.getpid()}-{time.monotonic_ns()}"
    code = f"""
        import os, subprocess, sys, time
        from grading import pool
        if os.fork() == 0:  # the worker
            pool.harden_worker(os.getppid())
            subprocess.Popen([sys.executable, "-c", {detaching_kernel(tag, stay=True)!r}, {tag!r}])
            time.sleep(120)
            os._exit(0)
        print(os.getpid(), flush=True)
        time.sleep(120)
    """
    batch = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True
    )
    batch.stdout.readline()
    deadline = time.monotonic() + 30
    while len(running_with(tag)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(running_with(tag)) >= 2, "the kernel and its detached process are running"
    batch.send_signal(signal.SIGKILL)
    batch.wait()
    deadline = time.monotonic() + 15
    while running_with(tag) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not running_with(tag)


def test_cgroups_for_a_batch_are_removed_with_it():
    with processes.batch_cgroup() as batch:
        if not batch:
            assert processes.cgroup_base() is None  # not root, or no pids controller
            return
        group = processes.kernel_cgroup(batch, 10)
        assert Path(group, "pids.max").read_text().strip() == "10"
        sleeper = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import time; open({group!r} + '/cgroup.procs', 'w').write('0'); time.sleep(60)",
            ]
        )
        deadline = time.monotonic() + 10
        while not Path(group, "cgroup.procs").read_text().strip() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert sleeper.wait(timeout=10) == -signal.SIGKILL, "what ran in it was killed"
    assert not Path(batch).exists()


def test_without_landlock_the_process_level_grades_one_notebook_at_a_time(monkeypatch):
    """Where nothing keeps two kernels of one user apart (Linux before 6.12, macOS), the batch
    runs one worker at the process level and the summary says why; the namespaces level is
    not affected."""
    monkeypatch.setattr(sandbox, "landlock_abi", lambda: 0)
    assert sandbox.isolation("namespaces")["kernels_apart"]
    assert not sandbox.isolation("process")["kernels_apart"]
    lines = sandbox.isolation_lines("process", as_nobody=False, cgroup=False, workers=1)
    assert any("kept apart only by Landlock" in line and "1 worker" in line for line in lines)
    assert "one kernel at a time" in sandbox.describe("process")
    monkeypatch.setattr(sandbox, "landlock_abi", lambda: sandbox.LANDLOCK_FULL)
    assert sandbox.isolation("process")["kernels_apart"]
    assert "no signal or ptrace outside its domain" in sandbox.describe("process")


def test_kernels_keep_every_library_folder_and_what_links_point_to(tmp_path, monkeypatch):
    """A kernel imports from wherever this Python does: another environment's site-packages
    that a .pth file adds, and the real folder behind a linked venv, are mounted back; a
    project folder on the path (the course, with its solutions) is not."""
    from grading import autograde

    libraries = tmp_path / "shared-env" / "lib" / "python3.12" / "site-packages"
    libraries.mkdir(parents=True)
    course = tmp_path / "course"
    course.mkdir()
    real_venv = tmp_path / "envs" / "instructor"
    real_venv.mkdir(parents=True)
    (tmp_path / "linked-venv").symlink_to(real_venv)
    monkeypatch.setattr(sys, "path", [str(course), "", str(libraries), *sys.path])
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "linked-venv"))
    kept = autograde.kept_paths()
    assert str(libraries) in kept and str(real_venv) in kept
    assert str(tmp_path / "linked-venv") in kept
    assert str(course) not in kept and "" not in kept
