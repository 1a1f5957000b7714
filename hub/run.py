"""Prepare and start the course's JupyterHub: ``make hub`` (``python -m hub.run``).

    make hub                                   # http://127.0.0.1:8000, state in .hub/
    make hub HUB_ARGS="--port 8800 --state /srv/cnn-hub --homes /home"
    python -m hub.run --prepare-only           # everything but starting the hub

It runs as root: every hub user (hub/class.toml) gets a system account, because nbgrader's
exchange knows a student by the Unix account that runs their server and keeps submissions
apart with that account's file permissions (a spawner that only gave each user a home of
their own under one account would make every student the same nbgrader student).

Steps, each skipped when already done (``--state`` holds what they make):

1. configurable-http-proxy from npm, into hub/node_modules (hub/package.json);
2. the student edition (``make student-edition``) in ``<state>/edition``, rebuilt each time;
3. the students' Python environment, ``<state>/envs/student``: the edition's package (its
   ``helpers``, nothing of ``grading/``) installed on this repository's Python, reusing the
   packages of its ``.venv`` (a ``.pth`` file); when that Python sits where other accounts
   cannot enter (pyenv under ``/root``), on a copy of it in ``<state>/python``;
4. the exchange ``<state>/exchange``, writable by all like ``/tmp`` (nbgrader's own folder
   permissions inside keep each student's submissions private);
5. the system users, with homes under ``--homes``: each student gets a copy of the edition
   in ``~/cnn-course``; each instructor a copy of this repository there, installed in an
   environment of their own made the same way (``<state>/envs/instructor-<name>``, the
   copy's ``.venv``, so ``make grade`` works there) and its gradebook made;
6. this repository's solutions, tests, gradebook and git folder closed to other accounts.

Then it starts ``jupyterhub -f hub/jupyterhub_config.py``. Passwords: students log in with
``COURSE_HUB_PASSWORD``, instructors with ``COURSE_HUB_ADMIN_PASSWORD`` (at least 32
characters); when unset they are made once and kept in ``<state>/hub/passwords.toml``.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

HUB = Path(__file__).resolve().parent
COURSE = HUB.parent
MARK = "cnn-course hub user"  # the comment field of the system accounts the course creates
PRIVATE = ("solutions", "tests", ".nbgrader", ".git", "submitted", "autograded", "feedback")
VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"


class HubError(RuntimeError):
    """The hub cannot be prepared (not root, an account that is not the course's, ...)."""


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:  # noqa: ANN003
    """Run ``command``; raise :class:`HubError` with its output if it fails."""
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise HubError(f"{' '.join(command)} failed:\n{(result.stdout + result.stderr)[-2000:]}")
    return result


def as_user(user: str, command: list[str], **kwargs) -> subprocess.CompletedProcess:  # noqa: ANN003
    """Run ``command`` as the system user ``user`` (with that user's HOME)."""
    home = pwd.getpwnam(user).pw_dir
    return run(
        ["runuser", "-u", user, "--", "env", f"HOME={home}", f"USER={user}", *command], **kwargs
    )


# --------------------------------------------------------------------- 1. the proxy


def proxy_command() -> Path:
    """configurable-http-proxy, installed from npm into hub/node_modules when missing."""
    local = HUB / "node_modules" / ".bin" / "configurable-http-proxy"
    if not local.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise HubError("npm is needed for configurable-http-proxy: apt-get install npm")
        run([npm, "ci", "--prefix", str(HUB), "--no-audit", "--no-fund", "--loglevel=error"])
    return local


# --------------------------------------------------------------------- 3. environments


def runs_for_everyone(python: str) -> bool:
    """True if the account ``nobody`` can run ``python`` (and it is this Python's version)."""
    try:
        result = subprocess.run(
            [
                "runuser",
                "-u",
                "nobody",
                "--",
                python,
                "-c",
                "import sys; print(sys.version_info[:2])",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and result.stdout.strip() == str(sys.version_info[:2])


def shared_python(state: Path) -> str:
    """This Python (the one the course's ``.venv`` was made from), runnable by every account.

    A Python installed where other accounts cannot enter (pyenv under ``/root``) is copied,
    without its site-packages, into ``<state>/python`` with its library path made relative
    (patchelf). Another installed Python of the same minor version will not do: the course's
    packages are tested with this one (soupsieve, for one, needs a newer 3.11 than Debian's).
    """
    own = Path(getattr(sys, "_base_executable", "") or sys.executable)
    if runs_for_everyone(str(own)):
        return str(own)
    base, target = Path(sys.base_prefix), state / "python"
    python = target / "bin" / f"python{VERSION}"
    if not python.exists():
        skip = shutil.ignore_patterns("site-packages", "test", "idlelib", "config-*", "*.a")
        (target / "bin").mkdir(parents=True)
        shutil.copy2(own.resolve(), python)
        shutil.copytree(base / "lib" / f"python{VERSION}", target / "lib" / f"python{VERSION}",
                        ignore=skip, symlinks=True)  # fmt: skip
        (target / "lib" / f"python{VERSION}" / "site-packages").mkdir()
        for library in (base / "lib").glob("libpython*.so*"):
            shutil.copy2(library, target / "lib" / library.name, follow_symlinks=False)
        patchelf = shutil.which("patchelf") or str(Path(sys.prefix) / "bin" / "patchelf")
        run([patchelf, "--set-rpath", "$ORIGIN/../lib", str(python)])
        run(["chmod", "-R", "a+rX", str(target)])
    if not runs_for_everyone(str(python)):
        raise HubError(f"{python}: other accounts cannot run this Python's copy either")
    return str(python)


def course_paths() -> list[str]:
    """Where this repository's environment keeps its packages."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def rewrite_scripts(target: Path) -> None:
    """This environment's console scripts (jupyter, nbgrader, ...) for ``target``'s Python."""
    own = {
        str(Path(sys.prefix) / "bin" / name) for name in ("python", "python3", f"python{VERSION}")
    }
    for script in sorted((Path(sys.prefix) / "bin").iterdir()):
        if not script.is_file() or script.name.startswith(("python", "pip", "activate")):
            continue
        with open(script, "rb") as handle:
            first = handle.readline()
            rest = handle.read()
        if first.startswith(b"#!") and first[2:].decode(errors="replace").strip() in own:
            new = target / "bin" / script.name
            new.write_bytes(f"#!{target / 'bin' / 'python'}\n".encode() + rest)
            new.chmod(0o755)


def role_env(target: Path, python: str, install: list[str] | None = None) -> Path:
    """A venv on ``python`` that sees this environment's packages, plus ``pip install`` of
    ``install`` (no dependencies: they are those packages)."""
    if not (target / "bin" / "python").exists():
        run([python, "-m", "venv", "--without-pip", str(target)])
    site = target / "lib" / f"python{VERSION}" / "site-packages"
    (site / "course.pth").write_text("\n".join(course_paths()) + "\n")
    for folder in ("share/jupyter", "etc/jupyter"):  # JupyterLab, its extensions, their settings
        link, source = target / folder, Path(sys.prefix) / folder
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            shutil.rmtree(link) if link.is_dir() and not link.is_symlink() else link.unlink()
        link.symlink_to(source, target_is_directory=True)
    rewrite_scripts(target)
    if install:
        run(
            [sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"), "install",
             "--quiet", "--no-deps", "--no-index", "--no-build-isolation", "--force-reinstall",
             *install]
        )  # fmt: skip
    if not runs_for_everyone(str(target / "bin" / "python")):
        raise HubError(f"{target}: other accounts cannot run it (a folder above it is closed?)")
    return target


def edition_wheel(edition: Path, into: Path) -> Path:
    """The student edition's package as a wheel (built from a scratch copy of it)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "edition"
        shutil.copytree(edition, source)
        run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
             "--wheel-dir", str(into), str(source)]
        )  # fmt: skip
    return next(into.glob("cnn_course-*.whl"))


# --------------------------------------------------------------------- 5. users


def ensure_user(name: str, homes: Path) -> pwd.struct_passwd:
    """The system account ``name`` with its home in ``homes`` (created if missing)."""
    home = homes / name
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        run(["useradd", "--home-dir", str(home), "--no-create-home", "--comment", MARK,
             "--shell", "/bin/bash", "--user-group", name])  # fmt: skip
        entry = pwd.getpwnam(name)
    else:
        if entry.pw_gecos != MARK:
            raise HubError(
                f"a system user {name!r} exists that the course did not create: "
                "use other names in hub/class.toml"
            )
        if entry.pw_dir != str(home):
            run(["usermod", "--home", str(home), name])
            entry = pwd.getpwnam(name)
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    home.chmod(0o700)
    return entry


def chown_tree(path: Path, entry: pwd.struct_passwd) -> None:
    """Give ``path`` and everything under it to the account ``entry``."""
    run(["chown", "-R", f"{entry.pw_uid}:{entry.pw_gid}", str(path)])


def course_files() -> list[str]:
    """This repository's files as a fresh clone has them (tracked, and new ones not ignored)."""
    listed = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=COURSE).stdout
    return [name for name in listed.split("\0") if name and (COURSE / name).is_file()]


