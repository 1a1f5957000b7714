"""Grading a class that hands in broken and hostile notebooks.

One batch grades every case of :mod:`hostile.cases` (a tiny lesson, so that it takes about a
minute, not an hour) with two workers and short limits; each test then checks one case:
graded or reported as it must be, no other submission harmed, the batch finished. Smaller
tests cover the intake layouts and the repair without running kernels.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from hostile import cases as hostile
from hostile.course import make_course

from grading import autograde, intake, repair, synthetic
from grading.feedback import hidden_lines

COURSE_TIMEOUT = 90  # seconds per notebook in the batch (the Keras lesson needs the most)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The tiny course, released once (student versions and solutions side by side)."""
    root = make_course(tmp_path_factory.mktemp("course") / "course")
    master = root.parent / "master"
    assert autograde.release(root, master, ["00-tiny", "00-other", "00-keras"]) == {}
    (root / "lessons").mkdir()
    for lesson in ("00-tiny", "00-other", "00-keras"):
        (root / "lessons" / lesson).mkdir()
        (master / "lessons" / lesson / f"{lesson}.ipynb").rename(
            root / "lessons" / lesson / f"{lesson}.ipynb"
        )
    # a gradebook where the course keeps one, for the case that tries to write to it
    (root / ".nbgrader").mkdir()
    db = sqlite3.connect(root / ".nbgrader" / "gradebook.db")
    db.execute("create table grade (manual_score real)")
    db.execute("insert into grade values (1)")
    db.commit()
    db.close()
    return root


def release_of(course: Path, lesson: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "lessons" / lesson / f"{lesson}.ipynb", as_version=4)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def place(folder: Path, relative: str, data: bytes | hostile.Link) -> None:
    """Write one file of a case into a student's lesson ``folder`` (a link: a symbolic link;
    ``"."`` and ``".."`` are the lesson and the student folders themselves)."""
    path = {".": folder, "..": folder.parent}.get(relative, folder / relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, hostile.Link):
        path.symlink_to(data.target)
    else:
        path.write_bytes(data)


def grade_cases(course: Path, root: Path, names: list[str] | None, *options: str) -> tuple:
    """Grade the named cases (all: None) in one run: (cases, students, rows, out, run)."""
    submitted = root / "submitted"
    gradebook = course / ".nbgrader" / "gradebook.db"
    before = digest(gradebook)
    table = hostile.cases(
        gradebook=str(gradebook),
        submissions=str(submitted),
        solution=str(course / "solutions" / "00-tiny" / "00-tiny.ipynb"),
        other_release=release_of(course, "00-other"),
    )
    table = {name: case for name, case in table.items() if names is None or name in names}
    students = {}
    for number, (name, case) in enumerate(table.items()):
        student = f"s{number:02d}"
        students[student] = name
        folder = submitted / student / case.lesson
        for relative, data in case.build(release_of(course, case.lesson)).items():
            place(folder, relative, data)
    roster = root / "roster.csv"
    roster.write_text(
        "student_id,name\n" + "".join(f"{s},{n}\n" for s, n in students.items()) + "absent,Nobody\n"
    )
    lessons = sorted({case.lesson for case in table.values()})
    out = root / "out"
    args = [str(submitted), str(out), "--roster", str(roster), "--course", str(course)]
    # (options given later, such as another --timeout, override these)
    args += ["--workers", "2", "--timeout", str(COURSE_TIMEOUT), "--cell-timeout", "6"]
    args += ["--memory", "4096", "--output-mb", "4", "--lessons", *lessons, *options]
    result = subprocess.run(
        [sys.executable, "-m", "grading.autograde", *args],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with open(out / "grades.csv", newline="") as handle:
        rows = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(handle)}
    return (
        table,
        students,
        rows,
        out,
        {"stdout": result.stdout, "gradebook": before == digest(gradebook)},
    )


@pytest.fixture(scope="module")
def batch(course, tmp_path_factory):
    """Every hostile case, graded in one run at the default (strongest) sandbox level."""
    return grade_cases(course, tmp_path_factory.mktemp("batch"), None)


