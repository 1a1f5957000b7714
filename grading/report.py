"""What a grading run leaves behind: CSV files, a summary, a plot, the full report.

* ``grades.csv``: one row per student × lesson: ``student_id, assignment, status, score,
  max_score, detail``. ``status`` is ``graded``, ``repaired`` (graded after the notebook was
  repaired), ``flagged`` (graded; something for a human to look at), ``timeout`` (graded as
  far as it ran), ``invalid`` (not a gradable notebook: score 0), ``missing`` (nothing
  submitted: score 0) or ``error`` (the grader failed: no score). A failure is never a silent
  0: ``detail`` says what happened.
* ``exercises.csv``: one row per student × lesson × exercise.
* ``score_distribution.png``: per lesson and exercise, how many students got full, partial
  or no marks, and the spread of the lesson's totals.
* ``report.json``: everything, including every repair and finding.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

STATUSES = ("graded", "repaired", "flagged", "timeout", "invalid", "missing", "error")
GRADED = ("graded", "repaired", "flagged", "timeout")  # a notebook ran and has a score


def new_result(
    job: dict[str, Any], status: str = "graded", problem: str | None = None
) -> dict[str, Any]:
    """The result of grading ``job`` before anything is known: no score, no exercises; the
    notes intake made about the submission are carried over."""
    return {
        "student": job["student"],
        "lesson": job["lesson"],
        "status": status,
        "score": None,
        "max_score": job["max_score"],
        "exercises": {},
        "repairs": list(job.get("intake_notes", [])),
        "flags": [],
        "notes": list(job.get("intake_info", [])),
        "problem": problem,
    }


def detail(result: dict[str, Any]) -> str:
    """One line for the CSV: the problem, repairs, findings and notes."""
    parts = []
    if result.get("problem"):
        parts.append(result["problem"])
    parts += result.get("repairs", []) + result.get("flags", []) + result.get("notes", [])
    return "; ".join(parts)


def write_csv(results: list[dict[str, Any]], out: Path) -> Path:
    """``grades.csv`` and ``exercises.csv``; returns the path of the first."""
    path = out / "grades.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "assignment", "status", "score", "max_score", "detail"])
        for r in results:
            score = "" if r.get("score") is None else f"{float(r['score']):g}"
            most = "" if r.get("max_score") is None else f"{float(r['max_score']):g}"
            writer.writerow([r["student"], r["lesson"], r["status"], score, most, detail(r)])
    with open(out / "exercises.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "assignment", "exercise", "score", "max_score"])
        for r in results:
            for exercise, (score, most) in r.get("exercises", {}).items():
                writer.writerow([r["student"], r["lesson"], exercise, f"{score:g}", f"{most:g}"])
    return path


def write_notices(results: list[dict[str, Any]], out: Path) -> None:
    """A one-page feedback for each notebook that could not be graded (``invalid``), so the
    student learns why rather than only a 0."""
    import html

    for r in results:
        if r["status"] != "invalid":
            continue
        page = out / "feedback" / r["student"] / r["lesson"] / f"{r['lesson']}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
            f"{html.escape(r['lesson'])}</title></head><body><h1>{html.escape(r['lesson'])}</h1>"
            f"<p>Your notebook could not be graded: {html.escape(r.get('problem') or '')}.</p>"
            "<p>Hand in the lesson's notebook (a <code>.ipynb</code> file saved from Jupyter) "
            "and ask your instructor to grade it again.</p></body></html>\n"
        )


def write_report(results: list[dict[str, Any]], out: Path, run: dict[str, Any]) -> None:
    """``report.json``: the run's settings and every result."""
    (out / "report.json").write_text(
        json.dumps({"run": run, "results": results}, indent=1, default=str)
    )


