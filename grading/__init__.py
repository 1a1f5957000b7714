"""Instructor tooling around nbgrader: release the student versions, autograde a class.

Modules, one concern each: :mod:`~grading.autograde` (the command), :mod:`~grading.intake`
(finding submissions), :mod:`~grading.repair` (fixing notebooks), :mod:`~grading.screen`
(static checks), :mod:`~grading.worker` (one submission), :mod:`~grading.pool` (parallel
workers), :mod:`~grading.sandbox` (isolation), :mod:`~grading.zygote` (warm kernels),
:mod:`~grading.execute` and :mod:`~grading.guard` (running tests that cannot be subverted),
:mod:`~grading.slicing` (the cells grading can leave out), :mod:`~grading.feedback`,
:mod:`~grading.report`, :mod:`~grading.synthetic` and :mod:`~grading.notebooks`.
"""

import sys

# jsonschema (under nbformat) imports rfc3987_syntax when it is installed, and that builds a
# grammar for seconds at import; no notebook schema checks IRIs, so grading skips it (every
# grading worker is a fresh process, so this saves seconds per submission).
sys.modules.setdefault("rfc3987_syntax", None)
