"""Feedback pages and graded notebooks that are safe to open (grading.feedback), without a
kernel: a notebook carrying the payloads a student could put in Markdown, attachments,
outputs and metadata is rendered with nbgrader's feedback template, as the batch does.
"""

from __future__ import annotations

import base64
import copy
from pathlib import Path

import nbformat
import nbgrader
import pytest
from hostile import cases as hostile
from hostile.safety import unsafe_html, unsafe_notebook
from nbconvert.exporters import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grading import feedback

TEMPLATES = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"


def payload_notebook() -> nbformat.NotebookNode:
    """Every payload of tests/hostile/cases.py, as the kernel would have recorded it."""
    svg = hostile.SVG_PAYLOAD
    outputs = [
        new_output(
            "display_data",
            {
                "text/html": "<b>kept-html</b><script>alert(1)//XSS-html</script>"
                "<img src=x onerror=alert(2)//XSS-onerror>"
                "<iframe src='https://example.org/XSS-iframe'></iframe>"
            },
        ),
        new_output("display_data", {"image/svg+xml": svg, "text/plain": "svg"}),
        new_output("display_data", {"text/markdown": "[x](javascript:alert(3)//XSS-mdout)"}),
        new_output("display_data", {"application/javascript": "alert(4)//XSS-js"}),
        new_output(
            "display_data",
            {"image/png": 'iVBORw0KGgo=" onerror="alert(5)//XSS-png', "text/plain": "png"},
        ),
        new_output(
            "display_data",
            {"image/png": "iVBORw0KGgo=", "text/plain": "png"},
            metadata={"image/png": {"width": "1 onerror=alert(6)//XSS-width"}},
        ),
        new_output(
            "display_data",
            {"application/vnd.jupyter.widget-view+json": {"model_id": "XSS-widget"}},
        ),
        new_output(
            "display_data",
            {"text/html": "<p>isolated XSS-isolated</p>"},
            metadata={"text/html": {"isolated": True}},
        ),
    ]
    markdown = new_markdown_cell(
        hostile.XSS_MARKDOWN,
        attachments={
            "evil.svg": {"image/svg+xml": base64.b64encode(svg.encode()).decode()},
            "page.html": {"text/html": base64.b64encode(b"<script>XSS-att</script>").decode()},
        },
    )
    nb = new_notebook(
        cells=[markdown, new_code_cell("display(...)", outputs=outputs, execution_count=1)],
        metadata={
            "widgets": {
                "application/vnd.jupyter.widget-state+json": {
                    "state": {"m": {"state": {"value": "<script>XSS-widget-state</script>"}}}
                }
            }
        },
    )
    nb.cells[0].metadata["tags"] = ['x" onmouseover="alert(7)//XSS-tag']
    return nb


def render(nb: nbformat.NotebookNode, exporter_class=feedback.SafeHTMLExporter) -> str:
    """The feedback page nbgrader's template makes of ``nb``."""
    bootstrap = TEMPLATES.parent / "static" / "node_modules" / "bootstrap" / "dist" / "css"
    exporter = exporter_class(
        template_name="feedback",
        extra_template_basedirs=[str(TEMPLATES)],
        extra_template_paths=[str(bootstrap)],
    )
    resources = {"nbgrader": {"notebook": "00-tiny", "score": 5, "max_score": 5, "late_penalty": 0}}
    page, _ = exporter.from_notebook_node(nb, resources=resources)
    return page


def test_the_payloads_are_unsafe_without_the_sanitizer():
    """The check below can fail: nbconvert's exporter as nbgrader uses it renders them."""
    nb = payload_notebook()
    assert len(unsafe_notebook(nb)) > 5
    assert len(unsafe_html(render(copy.deepcopy(nb), HTMLExporter))) > 5


def test_a_feedback_page_keeps_nothing_that_runs_or_loads():
    nb = payload_notebook()
    feedback.SanitizeNotebook().preprocess(nb, {})
    page = render(nb)
    assert unsafe_html(page) == []
    assert "My notes" in page and "a link" in page, "the Markdown is shown, made harmless"
    assert "kept-html" in page, "the HTML output is shown, made harmless"


def test_the_exporter_alone_sanitizes_what_it_renders():
    """Even without the preprocessor (plain ``nbgrader generate_feedback`` with this course's
    configuration has both), the exporter renders no script from Markdown or HTML."""
    nb = payload_notebook()
    for cell in nb.cells:  # what the template would copy into attributes
        cell.metadata.pop("tags", None)
        for output in cell.get("outputs", []):
            output.metadata = {}
            output.data.pop("image/png", None)
    assert unsafe_html(render(nb)) == []


def test_a_graded_notebook_is_made_safe_to_open():
    nb = feedback.clean_notebook(payload_notebook())
    assert unsafe_notebook(nb) == []
    nbformat.validate(nb)
    markdown = nb.cells[0]
    assert "My notes" in markdown.source and "evil.svg" in markdown.attachments
    assert "page.html" not in markdown.attachments


@pytest.mark.parametrize(
    "source, kept, gone",
    [
        ("a < b and `<b>` and $a<b$", ["a < b", "`<b>`", "$a<b$"], []),  # no HTML: as written
        ("<b>bold</b> <script>x()</script>", ["<b>bold</b>"], ["<script>"]),
        ("> quote <i>i</i>\n\n```\nif a < b: <tag>\n```", ["> quote", "if a < b: <tag>"], []),
        ("[ok](https://example.org/a_(b)) [no](javascript:alert(1))", ["a_(b))"], ["javascript"]),
        ("[ref]: JaVa&#115;cript:alert(1)", [], ["cript:"]),
        ("<a href='https://example.org'>x</a>", ["https://example.org"], []),
    ],
)
def test_markdown_keeps_what_it_can_and_drops_what_runs(source, kept, gone):
    clean = feedback.clean_markdown(source)
    assert all(text in clean for text in kept), clean
    assert not any(text in clean for text in gone), clean


def test_a_feedback_page_has_a_size_cap():
    nb = new_notebook(
        cells=[
            new_code_cell(
                "print(...)",
                outputs=[new_output("stream", name="stdout", text="x" * 30_000_000)]
                + [new_output("display_data", {"image/png": "A" * 400_000}) for _ in range(40)],
            ),
            new_code_cell("y = 1\n" * 1_000_000),
        ]
    )
    feedback.SanitizeNotebook().preprocess(nb, {})
    page = render(nb)
    assert len(page) < feedback.FEEDBACK_MAX_BYTES + 2 * feedback.SOURCES_MAX_CHARS + 2**20
    assert "This feedback page was shortened" in page
    assert "outputs left out" in page and "truncated" in page


def test_the_graded_notebook_is_sanitized_by_autograde_and_nothing_is_cut():
    """The last step of the worker's autograde pipeline: safe to open, every output kept."""
    nb = payload_notebook()
    outputs = sum(len(c.get("outputs", [])) for c in nb.cells)
    feedback.SanitizeGraded().preprocess(nb, {})
    assert unsafe_notebook(nb) == []
    assert sum(len(c.get("outputs", [])) for c in nb.cells) == outputs
