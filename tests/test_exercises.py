"""Every exercise's tests pass on the solution, fail on the blank, and fail on plausible wrong answers.

One kernel per lesson runs the whole solution notebook, then, for each exercise, puts a
wrong answer (from ``tests/wrong_answers/<lesson>.py``) or the blank student stub in place
of the answer cell and runs that exercise's test cells twice: in the kernel, as a student's
notebook and plain ``nbgrader autograde`` run them, and in the judge, as ``make grade`` runs
them (:mod:`grading.judge`: in this process, the kernel reached only through data). Both must
fail. Finally it restores the solution and requires the tests to pass again both ways, with
nothing on stderr.
"""

import importlib.util
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel

from grading import synthetic
from grading.judge import Judge, setup_namespace
from grading.run import is_setup

LESSONS = synthetic.lessons()
WRONG = Path(__file__).parent / "wrong_answers"


def wrong_answers(lesson):
    spec = importlib.util.spec_from_file_location(f"wrong_{lesson}", WRONG / f"{lesson}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.WRONG_ANSWERS


class Kernel:
    """A Python kernel that runs cells and reports (ok, error text, stderr text)."""

    def __init__(self, cwd):
        self.manager, self.client = start_new_kernel(kernel_name="python3", cwd=str(cwd))

    def run(self, code, timeout=600):
        errors, stderr = [], []

        def hook(msg):
            kind, content = msg["msg_type"], msg["content"]
            if kind == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "stream" and content["name"] == "stderr":
                stderr.append(content["text"])

        reply = self.client.execute_interactive(code, timeout=timeout, output_hook=hook)
        ok = reply["content"]["status"] == "ok"
        return ok, "\n".join(errors), "".join(stderr)

    def judge(self, setup, wire_dir):
        """A judge that runs test cells in this process against this kernel."""
        wire_dir.mkdir(exist_ok=True)
        connection = self.manager.get_connection_info(session=False)
        self.judged = Judge(connection, wire_dir, setup, alive=self.manager.is_alive)
        return self.judged

    def judge_run(self, test):
        """(ok, error text) of a test cell run by the judge."""
        _, error = self.judged.run(test, 600)
        return error is None, "" if error is None else f"{type(error).__name__}: {error}"

    def close(self):
        if getattr(self, "judged", None) is not None:
            self.judged.close()
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernels():
    started = {}
    yield started
    for kernel in started.values():
        kernel.close()


def solved_kernel(kernels, lesson, wire_dir):
    """A kernel that has run the whole solution notebook of ``lesson``, with its judge."""
    if lesson not in kernels:
        path = synthetic.notebook_path(lesson)
        kernel = Kernel(path.parent)
        cells = nbformat.read(path, as_version=4).cells
        for i, cell in enumerate(cells):
            if cell.cell_type == "code":
                ok, error, _ = kernel.run(cell.source)
                assert ok, f"{lesson} solution cell {i} failed: {error}"
        kernel.judge(setup_namespace([c.source for c in cells if is_setup(c)]), wire_dir)
        kernels[lesson] = kernel
    return kernels[lesson]


def cases():
    for lesson in LESSONS:
        nb = nbformat.read(synthetic.notebook_path(lesson), as_version=4)
        for answer in synthetic.exercises(nb):
            yield pytest.param(lesson, answer, id=f"{lesson}:{answer}")


@pytest.mark.slow
@pytest.mark.parametrize(("lesson", "answer"), list(cases()))
def test_exercise_rejects_blank_and_wrong_answers(kernels, lesson, answer, tmp_path_factory):
    solution = nbformat.read(synthetic.notebook_path(lesson), as_version=4)
    student = nbformat.read(synthetic.notebook_path(lesson, "lessons"), as_version=4)
    tests = [cell.source for cell in synthetic.exercises(solution)[answer]]
    right = next(
        c.source for c in solution.cells if synthetic.nbgrader_meta(c).get("grade_id") == answer
    )
    blank = next(
        c.source for c in student.cells if synthetic.nbgrader_meta(c).get("grade_id") == answer
    )
    wrong = wrong_answers(lesson).get(answer, [])
    assert len(wrong) >= 2, f"{lesson}: list at least two plausible wrong answers for {answer}"

    kernel = solved_kernel(kernels, lesson, tmp_path_factory.mktemp(f"wire-{lesson}"))
    for description, code in [("the blank student stub", blank), *wrong]:
        kernel.run(code)  # a wrong answer may itself raise: that is allowed
        failures = [not kernel.run(test)[0] for test in tests]
        assert any(failures), f"{lesson}:{answer}: the tests accept a wrong answer ({description})"
        judged = [not kernel.judge_run(test)[0] for test in tests]
        assert any(judged), f"{lesson}:{answer}: the judge accepts a wrong answer ({description})"
        kernel.run(right)
        for test in tests:
            ok, error, stderr = kernel.run(test)
            assert ok, f"{lesson}:{answer}: tests fail on the restored solution: {error}"
            assert not stderr, (
                f"{lesson}:{answer}: a test cell writes to stderr (nbgrader scores 0): {stderr}"
            )
            ok, error = kernel.judge_run(test)
            assert ok, f"{lesson}:{answer}: the judge fails the restored solution: {error}"
