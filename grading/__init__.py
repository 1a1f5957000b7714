"""Instructor tooling around nbgrader: release the student versions, autograde a class.

A submission goes through five stages, one module each:

1. **intake** (:mod:`~grading.intake`): find each student's notebook for each lesson;
2. **repair** (:mod:`~grading.repair`): rebuild it on the released lesson's skeleton;
3. **run** (:mod:`~grading.run`): execute it in a sandboxed kernel (:mod:`~grading.sandbox`,
   forked warm by :mod:`~grading.zygote`), leaving out the demonstrations no grade depends on
   (:mod:`~grading.slicing`);
4. **judge** (:mod:`~grading.judge`): run every test cell in the grader's own process, where
   the student's code is reached only through data (:mod:`~grading.wire`);
5. **report** (:mod:`~grading.report`, :mod:`~grading.feedback`): grades, feedback, summary.

:mod:`~grading.autograde` is the command, :mod:`~grading.worker` grades one submission and
:mod:`~grading.pool` runs workers in parallel, or :mod:`~grading.cluster` on the workers of a
Dask cluster (``--scheduler``); :mod:`~grading.journal` records finished rows for
``--resume``; :mod:`~grading.synthetic` and :mod:`~grading.notebooks` serve the tests and the
lesson authors.
"""

import sys

# jsonschema (under nbformat) imports rfc3987_syntax when it is installed, and that builds a
# grammar for seconds at import; no notebook schema checks IRIs, so grading skips it (every
# grading worker is a fresh process, so this saves seconds per submission).
sys.modules.setdefault("rfc3987_syntax", None)
