"""`make return-feedback` (grading.handback): make grade's feedback staged for nbgrader's
release_feedback, beside the files nbgrader's collect kept; and intake treats those files
as nbgrader's own, not as something a student uploaded."""

from __future__ import annotations

from pathlib import Path

import nbformat

from grading import handback, intake, synthetic

LESSON = synthetic.lessons()[0]


def collected(course: Path, student: str, secret: bool = True) -> Path:
    """submitted/<student>/<lesson>/ as nbgrader collect leaves it."""
    folder = course / "submitted" / student / LESSON
    folder.mkdir(parents=True)
    nbformat.write(synthetic.make_submission(LESSON), str(folder / f"{LESSON}.ipynb"))
    (folder / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    if secret:
        (folder / "submission_secret.txt").write_text(f"secret-of-{student}")
    return folder


def graded(out: Path, student: str) -> Path:
    page = out / "feedback" / student / LESSON / f"{LESSON}.html"
    page.parent.mkdir(parents=True)
    page.write_text(f"<html>feedback for {student}</html>")
    return page


def test_feedback_is_staged_with_its_submissions_secret_and_timestamp(tmp_path: Path) -> None:
    course, out = tmp_path / "course", tmp_path / "grades"
    collected(course, "ada")
    collected(course, "bob", secret=False)  # an LMS upload: no exchange secret
    for student in ("ada", "bob"):
        graded(out, student)
    done = handback.stage(out, course)
    assert done.staged == {LESSON: ["ada"]}
    assert done.skipped == [f"bob/{LESSON}: not collected through nbgrader's exchange"]
    staged = course / "feedback" / "ada" / LESSON
    assert (staged / f"{LESSON}.html").read_text() == "<html>feedback for ada</html>"
    assert (staged / "submission_secret.txt").read_text() == "secret-of-ada"
    assert (staged / "timestamp.txt").read_text().startswith("2026-12-01")
    assert not (course / "feedback" / "bob").exists()


def test_only_the_lessons_asked_for_are_staged(tmp_path: Path) -> None:
    course, out = tmp_path / "course", tmp_path / "grades"
    collected(course, "ada")
    graded(out, "ada")
    assert handback.stage(out, course, lessons=["99-other"]).staged == {}


def test_without_make_grades_feedback_it_says_what_to_run(tmp_path: Path, capsys) -> None:
    assert handback.main([str(tmp_path / "nothing")]) == 1
    assert "run make grade" in capsys.readouterr().err


def test_nbgraders_own_files_beside_a_submission_are_not_reported_as_strays(tmp_path) -> None:
    folder = collected(tmp_path, "ada")
    (folder / "numpy.py").write_text("print('a shadowing module')\n")
    submission = intake.pick_notebook("ada", LESSON, folder)
    assert submission.path == folder / f"{LESSON}.ipynb"
    assert submission.timestamp.startswith("2026-12-01")
    strays = [note for note in submission.notes if "ignored" in note]
    assert strays == ["ignored 1 other file(s): numpy.py"], submission.notes
