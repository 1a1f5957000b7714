"""nbgrader settings for the course: solutions/ is the source, lessons/ the release.

Used by `make release` and `make grade` (see grading/). Paths are relative to this file.
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "cnn-course"
c.CourseDirectory.root = HERE
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons"
# The gradebook lives outside the repository's tracked files.
c.CourseDirectory.db_url = os.environ.get(
    "COURSE_GRADEBOOK",
    "sqlite:///" + os.path.join(c.CourseDirectory.root, ".nbgrader", "gradebook.db"),
)
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.corrupt"]
# nbgrader's exchange (release_assignment, collect, release_feedback; the assignment list):
# a folder of the course's own, not the system-wide /srv/nbgrader/exchange. On a JupyterHub
# every user's server points COURSE_EXCHANGE at the one shared folder (hub/).
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", os.path.join(HERE, ".nbgrader", "exchange"))

# Student versions: the stub every cleared solution becomes.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograding a TensorFlow course. `make grade` (grading/autograde.py) runs nbgrader's
# autograde with this configuration, replacing the Execute step by grading.run's
# JudgedExecute (the notebook in a sandboxed kernel, the test cells in the grader's own
# process, a notebook time limit, kernel recovery) and adding GradePolicy (see
# grading/worker.py); plain `nbgrader autograde` uses it as is.
# Per-cell limit: a quick-profile training cell takes seconds on 2 cores; 180 s leaves room
# for a slow machine (`--cell-timeout` overrides it; `--timeout` limits the whole notebook).
c.Execute.timeout = 180
c.Execute.startup_timeout = 120
# nbgrader's 4 s wait for a cell's last output fails cells on a busy machine.
c.Execute.iopub_timeout = 30
# Put back test cells a student deleted, from the gradebook's copy.
c.OverwriteCells.add_missing_cells = True
# nbgrader scores a test cell 0 when anything reaches stderr. These lines are harmless noise
# from TensorFlow/absl start-up and Python warnings, not failures.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (
    r"(absl::InitializeLog|cuda_|cudart_stub|computation_placer|cpu_feature_guard|oneDNN"
    r"|TF-TRT|Unable to register|rebuild TensorFlow|\w*Warning:|warnings\.warn)"
)
c.LimitOutput.max_lines = 1000

# Feedback shows each failed test's message, never hidden test code, and nothing a student's
# notebook could make run or load in the reader's browser (grading/feedback.py); a page keeps
# its outputs under a size cap.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "grading.feedback.HideHiddenTests",
    "grading.feedback.SanitizeNotebook",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.GenerateFeedback.exporter_class = "grading.feedback.SafeHTMLExporter"

os.makedirs(os.path.join(HERE, ".nbgrader"), exist_ok=True)
if "COURSE_EXCHANGE" not in os.environ:  # a shared exchange is made by whoever runs the hub
    os.makedirs(c.Exchange.root, exist_ok=True)
