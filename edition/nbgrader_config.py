"""nbgrader settings for students: the Validate button and `make check` run a lesson as the
grader does (the same time limits, and TensorFlow's start-up lines are not failures); on
the class's JupyterHub the assignment list uses its exchange, which COURSE_EXCHANGE names."""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "cnn-course"
if os.environ.get("COURSE_EXCHANGE"):
    c.Exchange.root = os.environ["COURSE_EXCHANGE"]
c.Execute.timeout = 180
c.Execute.startup_timeout = 120
c.Execute.iopub_timeout = 30
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (
    r"(absl::InitializeLog|cuda_|cudart_stub|computation_placer|cpu_feature_guard|oneDNN"
    r"|TF-TRT|Unable to register|rebuild TensorFlow|\w*Warning:|warnings\.warn)"
)
c.LimitOutput.max_lines = 1000
