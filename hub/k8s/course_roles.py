# Zero to JupyterHub's hub.extraConfig.course (hub/k8s/config.yaml): each LMS launch puts
# the user in the course's groups by LTI role; an instructor's server gets the instructor
# image with the formgrader, a student's keeps the student image. z2jh runs this inside its
# jupyterhub_config.py, where `c` is the hub's configuration; `custom.*` values come from
# config.yaml. tests/test_deploy.py runs it with a stand-in `c`.
import os

from z2jh import get_config as z2jh_value

COURSE = z2jh_value("custom.course", "cnn-course")
LTI_ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
TEACHING = ("#Instructor", "#TeachingAssistant", "#Administrator")


def course_groups(authenticator, handler, authentication):
    """post_auth_hook: groups from the LTI launch's roles (the id token's claims)."""
    roles = (authentication.get("auth_state") or {}).get(LTI_ROLES, [])
    teaches = any(role.endswith(TEACHING) for role in roles)
    authentication["groups"] = (
        ["instructors", f"formgrade-{COURSE}"] if teaches else ["students", f"nbgrader-{COURSE}"]
    )
    return authentication


def course_server(spawner):
    """pre_spawn_hook: instructors get the instructor image, the formgrader and their copy."""
    if "instructors" not in {group.name for group in spawner.user.groups}:
        return
    repo = z2jh_value("custom.instructorRepoDir")
    spawner.image = z2jh_value("custom.instructorImage")
    spawner.environment.update(
        COURSE_ROOT=z2jh_value("custom.instructorCourseRoot"),
        JUPYTER_CONFIG_PATH=os.pathsep.join(
            [f"{repo}/hub/instructor", f"{repo}/jupyter-config/instructor"]
        ),
    )


c.Authenticator.post_auth_hook = course_groups  # noqa: F821 (z2jh's configuration object)
c.KubeSpawner.pre_spawn_hook = course_server  # noqa: F821
