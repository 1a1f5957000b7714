"""Where a submission's code runs: a kernel in a sandbox, one per submission.

Levels (``--sandbox``), strongest first; ``auto`` picks the strongest the machine allows:

``namespaces`` (Linux with unprivileged user namespaces: Debian, Fedora, most distributions;
  not Ubuntu 24.04's default AppArmor policy, not macOS)
    The kernel gets its own user, mount, PID, network, IPC and UTS namespaces. The course
    folder, the grading work folder (every other submission, every gradebook copy), the
    submissions and output folders and ``$HOME`` are hidden behind empty mounts; only the
    Python environment and ``helpers/`` are mounted back, read-only. Everything else is
    read-only, ``/tmp`` and ``/dev/shm`` are private and size-limited, ``/proc`` shows only
    the kernel's own processes, and there is no network interface. The mounts are locked by
    a second user namespace, so code in the kernel cannot undo them. The supervisor talks
    to the kernel over Unix sockets in the kernel's private folder (ZeroMQ ``ipc``), which
    reach across the network namespace.
``process`` (any POSIX machine)
    The kernel is an ordinary process with a private working folder, ``HOME`` and ``TMPDIR``,
    a scrubbed environment and resource limits. The in-kernel guard (:mod:`grading.guard`)
    refuses network sockets, subprocesses and file access under the hidden folders, but that
    is enforced inside the kernel's own interpreter: a C extension could still read files the
    instructor's account can read.
``none``
    A plain kernel (still with the in-kernel guard and the time limits): for debugging only.

At every level: a memory cap (``RLIMIT_AS``), a file-size cap, no core dumps; and when
grading runs as root the kernel runs as ``nobody`` (so it cannot even read the grading
folders, which are private to root).

``python -m grading.sandbox ... -- CMD`` is the launcher the kernel manager puts in front of
the kernel command; ``python -m grading.sandbox --probe`` exits 0 where ``namespaces`` works.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import functools
import glob
import os
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Dict, Int, List, Unicode, default

from grading import processes

LEVELS = ("auto", "namespaces", "process", "none")
NOBODY = 65534
PIDS_MAX = 256  # processes and threads per kernel (TensorFlow runs a few dozen threads)
KERNEL_OUTPUT = "kernel-output.log"  # the kernel's stdout and stderr, in its own folder
ZYGOTE_TOKEN_ENV = "CNN_GRADE_ZYGOTE_TOKEN"  # the secret a client shows the zygote server

# Linux constants (identical on x86-64 and arm64).
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 16384, 1 << 18, 1 << 21, 1 << 24
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
MOUNT_FLAGS = {
    "nosuid": MS_NOSUID,
    "nodev": MS_NODEV,
    "noexec": MS_NOEXEC,
    "noatime": MS_NOATIME,
    "nodiratime": MS_NODIRATIME,
    "relatime": MS_RELATIME,
}
# System files no submission should read even where the kernel's user could (grading as root).
SECRET_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-")
SECRET_DIRS = ("/etc/ssh", "/etc/sudoers.d", "/var/lib/sss")
# Environment variables a kernel may inherit; everything else (tokens, COURSE_GRADEBOOK, ...)
# is dropped.
ENV_KEEP = (
    "PATH LANG LANGUAGE LC_ALL LC_CTYPE TZ TERM PYTHONHASHSEED PYTHONDONTWRITEBYTECODE "
    "VIRTUAL_ENV CONDA_PREFIX LD_LIBRARY_PATH CUDA_VISIBLE_DEVICES KERAS_BACKEND "
    "COURSE_PROFILE COURSE_OFFLINE MPLBACKEND NBGRADER_EXECUTION JPY_PARENT_PID "
    "TF_CPP_MIN_LOG_LEVEL TF_ENABLE_ONEDNN_OPTS TF_NUM_INTRAOP_THREADS TF_NUM_INTEROP_THREADS "
    "OMP_NUM_THREADS OPENBLAS_NUM_THREADS MKL_NUM_THREADS"
).split()


# --------------------------------------------------------------------------- kernel manager


def kernel_env(base: dict[str, str], kernel_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    """The kernel's environment: an allow-list of ``base`` plus a private home and caches."""
    home = kernel_dir / "home"
    env = {k: v for k, v in base.items() if k in ENV_KEEP}
    env.update(
        HOME=str(home),
        TMPDIR=str(kernel_dir / "tmp"),
        IPYTHONDIR=str(home / ".ipython"),
        MPLCONFIGDIR=str(home / ".matplotlib"),
        COURSE_CACHE=str(home / ".cache" / "cnn-course"),
        KERAS_HOME=str(home / ".keras"),
        JUPYTER_RUNTIME_DIR=str(kernel_dir),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
        PYTHONNOUSERSITE="1",
        COURSE_PROFILE="quick",
        COURSE_OFFLINE="1",
        MPLBACKEND="Agg",
    )
    env.update(extra)
    return env


