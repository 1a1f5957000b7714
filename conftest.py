"""Test-run settings shared by the unit tests and the notebook (nbval) runs.

Notebooks run at the quick profile with the network-dependent loaders off, as in
autograding; set here so that the kernels nbval starts inherit them.
"""

import os

os.environ["COURSE_PROFILE"] = "quick"
os.environ["COURSE_OFFLINE"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
