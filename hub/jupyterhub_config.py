"""JupyterHub for a class of the course: `make hub` (hub/run.py) prepares what it needs and
starts it with this file.

* The hub listens on 127.0.0.1 only (``COURSE_HUB_PORT``, default 8000), behind
  configurable-http-proxy from npm (hub/package.json).
* Users and groups come from hub/class.toml: ``instructors`` (hub admins, groups
  ``instructors`` and nbgrader's ``formgrade-cnn-course``) and ``students`` (groups
  ``students`` and ``nbgrader-cnn-course``). They log in with the class's shared passwords
  (``COURSE_HUB_PASSWORD`` for students; ``COURSE_HUB_ADMIN_PASSWORD``, 32 characters or
  more, for instructors); on a real campus use your login service instead (docs/deploy.md
  shows LTI from an LMS).
* Each user's server runs as the system user of the same name (LocalProcessSpawner; the hub
  runs as root): nbgrader's exchange knows a student by the Unix account that runs their
  server, and keeps their submissions apart with that account's file permissions.
* Students get the student edition: its ``helpers`` installed in their Python environment, a
  copy in ``~/cnn-course``, JupyterLab with only nbgrader's Validate button and assignment
  list (jupyter-config/student). The server opens on their home, where fetched lessons land.
* Instructors get their own copy of this repository in ``~/cnn-course`` (installed in an
  environment of their own), opened at its root with the formgrader and create-assignment
  tools (jupyter-config/instructor), where ``make grade`` grades what the formgrader collected.
* Everyone's nbgrader uses one exchange folder, ``COURSE_EXCHANGE`` (``<state>/exchange``).

Settings come from environment variables that hub/run.py sets: ``COURSE_HUB_STATE`` (the
hub's folder: its database, the role environments, the edition, the exchange),
``COURSE_HUB_CLASS``, and the ports ``COURSE_HUB_PORT``, ``COURSE_HUB_INTERNAL_PORT``,
``COURSE_HUB_PROXY_API_PORT``.
"""

import os
import pwd
import shutil
import tomllib
from pathlib import Path

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

HUB = Path(__file__).resolve().parent
COURSE = HUB.parent
COURSE_ID = "cnn-course"
STATE = Path(os.environ.get("COURSE_HUB_STATE", COURSE / ".hub"))
ROSTER = tomllib.loads(Path(os.environ.get("COURSE_HUB_CLASS", HUB / "class.toml")).read_text())
INSTRUCTORS, STUDENTS = list(ROSTER["instructors"]), list(ROSTER["students"])
EXCHANGE = STATE / "exchange"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"

# --------------------------------------------------------------------- network, state
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ.get("COURSE_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("COURSE_HUB_INTERNAL_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = (
    f"http://127.0.0.1:{os.environ.get('COURSE_HUB_PROXY_API_PORT', '8001')}"
)
proxy = HUB / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [
    str(proxy) if proxy.exists() else shutil.which("configurable-http-proxy") or str(proxy)
]
c.JupyterHub.db_url = f"sqlite:///{STATE / 'hub' / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "hub" / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "hub" / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True

# --------------------------------------------------------------------- users and groups
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["COURSE_HUB_PASSWORD"]
c.SharedPasswordAuthenticator.admin_password = os.environ["COURSE_HUB_ADMIN_PASSWORD"]
c.Authenticator.admin_users = set(INSTRUCTORS)
c.Authenticator.allowed_users = set(INSTRUCTORS + STUDENTS)
c.JupyterHub.load_groups = {
    "instructors": {"users": INSTRUCTORS},
    "students": {"users": STUDENTS},
    # The groups nbgrader's JupyterHub integration looks for, for a course id.
    f"formgrade-{COURSE_ID}": {"users": INSTRUCTORS},
    f"nbgrader-{COURSE_ID}": {"users": STUDENTS},
}

# --------------------------------------------------------------------- servers
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.Spawner.env_keep = ["LANG", "LC_ALL", "COURSE_OFFLINE", "COURSE_PROFILE"]


def configure_server(spawner) -> None:  # noqa: ANN001 (a JupyterHub Spawner)
    """Give a user's server its role's Python, JupyterLab tools, folder and exchange."""
    name = spawner.user.name
    home = Path(pwd.getpwnam(name).pw_dir)
    role = "instructor" if name in INSTRUCTORS else "student"
    env = STATE / "envs" / (f"instructor-{name}" if role == "instructor" else "student")
    spawner.cmd = [str(env / "bin" / "jupyterhub-singleuser")]
    spawner.environment.update(
        COURSE_EXCHANGE=str(EXCHANGE),
        PATH=f"{env / 'bin'}:{SYSTEM_PATH}",
    )
    if role == "instructor":
        spawner.notebook_dir = str(home / "cnn-course")
        spawner.environment.update(
            COURSE_ROOT=str(home / "cnn-course"),
            JUPYTER_CONFIG_PATH=os.pathsep.join(
                [str(HUB / "instructor"), str(COURSE / "jupyter-config" / "instructor")]
            ),
        )
    else:
        spawner.notebook_dir = str(home)
        # The edition's nbgrader_config.py (the course, COURSE_EXCHANGE) and student tools.
        edition = STATE / "edition"
        spawner.environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
            [str(edition), str(edition / "jupyter-config" / "student")]
        )


c.Spawner.pre_spawn_hook = configure_server
