"""Benchmark: wall seconds and peak memory of executing each lesson at each profile.

    python bench/bench_notebooks.py                       # every lesson, quick and full
    python bench/bench_notebooks.py --lessons 01-convolution --profiles quick
    python bench/bench_notebooks.py --make-test           # also time the whole `make test`
    python bench/bench_notebooks.py --binder              # as on Binder: its profile, 2 CPUs, 2 GB

Each run executes the solution notebook in a fresh kernel (as nbval and the autograder do)
and prints one line: lesson, profile, seconds, peak memory of the kernel, and the lines the
notebook printed about accuracy (the figures a lesson is judged by). Nothing here is a
test: a slow day changes the numbers, not the verdict.

``--binder`` runs every lesson as Binder would: in the environment binder/start sets (its
profile, thread counts), on at most 2 CPUs, and compares each kernel's peak with Binder's
2 GB less what JupyterLab's server itself holds there; it exits 1 if a lesson does not fit.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

COURSE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(COURSE))

from grading import synthetic  # noqa: E402

# Runs in a child process so that its RUSAGE_CHILDREN covers exactly one kernel.
RUNNER = r"""
import json, resource, sys, time
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
start = time.perf_counter()
error = None
try:
    NotebookClient(nb, timeout=3600, kernel_name="python3",
                   resources={"metadata": {"path": sys.argv[2]}}).execute()
except Exception as exc:
    error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
seconds = time.perf_counter() - start
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
lines = []
for cell in nb.cells:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            lines += out["text"].splitlines()
print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024, "error": error, "lines": lines}))
"""

BINDER_MEMORY_MIB = 2048  # mybinder.org's memory limit per user
SERVER_MIB = 256  # JupyterLab's server with nbgrader's extensions beside the kernel (120 measured)
FIGURE = re.compile(r"(accuracy|MNIST:|CIFAR-10|Profile:|epochs?\b|gain|weights)", re.I)


def binder_env() -> dict[str, str]:
    """This environment as binder/start leaves it for the server and its kernels."""
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_PROFILE", "COURSE_RUNTIME")}
    shown = subprocess.run(
        ["bash", str(COURSE / "binder" / "start"), "env", "-0"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(item.split("=", 1) for item in shown.split("\0") if "=" in item)


def two_cpus() -> None:
    """In the child: at most 2 CPUs, as Binder gives."""
    cpus = sorted(os.sched_getaffinity(0))[:2]
    os.sched_setaffinity(0, cpus)


def bench_one(
    lesson: str,
    profile: str | None,
    base: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> dict:
    """Execute one lesson at one profile; return seconds, peak MiB, key printed lines.

    ``base``: the environment to run in (Binder's: its own profile, at most 2 CPUs);
    ``env``: more environment variables, such as ``KERAS_BACKEND``."""
    env = dict(base or os.environ, MPLBACKEND="Agg", **(env or {}))
    if profile:
        env["COURSE_PROFILE"] = profile
    path = synthetic.notebook_path(lesson)
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(path), str(path.parent)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        preexec_fn=two_cpus if base is not None else None,
    )
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {
            "seconds": float("nan"),
            "peak_mib": float("nan"),
            "error": (result.stderr.strip().splitlines() or ["no output"])[-1],
            "lines": [],
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", default=synthetic.lessons())
    parser.add_argument(
        "--profiles", nargs="*", default=["quick", "full"], choices=["quick", "full"]
    )
    parser.add_argument("--make-test", action="store_true", help="also time the whole `make test`")
    parser.add_argument(
        "--binder", action="store_true", help="as on Binder: binder/start's profile, 2 CPUs, 2 GB"
    )
    args = parser.parse_args(argv)
    if args.binder:
        return bench_binder(args.lessons)

    print(f"{'lesson':<26}{'profile':<8}{'seconds':>9}{'peak MiB':>10}  status")
    for lesson in args.lessons:
        for profile in args.profiles:
            run = bench_one(lesson, profile)
            status = "ok" if not run["error"] else f"FAILED {run['error']}"
            print(
                f"{lesson:<26}{profile:<8}{run['seconds']:>9.1f}{run['peak_mib']:>10.0f}  {status}",
                flush=True,
            )
            for line in run["lines"]:
                if FIGURE.search(line):
                    print(f"{'':<34}| {line.strip()[:150]}")
    if args.make_test:
        start = time.perf_counter()
        code = subprocess.run(["make", "test"], cwd=COURSE, check=False).returncode
        print(f"make test: {time.perf_counter() - start:.0f} s (exit {code})")
    return 0


def bench_binder(lessons: list[str]) -> int:
    """Every lesson as on Binder; 1 if one fails or its kernel would not fit in Binder's memory."""
    env = binder_env()
    budget = BINDER_MEMORY_MIB - SERVER_MIB
    print(
        f"Binder: profile {env.get('COURSE_PROFILE')} (binder/start), 2 CPUs, kernel budget "
        f"{budget} MiB ({BINDER_MEMORY_MIB} MiB less {SERVER_MIB} for JupyterLab's server)"
    )
    print(f"{'lesson':<26}{'seconds':>9}{'peak MiB':>10}  verdict")
    worst = 0
    for lesson in lessons:
        run = bench_one(lesson, None, env)
        fits = run["peak_mib"] <= budget
        verdict = "fits" if fits and not run["error"] else run["error"] or "TOO BIG for Binder"
        worst = max(worst, 0 if fits and not run["error"] else 1)
        print(f"{lesson:<26}{run['seconds']:>9.1f}{run['peak_mib']:>10.0f}  {verdict}", flush=True)
    return worst


if __name__ == "__main__":
    sys.exit(main())