UNIX_PATH_MAX = 107  # bytes of a Unix socket's path (sun_path, less its final NUL)


class SandboxKernelManager(AsyncKernelManager):
    """Starts the kernel through :func:`main` (the launcher) at the configured level.

    The connection uses ZeroMQ's ``ipc`` transport with its sockets in ``kernel_dir``, so a
    kernel without a network interface can still be driven.
    """

    level = Unicode("process", help="namespaces, process or none").tag(config=True)
    kernel_dir = Unicode(help="the kernel's private folder (created by the worker)").tag(
        config=True
    )
    hide = List(Unicode(), help="folders the kernel must not see").tag(config=True)
    keep = List(Unicode(), help="folders under hidden ones to mount back read-only").tag(
        config=True
    )
    memory_mb = Int(6144, help="address-space cap of the kernel (MiB)").tag(config=True)
    file_size_mb = Int(512, help="largest file the kernel may write (MiB)").tag(config=True)
    tmp_size_mb = Int(512, help="size of the private /tmp (namespaces level, MiB)").tag(config=True)
    env_extra = Dict(help="extra environment variables for the kernel").tag(config=True)
    pgid_file = Unicode(help="where to write the kernel's process group id").tag(config=True)
    as_nobody = Bool(False, help="(when root) run the kernel as nobody").tag(config=True)
    zygote = Unicode(
        "", help="socket of a grading.zygote server: fork the kernel warm from there"
    ).tag(config=True)
    zygote_token = Unicode(
        help="the secret the zygote server asks for (default: from the environment)"
    ).tag(config=True)
    pids_max = Int(PIDS_MAX, help="processes and threads the kernel may run at once").tag(
        config=True
    )
    cgroup_base = Unicode(
        help="the batch's pids cgroup, under which each kernel gets its own (root only)"
    ).tag(config=True)
    _cgroup = ""

    @default("zygote_token")
    def _zygote_token_default(self) -> str:
        return os.environ.get(ZYGOTE_TOKEN_ENV, "")

    @default("cgroup_base")
    def _cgroup_base_default(self) -> str:
        return os.environ.get(processes.CGROUP_ENV, "")

    _dir_fd: int | None = None
    _kernel_ip = ""  # the sockets' prefix as the kernel names it, when not self.ip

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        kdir = Path(self.kernel_dir)
        self.transport = "ipc"
        self.ip = self._socket_prefix(kdir)
        self.connection_file = str(kdir / "kernel.json")
        return await super()._async_pre_start_kernel(**kw)

    def _socket_prefix(self, kdir: Path) -> str:
        """Where the kernel's sockets are (``<prefix>-<port>``), as this process reaches them.

        A Unix socket's path holds at most 107 bytes, which a deep TMPDIR exceeds. Then this
        process names the folder by a descriptor it holds (``/proc/self/fd/N/ipc``) and the
        kernel, which starts in ``work/``, by the relative ``../ipc``.
        """
        prefix = str(kdir / "ipc")
        if len(os.fsencode(prefix)) + len("-65535") <= UNIX_PATH_MAX:
            self._kernel_ip = ""
            return prefix
        if not os.path.isdir("/proc/self/fd"):
            raise RuntimeError(
                f"the kernel folder's path is too long for its sockets ({prefix}); "
                "set TMPDIR to a shorter folder"
            )
        if self._dir_fd is None:
            self._dir_fd = os.open(kdir, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        self._kernel_ip = "../ipc"
        return f"/proc/self/fd/{self._dir_fd}/ipc"

    def write_connection_file(self, **kwargs: Any) -> None:
        """The connection file, with the socket prefix the kernel itself can use."""
        ours = self.ip
        self.ip = self._kernel_ip or ours
        try:
            super().write_connection_file(**kwargs)
        finally:
            self.ip = ours

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        if self.level == "none":
            return cmd
        launcher = [sys.executable, "-m", "grading.sandbox", "--level", self.level]
        if self.zygote:
            launcher[2:3] = ["grading.zygote", "connect", self.zygote]
        launcher += ["--kernel-dir", self.kernel_dir, "--cwd", str(Path(self.kernel_dir) / "work")]
        launcher += ["--memory-mb", str(self.memory_mb), "--file-size-mb", str(self.file_size_mb)]
        launcher += ["--tmp-size-mb", str(self.tmp_size_mb)]
        for path in self.hide:
            launcher += ["--hide", path]
        for path in self.keep:
            launcher += ["--keep", path]
        if self.as_nobody:
            launcher.append("--as-nobody")
        launcher += ["--pids-max", str(self.pids_max)]
        if self.cgroup_base and not self._cgroup:
            self._cgroup = processes.kernel_cgroup(self.cgroup_base, self.pids_max)
        if self._cgroup:
            launcher += ["--cgroup", self._cgroup]
        return [*launcher, "--", *cmd]

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        kdir = Path(self.kernel_dir)
        kw["cwd"] = str(kdir / "work")
        kw["env"] = kernel_env(kw.get("env") or dict(os.environ), kdir, dict(self.env_extra))
        if self.zygote and self.zygote_token and self.level != "none":
            kw["env"][ZYGOTE_TOKEN_ENV] = self.zygote_token  # the client takes it out
        if self.as_nobody and os.getuid() == 0 and self.level != "none":
            chown_tree(kdir, NOBODY, NOBODY)
        # The kernel's own output (C libraries, a crash) goes to its folder, never to the
        # grader's log: a kernel holds no descriptor of the grader's files.
        output = os.open(kdir / KERNEL_OUTPUT, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            await super()._async_launch_kernel(kernel_cmd, stdout=output, stderr=output, **kw)
        finally:
            os.close(output)
        if self.pgid_file and self.provisioner is not None:
            pgid = getattr(self.provisioner, "pgid", None)
            if pgid:
                Path(self.pgid_file).write_text(str(pgid))

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        """Kill what the kernel left running in its cgroup (a detached process)."""
        if self._cgroup:
            processes.empty_cgroup(Path(self._cgroup), remove=not restart)
            if not restart:
                self._cgroup = ""
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._dir_fd is not None:
            os.close(self._dir_fd)
            self._dir_fd = None


def chown_tree(root: Path, uid: int, gid: int) -> None:
    """Give ``root`` and everything under it to ``uid:gid`` (the kernel's user when root grades)."""
    os.chown(root, uid, gid)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, gid, follow_symlinks=False)


def prepare_kernel_dir(
    kernel_dir: Path,
    work_files: list[Path],
    home_files: dict[str, Path],
    home_links: dict[str, Path] | None = None,
) -> None:
    """Create the kernel's private folder: ``work/`` (its cwd), ``home/``, ``tmp/``.

    ``work_files`` are copied into ``work/`` (the lesson's own data files, never anything a
    student sent); ``home_files`` maps a path relative to ``home/`` to a file to copy there
    (warm caches, so every kernel does not rebuild them); ``home_links`` to a folder to link
    there (shared read-only data such as pre-seeded Keras caches).
    """
    import shutil

    for sub in ("work", "home", "tmp"):
        (kernel_dir / sub).mkdir(parents=True, exist_ok=True)
    for path in work_files:
        target = kernel_dir / "work" / path.name
        if path.is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True)
        else:
            shutil.copy2(path, target)
    for relative, path in home_files.items():
        target = kernel_dir / "home" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    for relative, path in (home_links or {}).items():
        target = kernel_dir / "home" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(path, target_is_directory=True)
    os.chmod(kernel_dir, 0o700)