def instructor_copy(entry: pwd.struct_passwd, envs: Path, python: str) -> Path:
    """The instructor's copy of the course in ~/cnn-course, installed in an environment of
    their own (``<state>/envs/instructor-<name>``, the copy's ``.venv``), its gradebook made."""
    copy = Path(entry.pw_dir) / "cnn-course"
    env = envs / f"instructor-{entry.pw_name}"
    if (copy / ".nbgrader" / "gradebook.db").exists() and env.exists():
        return copy
    for name in course_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(COURSE / name, copy / name)
    role_env(env, python, ["--editable", str(copy)])
    if not (copy / ".venv").is_symlink():
        (copy / ".venv").symlink_to(env, target_is_directory=True)
    # The environment was installed from this very pyproject.toml: make sees it as current.
    stamp = env / ".installed"
    stamp.touch()
    os.utime(copy / "pyproject.toml", (stamp.stat().st_mtime - 1,) * 2)
    chown_tree(copy, entry)
    as_user(entry.pw_name, ["make", "--no-print-directory", "-C", str(copy), "gradebook"])
    return copy


# JupyterLab asks each new user whether to fetch Jupyter's news; a class does not need that.
NO_NEWS = (
    ".jupyter/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings",
    '{"fetchNews": "false", "checkForUpdates": false}\n',
)