# The cases the process level (the fallback without user namespaces) must also get right.
# There the kernel runs as nobody when grading as root, and the tests run in the judge as
# everywhere; the process level has no network isolation (README), so no network case here.
PROCESS_CASES = [
    "solution",
    "code that writes to the gradebook",
    "code that reads another student's submission",
    "redefines numpy.allclose",
    "slow notebook (over a short notebook limit)",
    "walks the call stack from the answer to the test",
    "records every code the kernel runs, then crashes it to replay the tests",
    "zeroes the test's inputs in place",
]
PROCESS_TIMEOUT = 22  # seconds per notebook in the process-level batch: the slow case overruns


@pytest.fixture(scope="module")
def process_batch(course, tmp_path_factory):
    root = tmp_path_factory.mktemp("process")
    options = ("--sandbox", "process", "--timeout", str(PROCESS_TIMEOUT))
    return grade_cases(course, root, PROCESS_CASES, *options)


CASE_NAMES = list(
    hostile.cases("g", "s", "p", nbformat.v4.new_notebook()).keys()  # names only
)


def outputs_text(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") or "")
            parts.append(output.get("evalue", "") or "")
            parts += [str(v) for v in output.get("data", {}).values()]
    return "\n".join(parts)


def check_case(name: str, graded_batch: tuple) -> None:
    table, students, rows, out, _ = graded_batch
    case = table[name]
    student = next(s for s, n in students.items() if n == name)
    row = rows[(student, case.lesson)]
    assert row["status"] in case.status, f"{name}: {row}"
    if case.score is not None:
        assert row["score"] != "", f"{name}: no score: {row}"
        assert float(row["score"]) == case.score, f"{name}: {row}"
    for text in case.shows:
        assert text in row["detail"], f"{name}: {text!r} not in {row['detail']!r}"
    graded = out / "autograded" / student / case.lesson / f"{case.lesson}.ipynb"
    if case.hides:
        assert graded.exists(), f"{name}: no graded notebook"
        shown = outputs_text(graded)
        for text in case.hides:
            assert text not in shown, f"{name}: {text!r} appears in the graded notebook"


@pytest.mark.slow
@pytest.mark.parametrize("name", CASE_NAMES)
def test_hostile_case(name, batch):
    check_case(name, batch)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in PROCESS_CASES if not n.startswith("slow")])
def test_hostile_case_at_the_process_level(name, process_batch):
    check_case(name, process_batch)
    assert process_batch[4]["gradebook"], "a submission changed the course's gradebook"
    assert "sandbox: process" in process_batch[4]["stdout"]


@pytest.mark.slow
@pytest.mark.slow
def test_a_notebook_over_its_time_limit_keeps_what_it_graded(process_batch):
    table, students, rows, out, _ = process_batch
    student = next(s for s, n in students.items() if n.startswith("slow"))
    row = rows[(student, "00-tiny")]
    assert row["status"] == "timeout", row
    assert float(row["score"]) == 2, row  # ex1 ran before the slow cells, ex2 never did
    assert f"time limit ({PROCESS_TIMEOUT} s)" in row["detail"]


@pytest.mark.slow
def test_every_roster_student_has_a_row_and_a_status(batch):
    table, students, rows, out, _ = batch
    assert rows[("absent", "00-tiny")]["status"] == "missing"
    assert rows[("absent", "00-keras")]["status"] == "missing"
    for student in students:
        for lesson in ("00-tiny", "00-keras"):
            row = rows[(student, lesson)]
            assert row["status"] in (
                "graded",
                "repaired",
                "flagged",
                "timeout",
                "invalid",
                "missing",
            )
            assert row["status"] != "error", row
    assert len(rows) == 2 * (len(students) + 1)


@pytest.mark.slow
def test_the_course_gradebook_is_untouched(batch):
    assert batch[4]["gradebook"], "a submission changed the course's gradebook"