@functools.cache
def namespaces_available() -> bool:
    """True where the ``namespaces`` level works (probed once, in a child process)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        result = subprocess.run(
            [sys.executable, "-m", "grading.sandbox", "--probe"],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def resolve_level(requested: str) -> str:
    """The level to use: ``auto`` becomes ``namespaces`` where available, else ``process``."""
    if requested not in LEVELS:
        raise ValueError(f"unknown sandbox level {requested!r}; choose from {LEVELS}")
    if requested == "auto":
        return "namespaces" if namespaces_available() else "process"
    if requested == "namespaces" and not namespaces_available():
        raise RuntimeError(
            "the namespaces sandbox is not available here (user namespaces are disabled or "
            "restricted); use --sandbox process"
        )
    return requested


def describe(level: str) -> str:
    """One line for the summary: what the level protects."""
    abi = landlock_abi()
    process = (
        f"process (Landlock {abi}: only its own folder writable; course, submissions, output, "
        "home and other kernels unreadable; no TCP"
        + ("; no signal or ptrace outside its domain" if abi >= LANDLOCK_FULL else "")
        + ")"
        if abi
        else "process (private folder, scrubbed environment, limits; nothing else: one kernel "
        "at a time)"
    )
    return {
        "namespaces": "namespaces (course, other submissions, gradebook, home hidden; "
        "read-only system; no network; private /tmp and /proc)",
        "process": process,
        "none": "none (no isolation: debugging only)",
    }[level]


def isolation(level: str) -> dict[str, Any]:
    """Whether kernels at ``level`` are kept apart from each other (else the batch grades one
    notebook at a time), and why not."""
    abi = landlock_abi()
    version = f"version {abi}" if abi else "none"
    return {
        "kernels_apart": level != "process" or abi >= LANDLOCK_FULL,
        "why_one_worker": "at the process level, kernels of one user are kept apart only by "
        f"Landlock {LANDLOCK_FULL}+ (Linux 6.12+; this kernel has {version})",
    }


def isolation_lines(level: str, as_nobody: bool, cgroup: bool, workers: int) -> list[str]:
    """What the summary says about who the kernels run as and what caps them."""
    if level == "none":
        return ["kernels are not isolated (--sandbox none): for debugging only"]
    lines = []
    if os.getuid() == 0 and not as_nobody:
        lines.append(
            f"kernels run as root: nobody cannot run this Python ({sys.base_prefix}); "
            + (
                "they still cannot reach the grader's files or processes (namespaces)"
                if level == "namespaces"
                else "only Landlock keeps them from root's files"
                if landlock_abi()
                else "nothing keeps them from root's files: use --sandbox namespaces"
            )
        )
    elif as_nobody:
        lines.append("kernels run as nobody")
    if cgroup:
        lines.append(f"at most {PIDS_MAX} processes and threads per kernel (a pids cgroup each)")
    elif os.getuid() != 0 and level == "namespaces":
        lines.append(
            f"at most {PIDS_MAX} processes and threads per kernel (RLIMIT_NPROC in its own "
            "user namespace)"
        )
    elif os.getuid() != 0:
        lines.append(
            f"at most {PIDS_MAX} more processes and threads per kernel than the account runs "
            "(RLIMIT_NPROC counts the whole account at the process level)"
        )
    else:
        lines.append("no process cap: root without a writable pids cgroup")
    if level == "process" and not isolation(level)["kernels_apart"]:
        lines.append(f"{isolation(level)['why_one_worker']}: {workers} worker")
    return lines


# --------------------------------------------------------------------------- launcher

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    enc = [None if s is None else s.encode() for s in (source, target, fstype)]
    _check(
        _libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), data.encode() or None),
        f"mount {target}",
    )


def _prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), "prctl")


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _map_ids(inside_uid: int, outside_uid: int, inside_gid: int, outside_gid: int) -> None:
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{inside_uid} {outside_uid} 1")
    _write("/proc/self/gid_map", f"{inside_gid} {outside_gid} 1")


def _mounts() -> list[tuple[str, set[str]]]:
    """(mount point, per-mount options) for every mount in this namespace, in order."""
    found = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[4])
            found.append((point, set(fields[5].split(","))))
    return found


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _become_nobody() -> None:
    """Grading as root: the kernel runs as ``nobody`` and cannot read root's private folders."""
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    _prctl(PR_SET_DUMPABLE, 1)  # a changed uid clears it; /proc/self/uid_map needs it


