"""Benchmark: the same class graded locally (``--workers 2``) and on a local Dask cluster of
two single-threaded workers on the same cores (``--scheduler``), and what a big class would
take on N machines.

    python bench/bench_cluster.py                          # 3 students × every lesson
    python bench/bench_cluster.py --students 6 --lessons 01-convolution 02-counting-parameters

The class is bench/bench_grading.py's (solution, blank and half-answered notebooks in turn).
Both runs grade the same submissions, one after the other; the Dask scheduler and workers are
started before the second run (a cluster is up before grading starts) and their start-up is
reported apart. Printed, and saved to ``bench/results/cluster-<time>.json``:

* wall seconds of both runs, the **overhead ratio** (Dask / local) and whether the scores
  are the same;
* seconds per notebook spent grading (the grader's own measure) in each run, so that a
  busy machine shows as such;
* the **per-task overhead**: on a Dask worker, a task's seconds beyond the grading itself
  (fork of a supervisor, files in and out), plus the gap between a worker's tasks (the
  scheduler's dispatch); the one-time start-up of each Dask worker's grading processes (the
  first task's extra seconds); this machine's seconds per row taken in;
* the projection of 1,000 students × 5 lessons on N machines of 2 cores (N = 8, 32, 128),
  with the model (docs/grading-on-a-cluster.md explains it);
* the machine: cores, load average sampled during the runs, versions.

Nothing here is a test: a busy machine changes the numbers. Run it on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

COURSE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(COURSE))
sys.path.insert(0, str(COURSE / "tests"))

import bench_grading  # noqa: E402
from dask_processes import DaskProcesses  # noqa: E402

from grading import autograde, synthetic  # noqa: E402

PROJECTION_STUDENTS, PROJECTION_LESSONS, MACHINE_CORES = 1000, 5, 2


def grade(course: Path, submissions: Path, out: Path, env: dict, *options: str) -> dict:
    """One grading run: wall seconds, exit status, rows and results."""
    cmd = [sys.executable, "-m", "grading.autograde", str(submissions), str(out)]
    cmd += ["--course", str(course), "--quiet", *options]
    seconds, _peak, code = bench_grading.run(cmd, COURSE, env)
    report = json.loads((out / "report.json").read_text()) if code == 0 else {"results": []}
    scores = {(r["student"], r["lesson"]): (r["status"], r.get("score")) for r in report["results"]}
    return {"seconds": seconds, "exit": code, "report": report, "scores": scores}


def cluster_timings(results: list[dict]) -> dict:
    """Per-task overhead, worker start-up and dispatch gaps from the results' ``graded_on``."""
    by_worker: dict[str, list[dict]] = {}
    for r in results:
        if r.get("graded_on", {}).get("started_at"):
            by_worker.setdefault(r["graded_on"]["worker"], []).append(r)
    startup, extra, gaps = [], [], []
    for tasks in by_worker.values():
        tasks.sort(key=lambda r: r["graded_on"]["started_at"])
        for k, r in enumerate(tasks):
            beyond = r["graded_on"]["task_seconds"] - (r.get("seconds") or 0)
            (startup if k == 0 else extra).append(beyond)
            if k:
                gaps.append(r["graded_on"]["started_at"] - tasks[k - 1]["graded_on"]["finished_at"])
    starts = [r["graded_on"]["started_at"] for rs in by_worker.values() for r in rs]
    ends = [r["graded_on"]["finished_at"] for rs in by_worker.values() for r in rs]
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    return {
        "workers_used": len(by_worker),
        "startup_seconds": mean(startup),
        "task_extra_seconds": mean(extra),
        "dispatch_gap_seconds": mean(gaps),
        "per_task_overhead_seconds": mean(extra) + mean(gaps),
        "makespan_seconds": (max(ends) - min(starts)) if starts else 0.0,
    }


