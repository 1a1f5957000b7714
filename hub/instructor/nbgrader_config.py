"""nbgrader for instructors on the course's JupyterHub: the settings of their copy of the course.

A hub server runs in its user's home, so nbgrader (the formgrader, the assignment list) would
not find ``~/cnn-course/nbgrader_config.py`` by itself. The hub puts this folder on every
instructor server's JUPYTER_CONFIG_PATH and sets COURSE_ROOT to their copy; its settings
read COURSE_EXCHANGE, the exchange folder all servers share (hub/jupyterhub_config.py).
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

load_subconfig(os.path.join(os.environ["COURSE_ROOT"], "nbgrader_config.py"))  # noqa: F821