@functools.cache
def nobody_can_run_python() -> bool:
    """True when root grades and ``nobody`` may run this Python (it may not if it lives in
    root's home, as with pyenv under /root)."""
    if os.getuid() != 0:
        return False
    probe = f"import os, sys; os.setgroups([]); os.setgid({NOBODY}); os.setuid({NOBODY}); "
    probe += "os.execv(sys.executable, [sys.executable, '-c', 'import grading, helpers'])"
    try:
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _set_limits(memory_mb: int, file_size_mb: int, processes: int = 0) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb > 0:
        cap = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if file_size_mb > 0:
        cap = file_size_mb * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))
    if processes > 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


def _tasks_of(uid: int) -> int:
    """How many processes and threads ``uid`` runs now (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.stat(entry.path).st_uid == uid:
                    count += len(os.listdir(f"{entry.path}/task"))
            except OSError:
                continue
    return count


def _process_cap(args: argparse.Namespace, outside_uid: int) -> int:
    """The RLIMIT_NPROC that caps this kernel at ``--pids-max`` tasks, or 0 where it cannot.

    RLIMIT_NPROC counts the tasks of a user in a user namespace (Linux 5.14+ ucounts), so in
    the kernel's own namespace it is a per-kernel cap; outside one it counts every process of
    the account, so the cap is added to what the account already runs. Root is exempt from
    it (even mapped into a namespace): there the kernel's pids cgroup caps it."""
    if args.pids_max <= 0 or outside_uid == 0:
        return 0
    if args.level == "namespaces":
        return args.pids_max
    return _tasks_of(outside_uid) + args.pids_max