@pytest.mark.slow
def test_feedback_never_shows_hidden_tests(batch, course):
    table, students, rows, out, _ = batch
    solution = nbformat.read(course / "solutions" / "00-tiny" / "00-tiny.ipynb", as_version=4)
    secret = hidden_lines([c.source for c in solution.cells if c.cell_type == "code"])
    pages = list((out / "feedback").rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        text = html.unescape(page.read_text())
        assert "BEGIN HIDDEN TESTS" not in text
        assert not [line for line in secret if line in text], page
    failed = html.unescape((out / "feedback" / "s01" / "00-tiny" / "00-tiny.html").read_text())
    assert "add([1, 2], [3, 4])" in failed and "NotImplementedError" in failed


@pytest.mark.slow
def test_outputs_of_the_run(batch):
    table, students, rows, out, run = batch
    assert (out / "score_distribution.png").stat().st_size > 10_000
    report = json.loads((out / "report.json").read_text())
    assert report["run"]["workers"] == 2
    assert report["run"]["kernels"].startswith("warm"), "kernels fork from grading.zygote"
    with open(out / "exercises.csv", newline="") as handle:
        exercises = list(csv.DictReader(handle))
    solution = [r for r in exercises if r["student_id"] == "s00" and r["assignment"] == "00-tiny"]
    assert {r["exercise"]: float(r["score"]) for r in solution} == {"ex1-add": 2, "ex2-square": 3}
    summary = (out / "summary.txt").read_text()
    assert "Not graded or not finished" in summary
    flood = next(s for s, n in students.items() if n == "300,000 printed lines")
    nb = nbformat.read(out / "autograded" / flood / "00-tiny" / "00-tiny.ipynb", as_version=4)
    longest = max(
        len(o.get("text", "").splitlines()) for c in nb.cells for o in c.get("outputs", [])
    )
    assert longest <= 1001
    flood = next(s for s, n in students.items() if n == "prints 2 MiB lines in many cells")
    graded = out / "autograded" / flood / "00-tiny" / "00-tiny.ipynb"
    cells = nbformat.read(graded, as_version=4).cells
    size = sum(len(str(o)) for c in cells for o in c.get("outputs", []))
    assert 2 * 2**20 < size < 5 * 2**20, f"{size} bytes of output, over the 4 MiB cap"


# ------------------------------------------------------------------ without kernels


def test_intake_reads_a_flat_download_with_a_roster(tmp_path, course):
    release = release_of(course, "00-tiny")
    files = {
        "ada_12345_assignsubmission_file_00-tiny.ipynb": release,
        "bob-00_tiny.ipynb": release,
        "bob-00_tiny-1.ipynb": release,
        "cyd/notebook.ipynb": release,  # no lesson in the name: found by its cells
        "zed_00-tiny.ipynb": release,  # not on the roster
    }
    for name, nb in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(tmp_path / name))
    os.utime(tmp_path / "bob-00_tiny.ipynb", (1, 1))  # the older of bob's two
    releases = {"00-tiny": release, "00-other": release_of(course, "00-other")}
    found = intake.collect(
        tmp_path, ["00-other", "00-tiny"], ["ada", "bob", "cyd", "dan"], "auto", releases
    )
    assert found.layout == "flat"
    by_student = {s.student: s for s in found.submissions}
    assert by_student["ada"].path.name.startswith("ada_12345")
    assert by_student["bob"].path.name == "bob-00_tiny-1.ipynb"
    assert "2 files" in by_student["bob"].notes[0]
    assert by_student["cyd"].path.name == "notebook.ipynb"
    assert by_student["dan"].status == "missing"
    assert "zed" not in by_student and any("zed_00-tiny" in w for w in found.warnings)


def test_intake_reads_nbgrader_layout_and_course_folders(tmp_path):
    nb = nbformat.v4.new_notebook()
    for student in ("ada", "bob"):
        folder = tmp_path / "submitted" / student / "00-tiny"
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / ("00-tiny.ipynb" if student == "ada" else "x.ipynb")))
    (tmp_path / "submitted" / "ada" / "00-tiny" / "timestamp.txt").write_text("2024-01-01 10:00:00")
    found = intake.collect(tmp_path, ["00-tiny"], None)
    assert found.layout == "nbgrader"
    ada, bob = found.submissions
    assert ada.timestamp.startswith("2024") and not ada.notes
    assert bob.notes == ["graded the renamed notebook x.ipynb"]


def test_intake_rejects_a_folder_that_is_not_a_class(tmp_path):
    (tmp_path / "alice" / "homework").mkdir(parents=True)
    with pytest.raises(intake.IntakeError, match="homework"):
        intake.collect(tmp_path, ["00-tiny"], None)


def test_roster_formats(tmp_path):
    (tmp_path / "a.csv").write_text("Name;Email;student_id\nAda;a@x;ada\nBob;b@x;bob\n")
    (tmp_path / "b.txt").write_text("# class of 2025\nada\n\nbob\nada\n")
    assert intake.read_roster(tmp_path / "a.csv") == ["ada", "bob"]
    assert intake.read_roster(tmp_path / "b.txt") == ["ada", "bob"]