def projection(t: float, o: float, startup: float, fixed: float, machines: int) -> float:
    """Minutes for 1,000 students × 5 lessons on ``machines`` of 2 cores (2 single-threaded
    workers each): fixed + startup + ceil(n / slots) × (t + o)."""
    n = PROJECTION_STUDENTS * PROJECTION_LESSONS
    slots = machines * MACHINE_CORES
    return (fixed + startup + math.ceil(n / slots) * (t + o)) / 60


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", default=synthetic.lessons())
    parser.add_argument("--students", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="local workers = Dask workers")
    parser.add_argument(
        "--dask-first", action="store_true", help="grade on Dask first, then locally"
    )
    parser.add_argument(
        "--per-notebook",
        type=float,
        default=9.8,
        help="also project with this many grading seconds per notebook (default 9.8: "
        "bench_grading.py's 100 × 5 lessons in 41 min with 2 workers on a quiet machine)",
    )
    args = parser.parse_args(argv)

    env = autograde.tool_env()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        root = Path(tmp)
        course, lessons = bench_grading.make_course(root, args.lessons)
        submissions = root / "submitted"
        bench_grading.make_class(course, submissions, lessons, args.students)
        n = args.students * len(lessons)
        print(f"{n} notebooks: {args.students} students × {lessons}; {autograde.cores()} cores")
        local_options = ("--workers", str(args.workers))
        if not args.dask_first:
            local = grade(course, submissions, root / "local", env, *local_options)
        with DaskProcesses(root / "dask", env) as dask:
            started = time.perf_counter()
            dask.start_scheduler()
            for k in range(args.workers):
                dask.start_worker(f"w{k + 1}", nthreads=1)
            cluster_start = time.perf_counter() - started
            remote = grade(course, submissions, root / "remote", env, "--scheduler", dask.address)
        if args.dask_first:
            local = grade(course, submissions, root / "local", env, *local_options)
    load = sum(bench_grading.LOAD) / len(bench_grading.LOAD) if bench_grading.LOAD else math.nan

    graded = [r for r in local["report"]["results"] if r.get("seconds")]
    t_local = sum(r["seconds"] for r in graded) / max(1, len(graded))
    dask_graded = [r for r in remote["report"]["results"] if r.get("seconds")]
    t_remote = sum(r["seconds"] for r in dask_graded) / max(1, len(dask_graded))
    timings = cluster_timings(remote["report"]["results"])
    ratio = remote["seconds"] / local["seconds"]
    # the instructor's own part of a run (intake, release, report): all but the tasks' span
    fixed = max(0.0, remote["seconds"] - timings["makespan_seconds"])
    here = remote["report"].get("run", {}).get("seconds_per_row_here", 0.0)
    same = local["scores"] == remote["scores"]

    print(f"{'run':<40}{'seconds':>9}{'s/notebook':>12}{'grading s/nb':>14}")
    print(
        f"{f'local, --workers {args.workers}':<40}{local['seconds']:>9.1f}"
        f"{local['seconds'] / n:>12.2f}{t_local:>14.2f}"
    )
    label = f"Dask, {args.workers} workers × 1 thread"
    print(f"{label:<40}{remote['seconds']:>9.1f}{remote['seconds'] / n:>12.2f}{t_remote:>14.2f}")
    print(f"overhead ratio (Dask / local): {ratio:.3f} ({100 * (ratio - 1):+.1f} %; goal ≤ +10 %)")
    print("same scores and statuses" if same else "SCORES DIFFER")
    print(
        f"per-task overhead: {timings['per_task_overhead_seconds']:.2f} s "
        f"({timings['task_extra_seconds']:.2f} s on the worker beyond grading + "
        f"{timings['dispatch_gap_seconds']:.2f} s between a worker's tasks); "
        f"start-up of a Dask worker's grading processes: {timings['startup_seconds']:.1f} s "
        f"(once per run); this machine: {here * 1000:.0f} ms per row taken in; "
        f"instructor's fixed part (intake, release, report): {fixed:.1f} s; "
        f"Dask scheduler + {args.workers} workers started in {cluster_start:.1f} s (not counted)"
    )
    print(
        f"projection, {PROJECTION_STUDENTS:,} students × {PROJECTION_LESSONS} lessons "
        f"= {PROJECTION_STUDENTS * PROJECTION_LESSONS:,} notebooks, machines of "
        f"{MACHINE_CORES} cores ({MACHINE_CORES} single-threaded workers each):"
    )
    print(
        f"  model: minutes = (fixed + start-up + ceil(n / (2 N)) × (t + o)) / 60 with "
        f"t = {t_local:.2f} s (grading seconds per notebook, local run), "
        f"o = {timings['per_task_overhead_seconds']:.2f} s, start-up = "
        f"{timings['startup_seconds']:.1f} s, fixed = {fixed:.1f} s"
    )
    table: dict[str, dict[int, float]] = {"measured t": {}, "given t": {}}
    print(
        f"  {'N machines':>10}  {f't = {t_local:.1f} s (here)':>18}  {f't = {args.per_notebook:.1f} s':>14}"
    )
    for machines in (8, 32, 128):
        row = []
        for label, t in (("measured t", t_local), ("given t", args.per_notebook)):
            minutes = projection(
                t,
                timings["per_task_overhead_seconds"],
                timings["startup_seconds"],
                fixed,
                machines,
            )
            table[label][machines] = minutes
            row.append(minutes)
        print(f"  {machines:>10}  {row[0]:>14.1f} min  {row[1]:>10.1f} min")
    print(
        f"machine: {autograde.cores()} cores, {platform.platform()}, Python "
        f"{platform.python_version()}; load average during the runs {load:.1f} "
        f"(1-minute, sampled; {load_before[0]:.1f} before)"
    )
    result = {
        "notebooks": n,
        "lessons": lessons,
        "students": args.students,
        "workers": args.workers,
        "order": "dask first" if args.dask_first else "local first",
        "local_seconds": local["seconds"],
        "dask_seconds": remote["seconds"],
        "ratio": ratio,
        "same_scores": same,
        "grading_seconds_per_notebook": {"local": t_local, "dask": t_remote},
        "timings": timings,
        "fixed_seconds": fixed,
        "seconds_per_row_here": here,
        "cluster_start_seconds": cluster_start,
        "projection_minutes": table,
        "given_seconds_per_notebook": args.per_notebook,
        "load_average": load,
        "cores": autograde.cores(),
    }
    out = COURSE / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"cluster-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(result, indent=1, default=str)
    )
    return 0 if local["exit"] == remote["exit"] == 0 and same else 1


if __name__ == "__main__":
    sys.exit(main())