# --------------------------------------------------------------------------- Landlock

# Landlock (Linux 5.13+): a process restricts itself and every process it starts, whatever
# its user; the same system calls and numbers on every architecture.
_LANDLOCK_CREATE, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT = 444, 445, 446
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FS_ABI1 = (1 << 13) - 1  # execute, read, write, remove and make anything
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2  # ABI 4
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1, 2  # ABI 6
LANDLOCK_FULL = 6  # the version that also keeps signals and abstract sockets in the domain
READ_ONLY = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sys")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


@functools.cache
def landlock_abi() -> int:
    """The Landlock version this kernel offers (0: none)."""
    if _libc is None:
        return 0
    return max(int(_libc.syscall(_LANDLOCK_CREATE, None, 0, 1)), 0)


def landlock_rules(args: argparse.Namespace) -> list[tuple[str, int]]:
    """(path, rights) a ``process``-level kernel keeps: its own folder, everything; this
    Python, the kept folders and the system (``/etc`` without its secrets), read and execute;
    a few devices, read and write. Nothing else: not ``/tmp``, not ``$HOME``, not the course,
    the submissions, the output or another kernel's folder."""
    python = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    rules = [(args.kernel_dir, -1)] if args.kernel_dir else []
    rules += [(p, READ_ONLY) for p in [*SYSTEM_DIRS, *sorted(python), *args.keep]]
    secret = {*SECRET_FILES, *SECRET_DIRS}
    with contextlib.suppress(OSError):
        rules += [
            (entry.path, READ_ONLY) for entry in os.scandir("/etc") if entry.path not in secret
        ]
    rules += [(p, FS_READ_FILE | FS_WRITE_FILE | FS_IOCTL_DEV) for p in DEVICES]
    return rules