def test_repair_restores_the_lesson_skeleton(tmp_path, course):
    release = release_of(course, "00-tiny")
    nb = hostile.answered(release)
    hostile.strip_metadata(nb)
    del nb.cells[hostile.index_of(release, "ex2-tests")]  # index in the original
    nb.cells.insert(0, nbformat.v4.new_code_cell("x = 1  # above the set-up"))
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, str(path))
    fixed = repair.repair(path, "00-tiny", {"00-tiny": release})
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in fixed.nb.cells]
    assert [i for i in ids if i] == ["setup", "ex1-add", "ex1-tests", "ex2-square", "ex2-tests"]
    assert fixed.nb.cells[ids.index("setup") + 1].source.startswith("x = 1")
    assert fixed.nb.cells[ids.index("ex1-add")].source == hostile.RIGHT["ex1-add"]
    assert any("re-inserted the deleted test cell ex2-tests" in n for n in fixed.notes)
    nbformat.validate(fixed.nb)


def test_synthetic_submissions_work_for_any_course(course):
    nb = synthetic.make_submission("00-tiny", None, course)
    assert (
        "return np.asarray(a) + np.asarray(b)" in nb.cells[hostile.index_of(nb, "ex1-add")].source
    )


# ---------------------------------------------------------------------------------------------
# The sandbox, the batch, intake and the feedback, hardened (hostile.cases.hardening_attacks).
# Each case's own row is checked by test_hostile_case above; the tests below check what no
# single row shows: nothing of another student's or of the hidden tests in any output, no
# file of the grader's written, no process left, every page and graded notebook safe to open.

HARDENING = list(hostile.hardening_attacks("s", "p").keys())
# The attacks on the sandbox and the batch, at the process level too (with a student each
# one could harm: the solution, graded alongside).
PROCESS_HARDENING = [
    "solution",
    "blank",
    "kills every process of the batch it can see",
    "reads the grader's memory for the hidden tests",
    "writes the grader's logs, results, gradebooks and outputs",
    "forks without end",
    "uses the descriptors the grader left open",
    "leaves a process running after its notebook",
    "notebook is a link to another student's notebook",
    "answer reads a demonstration's variable through sys.modules",
]


@pytest.fixture(scope="module")
def process_hardened(course, tmp_path_factory):
    root = tmp_path_factory.mktemp("process-hardened")
    return grade_cases(course, root, PROCESS_HARDENING, "--sandbox", "process")


def student_of(graded_batch: tuple, name: str) -> str:
    return next(s for s, n in graded_batch[1].items() if n == name)


def student_outputs(out: Path, student: str) -> str:
    """Everything a student gets back: feedback pages, notices and the graded notebooks'
    outputs, as text."""
    parts = [
        html.unescape(p.read_text(errors="replace")) for p in out.glob(f"feedback/{student}/*/*")
    ]
    parts += [outputs_text(p) for p in out.glob(f"autograded/{student}/*/*.ipynb")]
    return "\n".join(parts)


def check_no_leak(graded_batch: tuple, course: Path) -> None:
    """No student's outputs show hidden test code or another student's notebook, and no
    submission wrote into the grader's outputs."""
    table, students, rows, out, _ = graded_batch
    solution = nbformat.read(course / "solutions" / "00-tiny" / "00-tiny.ipynb", as_version=4)
    secret = hidden_lines([c.source for c in solution.cells if c.cell_type == "code"])
    for student, name in students.items():
        shown = student_outputs(out, student)
        row_text = " ".join(r["detail"] for (s, _), r in rows.items() if s == student)
        assert "BEGIN HIDDEN TESTS" not in shown, name
        assert not [line for line in secret if line in shown + row_text], name
        if name != "solution":
            assert hostile.SECRET not in shown + row_text, f"{name} shows the solution student's"
        assert "root:x:0:0" not in shown + row_text, f"{name} shows a system file"
    writers = {  # the students whose own code holds the mark (their pages show their code)
        student
        for student in students
        for path in out.glob(f"autograded/{student}/*/*.ipynb")
        if any(hostile.MARK in cell.source for cell in nbformat.read(path, as_version=4).cells)
    }
    for path in out.rglob("*"):
        own = any(f"/{student}/" in str(path) for student in writers)
        if path.is_file() and not own and path.suffix in (".html", ".ipynb", ".csv", ".json"):
            assert hostile.MARK not in path.read_text(errors="replace"), path


