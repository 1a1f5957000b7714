"""`make lab` starts JupyterLab on the lessons (checked headless through its REST API), as
students see it: nbgrader's Validate button and assignment list, not the instructor tools."""

import json
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from servers import free_port, stop_group

from grading import synthetic


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode()


@pytest.mark.slow
def test_make_lab_serves_the_lessons():
    port, token = free_port(), "course-test-token"
    flags = (
        f"--ServerApp.root_dir=lessons --no-browser --ip=127.0.0.1 --port={port} "
        f"--IdentityProvider.token={token}"
    )
    server = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_FLAGS={flags}"],
        cwd=synthetic.COURSE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                status, body = get(f"{base}/api/contents?token={token}")
                break
            except OSError:
                assert server.poll() is None, f"make lab exited: {server.stdout.read()}"
                assert time.monotonic() < deadline, "JupyterLab did not start within 180 s"
                time.sleep(1)
        listed = {item["name"] for item in json.loads(body)["content"]}
        assert status == 200 and set(synthetic.lessons()) <= listed
        lesson = synthetic.lessons()[0]
        status, body = get(f"{base}/api/contents/{lesson}/{lesson}.ipynb?token={token}")
        assert status == 200 and json.loads(body)["type"] == "notebook"
        status, page = get(f"{base}/lab?token={token}")
        assert status == 200 and "JupyterLab" in page
        disabled = set(json.loads(re.search(r'"disabledExtensions": (\[[^\]]*\])', page)[1]))
        instructor = {"formgrader", "create-assignment", "course-list"}
        assert {f"@jupyter/nbgrader:{name}" for name in instructor} <= disabled
        assert (
            not {"@jupyter/nbgrader:validate-assignment", "@jupyter/nbgrader:assignment-list"}
            & disabled
        )
        with pytest.raises(urllib.error.HTTPError, match="404"):
            get(f"{base}/formgrader?token={token}")
        status, body = get(f"{base}/api/kernelspecs?token={token}")
        assert "python3" in json.loads(body)["kernelspecs"]
    finally:
        stop_group(server)