def _landlock(args: argparse.Namespace) -> int:
    """Confine this process to :func:`landlock_rules`, no TCP, and (ABI 6+) no signal or
    abstract socket to a process outside its domain; returns the ABI used (0: none here)."""
    abi = landlock_abi()
    if abi < 1:
        return 0
    handled = FS_ABI1 | (FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0)
    handled |= FS_IOCTL_DEV if abi >= 5 else 0
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL if abi >= 6 else 0
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = _libc.syscall(
        _LANDLOCK_CREATE, ctypes.byref(_RulesetAttr(handled, net, scoped)), size, 0
    )
    _check(0 if ruleset >= 0 else -1, "landlock_create_ruleset")
    try:
        for path, rights in landlock_rules(args):
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # not on this system
            try:
                allowed = handled if rights == -1 else rights & handled
                if not os.path.isdir(path):
                    allowed &= FILE_RIGHTS
                rule = _PathBeneath(allowed, fd)
                _check(_libc.syscall(_LANDLOCK_ADD_RULE, ruleset, 1, ctypes.byref(rule), 0), path)
            finally:
                os.close(fd)
        _check(_libc.syscall(_LANDLOCK_RESTRICT, ruleset, 0), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return abi


# --------------------------------------------------------------------------- capabilities

PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 47, 4


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _drop_capabilities() -> None:
    """No capability left, none to regain: a kernel forked from the warm server never execs,
    so it would otherwise keep those of its user namespace (or root's, at the process level)."""
    try:
        last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        _libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0)  # refused without CAP_SETPCAP
    _libc.prctl(PR_CAP_AMBIENT, ctypes.c_ulong(PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def _close_inherited_fds() -> None:
    """Close every descriptor but stdin, stdout and stderr: nothing the grader, the warm
    server or a keeper had open reaches the kernel."""
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def _enter_namespaces(args: argparse.Namespace) -> None:
    """Isolate this process (see the module docstring); returns in the isolated child."""
    uid, gid = os.getuid(), os.getgid()
    _unshare(
        CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    )
    _map_ids(0, uid, 0, gid)
    child = os.fork()
    if child:  # the launcher stays outside the PID namespace and reports the kernel's exit
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts are for the kernel
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda s, _f: os.kill(child, s))
        while True:
            try:
                _, status = os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    # PID 1 of the new namespace: dies with the launcher.
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # This Python (the kernel's) stays visible, read-only, wherever it lives.
    python = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    keep = sorted({p for p in [*python, *args.keep, args.kernel_dir] if os.path.exists(p)})
    # O_PATH handles on the real tree, to mount back over the hidden folders below; each is
    # closed once mounted (a handle left open would lead past every hidden folder).
    handles = {p: os.open(p, os.O_PATH | os.O_CLOEXEC) for p in keep}
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    hidden: list[str] = []
    # "/tmp/cnn-grade-*" (every grading run's folder) names a prefix: hide each match
    plain = [p for p in args.hide if not p.endswith("*")]
    plain += [m for p in args.hide if p.endswith("*") for m in glob.glob(glob.escape(p[:-1]) + "*")]
    for path in sorted({os.path.realpath(p) for p in [*plain, *SECRET_DIRS]}, key=len):
        if os.path.isdir(path) and not _under(path, hidden) and path != "/":
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
            hidden.append(path)
    for path in SECRET_FILES:
        if os.path.isfile(path):
            _mount("/dev/null", path, None, MS_BIND)
    private = f"size={args.tmp_size_mb}m,mode=1777"
    for path in ("/tmp", "/dev/shm"):
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, private)
    for path, handle in handles.items():
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
        os.close(handle)
    writable = [args.kernel_dir, "/tmp", "/dev/shm"]
    for point, options in _mounts():
        if "ro" in options or _under(point, ["/proc", "/dev", *writable]):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        flags |= sum(bit for name, bit in MOUNT_FLAGS.items() if name in options)
        try:
            _mount(None, point, None, flags)
        except OSError:
            pass  # a mount we may not change stays as it was (none that matter in practice)
    # A second user namespace locks every mount above (its code cannot unmount them) and
    # makes the kernel an ordinary user inside, so it loses every capability at exec.
    inside = uid if uid != 0 else NOBODY
    _unshare(CLONE_NEWUSER | CLONE_NEWNS)
    _map_ids(inside, 0, gid if gid != 0 else NOBODY, 0)