def check_nothing_left(submissions: str) -> None:
    """No process of the batch (the submissions folder on its command line, or a process a
    submission left behind) is still running."""
    deadline = time.monotonic() + 15
    while True:
        left = [
            pid
            for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
            if submissions in command_line(pid)
        ]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not left, [command_line(pid) for pid in left]


def command_line(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in PROCESS_HARDENING if n not in ("solution", "blank")])
def test_hardening_case_at_the_process_level(name, process_hardened):
    check_case(name, process_hardened)
    check_case("solution", process_hardened)  # graded alongside, never harmed
    assert "sandbox: process" in process_hardened[4]["stdout"]


@pytest.mark.slow
@pytest.mark.parametrize("level", ["namespaces", "process"])
def test_no_hidden_test_other_students_data_or_grader_file_reached(
    level, batch, process_hardened, course
):
    check_no_leak(batch if level == "namespaces" else process_hardened, course)


@pytest.mark.slow
@pytest.mark.parametrize("level", ["namespaces", "process"])
def test_no_process_outlives_the_batch(level, batch, process_hardened):
    graded_batch = batch if level == "namespaces" else process_hardened
    submissions = str(graded_batch[3].parent / "submitted")
    check_nothing_left(submissions)  # the batch, its workers, and what kernels left behind


@pytest.mark.slow
def test_the_summary_says_who_the_kernels_run_as_and_what_caps_them(batch, process_hardened):
    from grading import sandbox

    for graded_batch in (batch, process_hardened):
        summary = (graded_batch[3] / "summary.txt").read_text()
        root_kernels = os.getuid() == 0 and not sandbox.nobody_can_run_python()
        assert ("kernels run as root" in summary) == root_kernels, summary
        assert "processes and threads per kernel" in summary or "no process cap" in summary