def quiet_lab(entry: pwd.struct_passwd) -> None:
    """The user's JupyterLab without the news question (their setting; left if they have one)."""
    settings = Path(entry.pw_dir) / NO_NEWS[0]
    if not settings.exists():
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(NO_NEWS[1])
        chown_tree(Path(entry.pw_dir) / ".jupyter", entry)


def student_copy(entry: pwd.struct_passwd, edition: Path) -> Path:
    """The student edition in the student's ~/cnn-course (once; it is theirs to change)."""
    copy = Path(entry.pw_dir) / "cnn-course"
    if not copy.exists():
        shutil.copytree(edition, copy)
        chown_tree(copy, entry)
    return copy


# --------------------------------------------------------------------- the whole


def passwords(state: Path) -> dict[str, str]:
    """The class's two shared passwords, from the environment or made once and kept."""
    kept = state / "hub" / "passwords.toml"
    stored = tomllib.loads(kept.read_text()) if kept.exists() else {}
    found = {
        "COURSE_HUB_PASSWORD": os.environ.get("COURSE_HUB_PASSWORD")
        or stored.get("COURSE_HUB_PASSWORD")
        or secrets.token_urlsafe(12),
        "COURSE_HUB_ADMIN_PASSWORD": os.environ.get("COURSE_HUB_ADMIN_PASSWORD")
        or stored.get("COURSE_HUB_ADMIN_PASSWORD")
        or secrets.token_urlsafe(32),
    }
    if found != stored:
        kept.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in found.items()))
        kept.chmod(0o600)
    return found