def _probe() -> int:
    """Exit 0 when this machine allows the namespaces level."""
    uid, gid = os.getuid(), os.getgid()  # read before unsharing: then they are "nobody"
    try:
        _unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID)
        _map_ids(0, uid, 0, gid)
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
    except OSError as error:
        print(f"namespaces unavailable: {error}", file=sys.stderr)
        return 1
    return 0


def parser() -> argparse.ArgumentParser:
    """The launcher's options (also what :mod:`grading.zygote` passes on)."""
    parser = argparse.ArgumentParser(description="Start a kernel inside the grading sandbox.")
    parser.add_argument("--probe", action="store_true", help="check that namespaces work")
    parser.add_argument("--level", choices=("namespaces", "process"), default="process")
    parser.add_argument("--kernel-dir", default="")
    parser.add_argument("--cwd", default="")
    parser.add_argument("--hide", action="append", default=[])
    parser.add_argument("--keep", action="append", default=[])
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--file-size-mb", type=int, default=0)
    parser.add_argument("--tmp-size-mb", type=int, default=512)
    parser.add_argument("--as-nobody", action="store_true", help="(root only) run as nobody")
    parser.add_argument("--pids-max", type=int, default=0, help="processes and threads, at most")
    parser.add_argument("--cgroup", default="", help="(root) a pids cgroup to join")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    return parser


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The launcher's options and the kernel command after ``--``."""
    args = parser().parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd and not args.probe:
        parser().error("no kernel command after --")
    return args, cmd


def isolate(args: argparse.Namespace) -> None:
    """Put this process in the sandbox ``args`` describes (it returns inside it)."""
    linux = sys.platform.startswith("linux")
    parent = os.getppid()
    if linux:
        _close_inherited_fds()
        processes.prctl(processes.PR_SET_DUMPABLE, 1)  # forked from the (undumpable) server
    if args.cgroup:
        processes.join_cgroup(args.cgroup)  # as the grader's user, before dropping it
    if args.as_nobody and os.getuid() == 0:
        _become_nobody()
    outside_uid = os.getuid()
    processes.die_with_parent(signal.SIGKILL, parent)  # set after the uid change cleared it
    if args.level == "namespaces":
        _enter_namespaces(args)
    if linux:
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        if args.level == "process":
            _landlock(args)
    _set_limits(args.memory_mb, args.file_size_mb, _process_cap(args, outside_uid))
    if linux:
        _drop_capabilities()
    if args.cwd:
        os.chdir(args.cwd)


def main(argv: list[str] | None = None) -> int:
    args, cmd = parse(sys.argv[1:] if argv is None else argv)
    if args.probe:
        return _probe()
    isolate(args)
    os.execvp(cmd[0], cmd)
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main())