def summary(results: list[dict[str, Any]], run: dict[str, Any]) -> str:
    """The text printed at the end of a run (and saved as ``summary.txt``)."""
    counts = Counter(r["status"] for r in results)
    students = len({r["student"] for r in results})
    lessons = sorted({r["lesson"] for r in results})
    minutes, seconds = divmod(int(run["seconds"]), 60)
    lines = [
        f"Graded {len(results)} submission(s) ({students} student(s) × {len(lessons)} lesson(s)) "
        f"in {minutes}:{seconds:02d} with {run['workers']} worker(s); sandbox: {run['sandbox']}; "
        f"kernels: {run.get('kernels', 'cold')}",
        "  " + " · ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES),
    ]
    lines += [f"  {line}" for line in run.get("isolation", [])]
    sections = (
        ("Repaired before grading", ("repaired",), lambda r: r["repairs"]),
        ("Flagged for review", ("flagged",), lambda r: r["flags"] + r["repairs"]),
        ("Not graded or not finished", ("timeout", "invalid", "missing", "error"), None),
    )
    for title, statuses, items in sections:
        chosen = [r for r in results if r["status"] in statuses]
        if not chosen:
            continue
        lines.append(f"{title}:")
        for r in chosen[:40]:
            what = "; ".join(items(r)) if items else f"{r['status']}: {r.get('problem') or ''}"
            lines.append(f"  {r['student']} {r['lesson']}: {what[:300]}")
        if len(chosen) > 40:
            lines.append(f"  ... and {len(chosen) - 40} more (see grades.csv)")
    for lesson in lessons:
        scored = [r for r in results if r["lesson"] == lesson and r.get("score") is not None]
        if scored:
            mean = sum(float(r["score"]) for r in scored) / len(scored)
            most = scored[0].get("max_score") or 0
            lines.append(f"{lesson}: mean {mean:.1f} / {most:g} over {len(scored)} submission(s)")
    return "\n".join(lines)


def plot(results: list[dict[str, Any]], path: Path) -> Path | None:
    """``score_distribution.png``: per lesson, each exercise's full/partial/zero/no-result
    counts, and a histogram of the lesson's total scores."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lessons = sorted({r["lesson"] for r in results})
    if not lessons:
        return None
    fig, axes = plt.subplots(
        len(lessons),
        2,
        figsize=(12, 2.2 + 1.6 * len(lessons)),
        squeeze=False,
        gridspec_kw={"width_ratios": [3, 2]},
    )
    colours = {"full": "#2e7d32", "partial": "#f9a825", "zero": "#c62828", "no result": "#9e9e9e"}
    for row, lesson in enumerate(lessons):
        mine = [r for r in results if r["lesson"] == lesson]
        names = list(next((r["exercises"] for r in mine if r.get("exercises")), {}))
        tallies = {k: [0] * len(names) for k in colours}
        for r in mine:
            for i, name in enumerate(names):
                score, most = r.get("exercises", {}).get(name, (None, None))
                if score is None or r["status"] in ("error",):
                    tallies["no result"][i] += 1
                elif score >= most > 0:
                    tallies["full"][i] += 1
                elif score > 0:
                    tallies["partial"][i] += 1
                else:
                    tallies["zero"][i] += 1
        ax = axes[row][0]
        left = [0] * len(names)
        for label, colour in colours.items():
            ax.barh(names, tallies[label], left=left, color=colour, label=label)
            left = [a + b for a, b in zip(left, tallies[label], strict=True)]
        ax.invert_yaxis()
        ax.set_title(f"{lesson}: students per exercise", fontsize=10)
        ax.set_xlabel("students")
        if row == 0:
            ax.legend(loc="lower right", fontsize=8, ncols=4)
        totals = [
            100 * float(r["score"]) / float(r["max_score"])
            for r in mine
            if r["status"] in GRADED and r.get("score") is not None and r.get("max_score")
        ]
        ax = axes[row][1]
        ax.hist(totals, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001], color="#1565c0")
        ax.set_title(f"{lesson}: total score (%) of {len(totals)} graded", fontsize=10)
        ax.set_xlabel("% of the lesson's points")
        ax.set_ylabel("students")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