def step(timings: dict[str, float], name: str, action: Callable[[], object]) -> object:
    """Run one preparation step, printing and keeping its duration."""
    started = time.perf_counter()
    result = action()
    timings[name] = round(time.perf_counter() - started, 1)
    print(f"hub: {name} ({timings[name]} s)", flush=True)
    return result


def prepare(state: Path, homes: Path, roster: dict[str, list[str]]) -> dict[str, float]:
    """Everything the hub needs before it starts; returns each step's seconds."""
    from grading import edition as editions

    if os.geteuid() != 0:
        raise HubError(
            "make hub runs as root: it creates a system account per hub user, as nbgrader's "
            "exchange needs (see hub/run.py); on Kubernetes see docs/deploy.md"
        )
    timings: dict[str, float] = {}
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o755)
    (state / "hub").mkdir(exist_ok=True)
    (state / "hub").chmod(0o700)
    step(timings, "configurable-http-proxy", proxy_command)
    edition = state / "edition"
    step(timings, "student edition", lambda: editions.write(edition, COURSE, force=True))
    python = step(timings, "a Python every account can run", lambda: shared_python(state))
    envs = state / "envs"
    envs.mkdir(exist_ok=True)

    def student_env() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            role_env(envs / "student", python, [str(edition_wheel(edition, Path(tmp)))])

    step(timings, "student environment", student_env)
    exchange = state / "exchange"
    exchange.mkdir(exist_ok=True)
    exchange.chmod(0o1777)
    homes.mkdir(parents=True, exist_ok=True)

    def users() -> None:
        for name in roster["students"]:
            entry = ensure_user(name, homes)
            student_copy(entry, edition)
            quiet_lab(entry)
        for name in roster["instructors"]:
            entry = ensure_user(name, homes)
            instructor_copy(entry, envs, python)
            quiet_lab(entry)

    step(timings, "users and their copies", users)
    for name in PRIVATE:
        if (COURSE / name).exists():
            (COURSE / name).chmod((COURSE / name).stat().st_mode & ~0o007)
    print(
        f"hub: closed to other accounts: {', '.join(p for p in PRIVATE if (COURSE / p).exists())}"
    )
    return timings


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, default=COURSE / ".hub", help="the hub's folder")
    parser.add_argument("--homes", type=Path, default=Path("/home"), help="where homes go")
    parser.add_argument("--class", dest="roster", type=Path, default=HUB / "class.toml")
    parser.add_argument("--port", type=int, default=8000, help="the hub's public port")
    parser.add_argument("--hub-port", type=int, default=8081, help="the hub's internal port")
    parser.add_argument("--proxy-api-port", type=int, default=8001)
    parser.add_argument("--prepare-only", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Prepare, then replace this process with JupyterHub."""
    args = parse_args(argv)
    state, homes = args.state.resolve(), args.homes.resolve()
    roster = tomllib.loads(args.roster.read_text())
    try:
        prepare(state, homes, roster)
    except HubError as error:
        print(f"make hub: {error}", file=sys.stderr)
        return 1
    env = dict(
        os.environ,
        **passwords(state),
        COURSE_HUB_STATE=str(state),
        COURSE_HUB_CLASS=str(args.roster.resolve()),
        COURSE_HUB_PORT=str(args.port),
        COURSE_HUB_INTERNAL_PORT=str(args.hub_port),
        COURSE_HUB_PROXY_API_PORT=str(args.proxy_api_port),
    )
    if args.prepare_only:
        return 0
    print(
        f"hub: http://127.0.0.1:{args.port}/ for {', '.join(roster['instructors'])} (instructors) "
        f"and {len(roster['students'])} students; passwords in {state / 'hub' / 'passwords.toml'}",
        flush=True,
    )
    os.chdir(state / "hub")  # the proxy writes its pid file here
    jupyterhub = str(Path(sys.prefix) / "bin" / "jupyterhub")
    os.execve(jupyterhub, [jupyterhub, "-f", str(HUB / "jupyterhub_config.py")], env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
