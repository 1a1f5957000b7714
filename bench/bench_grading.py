"""Benchmark: grading a synthetic class with N workers vs plain sequential nbgrader.

    python bench/bench_grading.py                      # 3 students × every lesson, cores workers
    python bench/bench_grading.py --students 6 --workers 2 --lessons 01-convolution
    python bench/bench_grading.py --skip-baseline      # only `make grade`'s pipeline
    python bench/bench_grading.py --grader-ref 4310f1c  # also an earlier grader, same class

The class: for each lesson that has a solution notebook, students who hand in the solution,
the untouched notebook, and the first half of the exercises, in turn. The same submissions
are graded twice, in the same run:

* **baseline**: plain nbgrader, one lesson after the other (``nbgrader autograde LESSON``,
  then ``generate_feedback``), as an instructor would without this course's tooling;
* **ours**: ``python -m grading.autograde`` (what ``make grade`` runs) with ``--workers N``:
  repair, sandbox, judge, feedback, report.

With ``--grader-ref REF`` the same class is also graded by the ``grading`` package as it was
at git revision REF (same lessons, same helpers), to compare a change of the grader before
and after in one run. It prints wall seconds, the ratio, seconds per notebook, the peak memory of each run (the
sum of every process's RSS, sampled: pages that warm kernels share with their server count
once per kernel, so ours is overstated), whether both gave the same scores, and extrapolates
to 100 students × 5 lessons (``--students 100 --skip-baseline`` measures it instead). Results also go to ``bench/results/grading-<time>.json``.
Nothing here is a test: a busy machine changes the numbers, not the verdict.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

COURSE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(COURSE))

from grading import autograde, synthetic  # noqa: E402


class PeakMemory:
    """Samples the total RSS of a process and all its descendants."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.running = pid, 0, True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            try:
                root = psutil.Process(self.pid)
                total = 0
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
                LOAD.append(os.getloadavg()[0])
            except psutil.Error:
                pass
            time.sleep(0.5)

    def stop(self) -> float:
        self.running = False
        self.thread.join()
        return self.peak / 2**20


