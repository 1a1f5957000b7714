"""docs/deploy.md and the configuration files it names (hub/k8s/), checked without a cluster.

Every file the page names exists and parses (YAML, Python); the page's commands use them as
they are; the Helm values name the images its repo2docker commands build and the volume the
PVC file defines, mounted where the exchange setting points; every ``hub.config`` setting is
a configurable trait of the class it names (JupyterHub, the LTI 1.3 authenticator,
KubeSpawner); and the extraConfig hook, run with a stand-in ``c``, puts LTI instructors and
students in the course's groups and gives instructors the instructor image and formgrader.
"""

from __future__ import annotations

import importlib
import re
import sys
import types

import pytest
import yaml
from traitlets.config import Config

from grading import synthetic

COURSE = synthetic.COURSE
DOC = (COURSE / "docs" / "deploy.md").read_text()
K8S = COURSE / "hub" / "k8s"
VALUES = yaml.safe_load((K8S / "config.yaml").read_text())
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
CLASSES = {
    "JupyterHub": "jupyterhub.app.JupyterHub",
    "Authenticator": "jupyterhub.auth.Authenticator",
    "LTI13Authenticator": "ltiauthenticator.lti13.auth.LTI13Authenticator",
    "KubeSpawner": "kubespawner.KubeSpawner",
}


def named_files() -> list[str]:
    return sorted(set(re.findall(r"\bhub/k8s/[\w.-]+", DOC)))


def commands() -> str:
    return "\n".join(re.findall(r"```(?:bash|sh)\n(.*?)```", DOC, re.S))


def load_class(dotted: str) -> type:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_every_file_the_page_names_exists_and_parses() -> None:
    names = named_files()
    assert names == sorted(f"hub/k8s/{p.name}" for p in K8S.iterdir() if p.is_file()), (
        "docs/deploy.md names exactly the files of hub/k8s/"
    )
    for name in names:
        text = (COURSE / name).read_text()
        if name.endswith((".yaml", ".yml")):
            assert isinstance(yaml.safe_load(text), dict), name
        elif name.endswith(".py"):
            compile(text, name, "exec")
    for other in re.findall(r"\]\(((?!https?:)[^)#]+)\)", DOC):
        assert (COURSE / "docs" / other).resolve().exists(), f"docs/deploy.md links {other}"


def test_the_commands_use_the_files_as_the_values_expect() -> None:
    text = commands()
    assert "make student-edition" in text and "repo2docker" in text and "helm upgrade" in text
    image = VALUES["singleuser"]["image"]
    student = f"{image['name']}:{image['tag']}"
    instructor = VALUES["custom"]["instructorImage"]
    assert f"--image-name {student}" in text, "the student image the values name is built"
    assert f"--image-name {instructor}" in text, "the instructor image the values name is built"
    assert f"--target-repo-dir {VALUES['custom']['instructorRepoDir']}" in text
    assert "--set-file hub.extraConfig.course=hub/k8s/course_roles.py" in text
    assert "kubectl apply --namespace cnn-course -f hub/k8s/exchange-pvc.yaml" in text
    for values in ("config.yaml", "ngshare.yaml", "ngshare-exchange.yaml"):
        assert f"--values hub/k8s/{values}" in text, values
    assert "singleuser.extraFiles.ngshare.stringData=hub/k8s/nbgrader_config_ngshare.py" in text


def test_the_exchange_volume_is_the_claim_and_where_nbgrader_looks() -> None:
    claim = yaml.safe_load((K8S / "exchange-pvc.yaml").read_text())
    assert claim["kind"] == "PersistentVolumeClaim"
    assert "ReadWriteMany" in claim["spec"]["accessModes"]
    storage = VALUES["singleuser"]["storage"]
    (volume,) = storage["extraVolumes"]
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    (mount,) = storage["extraVolumeMounts"]
    assert mount["name"] == volume["name"]
    assert VALUES["singleuser"]["extraEnv"]["COURSE_EXCHANGE"] == mount["mountPath"]
    # The student image's nbgrader settings (the edition's) read COURSE_EXCHANGE.
    assert "COURSE_EXCHANGE" in (COURSE / "edition" / "nbgrader_config.py").read_text()
    assert VALUES["singleuser"]["notebookDir"] == storage["homeMountPath"]