@pytest.mark.slow
def test_feedback_pages_and_graded_notebooks_are_safe_to_open(batch):
    from hostile.safety import unsafe_html, unsafe_notebook

    table, students, rows, out, _ = batch
    pages = list((out / "feedback").rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        assert not unsafe_html(page.read_text()), (page, unsafe_html(page.read_text())[:5])
    for path in (out / "autograded").rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert not unsafe_notebook(nb), (path, unsafe_notebook(nb)[:5])
    for name, shown in (
        ("scripts in a Markdown cell, its attachments and the notebook's widget state", "a link"),
        ("scripts in HTML, SVG, Markdown, JavaScript, image and LaTeX outputs", "kept-html"),
    ):
        student = student_of(batch, name)
        page = (out / "feedback" / student / "00-tiny" / "00-tiny.html").read_text()
        assert shown in page, "the cell is shown, made harmless, not silently dropped"


@pytest.mark.slow
def test_a_feedback_page_has_a_size_cap(batch):
    from grading.feedback import FEEDBACK_MAX_BYTES, SOURCES_MAX_CHARS

    out = batch[3]
    for name in (
        "outputs that would make a feedback page of 16 MB",
        "a renamed notebook of 15 MB and 3,000 cells",
    ):
        page = out / "feedback" / student_of(batch, name) / "00-tiny" / "00-tiny.html"
        size = page.stat().st_size
        assert size < FEEDBACK_MAX_BYTES + 2 * SOURCES_MAX_CHARS + 2**20, (name, size)
        assert "This feedback page was shortened" in page.read_text(), name


@pytest.mark.slow
def test_a_fake_lesson_folder_creates_no_lesson(batch):
    rows = batch[2]
    assert {lesson for _, lesson in rows} == {"00-tiny", "00-keras"}


def notebook_file(path: Path, nb: nbformat.NotebookNode) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


@pytest.mark.slow
@pytest.mark.parametrize(
    "level, how", [("namespaces", "kill"), ("process", "kill"), ("process", "interrupt")]
)
def test_killing_or_interrupting_the_batch_leaves_no_process(course, tmp_path, level, how):
    """``make grade`` killed (SIGKILL) or interrupted (Ctrl-C: SIGINT to its process group)
    while kernels run, each with a process it detached: nothing of the batch survives."""
    submitted = tmp_path / "submitted"
    tag = hostile.daemon_tag(str(submitted))
    release = release_of(course, "00-tiny")
    for student in ("s00", "s01", "s02"):
        nb = hostile.after(
            hostile.answered(release),
            "ex1-add",
            hostile.DAEMON.format(tag=tag),
            "import time\n\ntime.sleep(300)",
        )
        notebook_file(submitted / student / "00-tiny" / "00-tiny.ipynb", nb)
    args = [str(submitted), str(tmp_path / "out"), "--course", str(course), "--workers", "2"]
    args += ["--timeout", "600", "--cell-timeout", "400", "--lessons", "00-tiny"]
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"))  # the work folder: in tmp_path too
    (tmp_path / "tmp").mkdir()
    with open(tmp_path / "batch.log", "wb") as log:
        batch = subprocess.Popen(
            [sys.executable, "-m", "grading.autograde", *args, "--sandbox", level],
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,  # a terminal's foreground group of its own
        )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and batch.poll() is None:
            detached = [
                p
                for p in map(int, filter(str.isdigit, os.listdir("/proc")))
                if tag in command_line(p)
            ]
            if len(detached) >= 2:  # two kernels are running, each has detached one
                break
            time.sleep(0.5)
        assert batch.poll() is None, (tmp_path / "batch.log").read_text()[-2000:]
        if how == "kill":
            batch.send_signal(signal.SIGKILL)
        else:
            os.killpg(batch.pid, signal.SIGINT)
        batch.wait(timeout=120)
    finally:
        if batch.poll() is None:
            batch.kill()
    check_nothing_left(str(tmp_path))  # the batch, workers, kernels, servers, what they left


@pytest.mark.slow
def test_a_flat_download_grades_each_file_for_the_student_its_lms_named(course, tmp_path):
    """Eve's upload carries Ada's id in its own name; a Moodle file could be Ada's or the
    student whose id is 4242: Ada's grade is her own notebook's, Eve's is Eve's, and the
    ambiguous file is graded for no one and flagged on both rows."""
    release = release_of(course, "00-tiny")
    download = tmp_path / "download"
    notebook_file(download / "ada_111_901_00-tiny.ipynb", hostile.answered(release))
    wrong = hostile.answered(release, hostile.WRONG)
    notebook_file(download / "eve_222_902_ada_111_00-tiny.ipynb", wrong)
    notebook_file(download / "ada_4242_assignsubmission_file_00-tiny.ipynb", wrong)
    (tmp_path / "roster.csv").write_text("student_id\nada\neve\n4242\n")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "grading.autograde", str(download), str(out)]
        + ["--roster", str(tmp_path / "roster.csv"), "--course", str(course)]
        + ["--layout", "flat", "--lessons", "00-tiny", "--workers", "2", "--timeout", "120"],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with open(out / "grades.csv", newline="") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    assert (rows["ada"]["status"], rows["ada"]["score"]) == ("flagged", "5"), rows["ada"]
    assert (rows["eve"]["status"], rows["eve"]["score"]) == ("graded", "0"), rows["eve"]
    assert (rows["4242"]["status"], rows["4242"]["score"]) == ("flagged", ""), rows["4242"]
    assert "could be 4242 or ada's" in rows["ada"]["detail"] + rows["4242"]["detail"]


@pytest.mark.slow
@pytest.mark.parametrize("level", ["namespaces", "process"])
def test_a_deep_temporary_folder_still_grades(course, tmp_path, level):
    """A Unix socket's path holds at most 107 bytes; kernels' sockets live in their folders,
    under TMPDIR. With a TMPDIR deep enough to pass that limit the kernel and the judge still
    talk, and the right answers get full marks."""
    deep = tmp_path / ("a-deep-temporary-folder-" * 3) / "tmp"
    deep.mkdir(parents=True)
    assert len(str(deep)) > 107 - len("/cnn-grade-xxxxxxxx/kernels/") - 24
    submitted = tmp_path / "submitted"
    notebook_file(
        submitted / "ada" / "00-tiny" / "00-tiny.ipynb",
        hostile.answered(release_of(course, "00-tiny")),
    )
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "grading.autograde", str(submitted), str(out)]
        + ["--course", str(course), "--lessons", "00-tiny", "--sandbox", level],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, TMPDIR=str(deep)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with open(out / "grades.csv", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert (row["status"], row["score"]) == ("graded", "5"), row