CPU = {"seconds": 0.0}  # CPU time (user + system) of every finished child, summed by run()
LOAD: list[float] = []  # the machine's 1-minute load average, sampled during the runs


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds, peak MiB of the whole process tree, exit status); adds the CPU time of the
    command and everything it waited for to ``CPU``."""
    start = time.perf_counter()
    cpu = cpu_of_children()
    process = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    memory = PeakMemory(process.pid)
    output, _ = process.communicate()
    peak = memory.stop()
    if process.returncode != 0:
        print(output[-3000:], file=sys.stderr)
    CPU["seconds"] += cpu_of_children() - cpu
    return time.perf_counter() - start, peak, process.returncode


def make_course(root: Path, lessons: list[str]) -> tuple[Path, list[str]]:
    """A copy of the course with its lessons released; returns it and the released lessons."""
    course = root / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy2(COURSE / "nbgrader_config.py", course / "nbgrader_config.py")
    for lesson in lessons:
        shutil.copytree(COURSE / "solutions" / lesson, course / "solutions" / lesson)
    broken = autograde.release(course, root / "master", lessons)
    for lesson, why in broken.items():
        print(f"skipping {lesson}: it does not release ({why[:200]})", file=sys.stderr)
    released = [lesson for lesson in lessons if lesson not in broken]
    for lesson in released:
        (course / "lessons" / lesson).mkdir(parents=True)
        shutil.copy2(
            root / "master" / "lessons" / lesson / f"{lesson}.ipynb", course / "lessons" / lesson
        )
    return course, released


def make_class(course: Path, folder: Path, lessons: list[str], students: int) -> dict:
    """Solution / blank / first-half students in turn, for every lesson."""
    plan: dict[str, dict] = {}
    for n in range(students):
        name = f"student{n:03d}"
        plan[name] = {}
        for lesson in lessons:
            answers = list(
                synthetic.exercises(nbformat_read(synthetic.notebook_path(lesson, course=course)))
            )
            plan[name][lesson] = [None, set(), answers[: len(answers) // 2]][n % 3]
    synthetic.write_class(folder, plan, course)
    return plan


def nbformat_read(path: Path):
    import nbformat

    return nbformat.read(path, as_version=4)


def baseline(course: Path, submissions: Path, lessons: list[str], env: dict[str, str]) -> dict:
    """Plain sequential nbgrader on a copy of the course: autograde, feedback, export."""
    work = course.parent / "baseline"
    shutil.copytree(course, work)
    shutil.copytree(submissions, work / "submitted")
    env = dict(env, COURSE_GRADEBOOK=f"sqlite:///{work / 'gradebook.db'}")
    nbgrader = [sys.executable, "-m", "nbgrader"]
    for lesson in lessons:  # not timed: the gradebook must know the lessons first
        run([*nbgrader, "generate_assignment", lesson, "--force"], work, env)
    seconds, peak = 0.0, 0.0
    autograde_only = 0.0
    CPU["seconds"] = 0.0
    for lesson in lessons:
        s, p, _ = run([*nbgrader, "autograde", lesson, "--create", "--force"], work, env)
        autograde_only += s
        seconds, peak = seconds + s, max(peak, p)
        s, p, _ = run([*nbgrader, "generate_feedback", lesson, "--force"], work, env)
        seconds, peak = seconds + s, max(peak, p)
    cpu = CPU["seconds"]
    run([*nbgrader, "export", "--to", str(work / "grades.csv")], work, env)
    with open(work / "grades.csv", newline="") as handle:
        scores = {
            (r["student_id"], r["assignment"]): float(r["score"]) for r in csv.DictReader(handle)
        }
    return {
        "seconds": seconds,
        "autograde_seconds": autograde_only,
        "cpu_seconds": cpu,
        "peak_mib": peak,
        "scores": scores,
    }


def grader_at(ref: str, root: Path) -> Path:
    """A folder holding the ``grading`` package as it was at git revision ``ref``."""
    target = root / f"grader-{ref}"
    target.mkdir()
    archive = subprocess.run(
        ["git", "archive", ref, "grading"], cwd=COURSE, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def ours(
    course: Path,
    submissions: Path,
    out: Path,
    workers: int,
    env: dict[str, str],
    grader: Path = COURSE,
) -> dict:
    """``make grade``'s pipeline (the ``grading`` package in ``grader``) on the class."""
    cmd = [sys.executable, "-m", "grading.autograde", str(submissions), str(out)]
    cmd += ["--course", str(course), "--workers", str(workers), "--quiet"]
    CPU["seconds"] = 0.0
    seconds, peak, code = run(cmd, grader, env)
    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    report = json.loads((out / "report.json").read_text())
    per_lesson: dict[str, list[float]] = {}
    for r in report["results"]:
        per_lesson.setdefault(r["lesson"], []).append(r.get("seconds") or 0)
    return {
        "seconds": seconds,
        "cpu_seconds": CPU["seconds"],
        "peak_mib": peak,
        "exit": code,
        "statuses": sorted({r["status"] for r in rows}),
        "scores": {(r["student_id"], r["assignment"]): float(r["score"] or "nan") for r in rows},
        "worker_seconds": {k: sum(v) / len(v) for k, v in per_lesson.items()},
        "kernel_peak_mib": max((r.get("kernel_peak_mb") or 0) for r in report["results"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", default=synthetic.lessons())
    parser.add_argument("--students", type=int, default=3)
    parser.add_argument("--workers", type=int, default=autograde.cores())
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--grader-ref", help="also grade with the grading package of this git revision"
    )
    args = parser.parse_args(argv)

    env = autograde.tool_env()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        root = Path(tmp)
        course, lessons = make_course(root, args.lessons)
        submissions = root / "submitted"
        make_class(course, submissions, lessons, args.students)
        notebooks = args.students * len(lessons)
        print(
            f"{notebooks} notebooks: {args.students} students × {lessons}; {autograde.cores()} cores"
        )
        base = None if args.skip_baseline else baseline(course, submissions, lessons, env)
        earlier = None
        if args.grader_ref:
            grader = grader_at(args.grader_ref, root)
            earlier = ours(course, submissions, root / "out-ref", args.workers, env, grader)
        mine = ours(course, submissions, root / "out", args.workers, env)

    rows = []
    if base:
        rows.append(
            (
                "nbgrader, sequential (+feedback)",
                base["seconds"],
                base["cpu_seconds"],
                base["peak_mib"],
            )
        )
        rows.append(("nbgrader autograde only", base["autograde_seconds"], None, None))
    if earlier:
        rows.append(
            (
                f"make grade @{args.grader_ref}, {args.workers} workers",
                earlier["seconds"],
                earlier["cpu_seconds"],
                earlier["peak_mib"],
            )
        )
    rows.append(
        (
            f"make grade, {args.workers} workers",
            mine["seconds"],
            mine["cpu_seconds"],
            mine["peak_mib"],
        )
    )
    print(f"{'run':<34}{'seconds':>9}{'s/notebook':>12}{'CPU s':>8}{'peak MiB':>10}")
    for label, seconds, cpu, peak in rows:
        cpu_text = "" if cpu is None else f"{cpu:.0f}"
        peak_text = "" if peak is None else f"{peak:.0f}"
        print(f"{label:<34}{seconds:>9.0f}{seconds / notebooks:>12.1f}{cpu_text:>8}{peak_text:>10}")
    load = sum(LOAD) / len(LOAD) if LOAD else float("nan")
    print(f"machine load average during the runs: {load:.1f} on {autograde.cores()} cores")
    result = {
        "notebooks": notebooks,
        "lessons": lessons,
        "students": args.students,
        "workers": args.workers,
        "load_average": load,
        "ours": {k: v for k, v in mine.items() if k != "scores"},
    }
    if base:
        ratio = base["seconds"] / mine["seconds"]
        print(
            f"speed-up vs nbgrader + feedback: {ratio:.2f}×; "
            f"vs autograde alone: {base['autograde_seconds'] / mine['seconds']:.2f}×; "
            f"CPU time ours / nbgrader: {mine['cpu_seconds'] / base['cpu_seconds']:.2f}"
        )
        differ = {
            k: (base["scores"].get(k), v)
            for k, v in mine["scores"].items()
            if base["scores"].get(k) != v
        }
        print(
            "same scores as nbgrader"
            if not differ
            else f"scores that differ (nbgrader, ours): {differ}"
        )
        result.update(
            baseline={k: v for k, v in base.items() if k != "scores"},
            ratio=ratio,
            differ=str(differ),
        )
    if earlier:
        differ = {
            k: (earlier["scores"].get(k), v)
            for k, v in mine["scores"].items()
            if earlier["scores"].get(k) != v
        }
        print(
            f"this grader / the one @{args.grader_ref}: "
            f"{mine['seconds'] / earlier['seconds']:.2f}× the time; "
            + ("same scores" if not differ else f"scores that differ (then, now): {differ}")
        )
        result["grader_ref"] = {k: v for k, v in earlier.items() if k != "scores"}
    per_class = mine["seconds"] * 500 / notebooks / 60
    cpu_bound = mine["cpu_seconds"] * 500 / notebooks / autograde.cores() / 60
    print(
        f"100 students × 5 lessons: {per_class:.0f} minutes at this run's rate; "
        f"{cpu_bound:.0f} minutes if its CPU time had all {autograde.cores()} cores to itself "
        "(mean worker seconds per lesson: "
        + ", ".join(f"{k} {v:.0f}" for k, v in mine["worker_seconds"].items())
        + ")"
    )
    result["extrapolated_minutes_100x5"] = per_class
    result["cpu_bound_minutes_100x5"] = cpu_bound
    out = COURSE / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"grading-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(result, indent=1, default=str)
    )
    return 0 if mine["exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