def test_ngshare_replaces_the_volume_and_is_a_hub_service() -> None:
    overlay = yaml.safe_load((K8S / "ngshare-exchange.yaml").read_text())
    assert overlay["singleuser"]["storage"]["extraVolumes"] == []
    mounted = overlay["singleuser"]["extraFiles"]["ngshare"]["mountPath"]
    assert mounted == "/etc/jupyter/nbgrader_config.py"
    service = overlay["hub"]["extraConfig"]["ngshare"]
    assert '"name": "ngshare"' in service and "/etc/ngshare/token" in service
    (mount,) = overlay["hub"]["extraVolumeMounts"]
    assert mount["mountPath"] == "/etc/ngshare"
    assert overlay["hub"]["extraVolumes"][0]["secret"]["secretName"] == "ngshare-token"
    chart = yaml.safe_load((K8S / "ngshare.yaml").read_text())
    assert chart["ngshare"]["admins"] and chart["ngshare"]["hub_api_url"].startswith("http://hub:")
    config = (K8S / "nbgrader_config_ngshare.py").read_text()
    assert "http://ngshare:8080/services/ngshare" in config and "cnn-course" in config


@pytest.mark.parametrize("section", sorted(VALUES["hub"]["config"]))
def test_every_hub_setting_is_a_trait_of_its_class(section: str) -> None:
    cls = load_class(CLASSES[section])
    traits = cls.class_traits(config=True)
    for name in VALUES["hub"]["config"][section]:
        assert name in traits, f"{section}.{name} is not a setting of {cls.__name__}"
    if section == "JupyterHub":
        authenticator = VALUES["hub"]["config"]["JupyterHub"]["authenticator_class"]
        assert load_class(authenticator).__name__ in VALUES["hub"]["config"]


@pytest.fixture
def hooks(monkeypatch) -> Config:
    """Run course_roles.py as z2jh does: `c` the configuration, z2jh's get_config the values."""

    def z2jh_value(key: str, default=None):  # noqa: ANN001, ANN202
        node = VALUES
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    monkeypatch.setitem(sys.modules, "z2jh", types.SimpleNamespace(get_config=z2jh_value))
    c = Config()
    exec(compile((K8S / "course_roles.py").read_text(), "course_roles.py", "exec"), {"c": c})
    return c


class FakeSpawner:
    def __init__(self, groups: list[str]) -> None:
        self.user = types.SimpleNamespace(groups=[types.SimpleNamespace(name=g) for g in groups])
        self.image = VALUES["singleuser"]["image"]["name"]
        self.environment: dict[str, str] = {}


def test_lti_roles_make_the_course_groups(hooks: Config) -> None:
    hook = hooks.Authenticator.post_auth_hook
    roles = "https://purl.imsglobal.org/spec/lti/claim/roles"
    teacher = hook(None, None, {"name": "t1", "auth_state": {roles: [INSTRUCTOR]}})
    student = hook(None, None, {"name": "s1", "auth_state": {roles: [LEARNER]}})
    stranger = hook(None, None, {"name": "x", "auth_state": None})
    assert teacher["groups"] == ["instructors", "formgrade-cnn-course"]
    assert student["groups"] == stranger["groups"] == ["students", "nbgrader-cnn-course"]


def test_instructors_get_the_instructor_image_and_formgrader(hooks: Config) -> None:
    hook = hooks.KubeSpawner.pre_spawn_hook
    student = FakeSpawner(["students"])
    hook(student)
    assert student.image == VALUES["singleuser"]["image"]["name"] and not student.environment
    teacher = FakeSpawner(["instructors"])
    hook(teacher)
    assert teacher.image == VALUES["custom"]["instructorImage"]
    repo = VALUES["custom"]["instructorRepoDir"]
    paths = teacher.environment["JUPYTER_CONFIG_PATH"].split(":")
    assert paths == [f"{repo}/hub/instructor", f"{repo}/jupyter-config/instructor"]
    for path in paths:  # the same folders of this repository, as the image holds them
        assert (COURSE / path.removeprefix(f"{repo}/")).is_dir(), path
    assert teacher.environment["COURSE_ROOT"] == VALUES["custom"]["instructorCourseRoot"]
