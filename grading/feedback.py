"""Feedback that shows students each failed test's message but never hidden test code, and
pages and graded notebooks that are safe to open.

A submission decides what its cells display: HTML, Markdown, SVG, JavaScript, widget state,
output metadata that the HTML template copies into attributes. :class:`SanitizeNotebook` and
:class:`SafeHTMLExporter` (the feedback's exporter, set in ``nbgrader_config.py``) remove
whatever would run or load something (scripts, event handlers, ``javascript:`` links,
iframes, forms, objects) with nh3, a maintained sanitizer (Rust's ammonia); a feedback page
also keeps its cell outputs under :data:`FEEDBACK_MAX_BYTES` and says when it cut them.
The graded notebooks the batch writes go through :func:`clean_notebook` as well.
"""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
from typing import Any

import nh3
from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool, default

HIDDEN_BLOCK = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*\n?", re.S | re.M
)
HIDDEN_NOTE = "# (hidden tests: run by the autograder only)\n"
REDACTED = "(a line of hidden test code was removed from this output)"


def strip_hidden_tests(source: str) -> str:
    """Replace every hidden-test block in a cell's source with a one-line note."""
    return HIDDEN_BLOCK.sub(HIDDEN_NOTE, source)


def hidden_lines(sources: list[str], shortest: int = 12) -> set[str]:
    """The lines of hidden test code (stripped, at least ``shortest`` characters long)."""
    lines = set()
    for source in sources:
        for block in HIDDEN_BLOCK.findall(source):
            for line in block.splitlines()[1:-1]:
                if len(line.strip()) >= shortest:
                    lines.add(line.strip())
    return lines


def redact(text: str, secret: set[str]) -> str:
    """``text`` without any line that quotes hidden test code."""
    if not secret:
        return text
    kept = [REDACTED if any(s in line for s in secret) else line for line in text.split("\n")]
    return "\n".join(kept)


class HideHiddenTests(Preprocessor):
    """Remove hidden tests from test cells and reduce their tracebacks to the message.

    A traceback quotes the lines of the test that failed, hidden ones included, so a
    graded test cell's error keeps only ``ErrorName: message``. A submission could also
    print hidden test code (it can see a test's source while the test runs), so any output
    line of any cell that quotes a hidden line is replaced by a note.
    """

    # nbgrader registers feedback preprocessors without enabling them: on by default.
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        sources = [c.source for c in nb.cells]
        visible = "\n".join(strip_hidden_tests(s) for s in sources)
        self._secret = {line for line in hidden_lines(sources) if line not in visible}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        if cell.cell_type != "code":
            return cell, resources
        secret = getattr(self, "_secret", set())
        cell.source = strip_hidden_tests(cell.source)
        graded = cell.metadata.get("nbgrader", {}).get("grade")
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                if graded:
                    output.traceback = [f"{output.ename}: {output.evalue}"]
                output.evalue = redact(output.evalue, secret)
                output.traceback = [redact(line, secret) for line in output.traceback]
            elif output.output_type == "stream":
                output.text = redact(output.text, secret)
            elif "data" in output:
                for mime, value in output.data.items():
                    if mime.startswith("text/") and isinstance(value, str):
                        output.data[mime] = redact(value, secret)
        return cell, resources


# --------------------------------------------------------------------------- safe to open

# What student HTML may keep: text formatting, tables, lists, images, links; no script,
# style, iframe, form, object, embed or event handler, no link but http(s) and mail.
SAFE_TAGS = set(nh3.ALLOWED_TAGS) | {"tfoot", "caption", "section", "main", "article"}
SAFE_ATTRIBUTES = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
SAFE_ATTRIBUTES["*"] = {"class", "id", "title", "lang", "dir"}
SAFE_ATTRIBUTES["a"] = {"href", "hreflang", "name"}
SAFE_ATTRIBUTES["th"] = SAFE_ATTRIBUTES.get("th", set()) | {"valign"}
SAFE_ATTRIBUTES["td"] = SAFE_ATTRIBUTES.get("td", set()) | {"valign"}
SAFE_ATTRIBUTES["table"] = SAFE_ATTRIBUTES.get("table", set()) | {"border"}
URL_SCHEMES = {"http", "https", "mailto", "data"}  # data: only for images (see _attribute)
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
IMAGE_URI = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]*", re.I)
BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
NUMBER = re.compile(r"\d{1,5}(\.\d+)?(px|%)?")
SVG_TAGS = {"svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon"}
SVG_TAGS |= {"text", "tspan", "defs", "clipPath", "clippath", "linearGradient"}
SVG_TAGS |= {"lineargradient", "radialGradient", "radialgradient", "stop", "title", "desc"}
SVG_ATTRIBUTES = {"id", "class", "d", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx"}
SVG_ATTRIBUTES |= {"ry", "width", "height", "viewBox", "viewbox", "points", "transform"}
SVG_ATTRIBUTES |= {"fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "opacity"}
SVG_ATTRIBUTES |= {"stroke-opacity", "stroke-linecap", "stroke-linejoin", "stroke-dasharray"}
SVG_ATTRIBUTES |= {"font-size", "font-family", "font-weight", "text-anchor", "style"}
SVG_ATTRIBUTES |= {"dominant-baseline", "clip-path", "offset", "stop-color", "stop-opacity"}
SVG_ATTRIBUTES |= {"gradientUnits", "preserveAspectRatio", "version", "xmlns", "dx", "dy"}
KEPT_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex", "image/svg+xml")
FEEDBACK_MAX_BYTES = 5 * 2**20  # cell outputs on one feedback page, images included
OUTPUT_MAX_CHARS = 100_000  # text of one output on a feedback page
SOURCE_MAX_CHARS = 100_000  # source of one cell on a feedback page
SOURCES_MAX_CHARS = 2_000_000  # sources of all cells on a feedback page
NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def _safe_url(value: str) -> bool:
    """A link target that opens nothing but a page or a mail (or a relative one)."""
    bare = re.sub(r"[\x00-\x20]", "", html.unescape(value)).lower()
    scheme = re.match(r"([a-z][a-z0-9+.-]*):", bare)
    return scheme is None or scheme[1] in ("http", "https", "mailto")


def _attribute(tag: str, name: str, value: str) -> str | None:
    """Attribute values nh3 lets through, checked once more: ``data:`` only as an image's
    source, sizes only as numbers, styles without anything they could load."""
    if name in ("src", "href", "cite", "action", "xlink:href"):
        if value.strip().lower().startswith("data:"):
            return value if tag == "img" and name == "src" and IMAGE_URI.fullmatch(value) else None
        return value if _safe_url(value) else None
    if name in ("width", "height") and tag != "svg" and tag not in SVG_TAGS:
        return value if NUMBER.fullmatch(value.strip()) else None
    if name == "style" and re.search(r"url\(|expression|@import|\\|javascript", value, re.I):
        return None
    return value


def clean_html(text: object) -> str:
    """Student HTML without anything that runs, loads or submits (nh3, i.e. ammonia)."""
    text = text.decode() if isinstance(text, bytes) else str(text)
    return nh3.clean(
        text,
        tags=SAFE_TAGS,
        attributes=SAFE_ATTRIBUTES,
        attribute_filter=_attribute,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def clean_svg(text: str) -> str:
    """An SVG image without scripts, event handlers, links or embedded HTML."""
    return nh3.clean(
        text,
        tags=SVG_TAGS,
        attributes={tag: SVG_ATTRIBUTES for tag in SVG_TAGS},
        attribute_filter=_attribute,
        url_schemes={"http", "https"},
        link_rel=None,
    )


PROTECTED = re.compile(
    r"^(?P<fence>`{3,}|~{3,})[^\n]*\n.*?^[ \t]*(?P=fence)[ \t]*$"  # fenced code
    r"|(?P<ticks>`+)(?!`).+?(?<!`)(?P=ticks)(?!`)"  # inline code
    r"|\$\$.+?\$\$|\$[^$\n]+\$|\\\(.+?\\\)|\\\[.+?\\\]"  # maths
    r"|<(?:https?|mailto):[^\s<>]*>"  # an autolink
    r"|^[ \t]{0,3}>",  # a block quote's marker
    re.M | re.S | re.I,
)
HTML_LIKE = re.compile(r"<[A-Za-z!/?]")
HTML_TAG = re.compile(r"<[A-Za-z!/?][^>]*>")
LINK_TARGET = re.compile(
    r"(\]\(\s*<?)([^\s()>]*(?:\([^\s()]*\)[^\s()>]*)*)"  # [text](url), url with (balanced)
    r"|(^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*<?)(\S+?)(?=>?(\s|$))",  # [ref]: url
    re.M,
)


def clean_markdown(source: str) -> str:
    """A Markdown cell's source with its raw HTML sanitized and links that would run code
    (``javascript:``) pointed nowhere; code, maths, quotes and autolinks are left as written,
    and a cell without HTML only has its links checked."""
    keep: list[str] = []
    mark = f"grading{secrets.token_hex(6)}x"

    def hold(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith(("$", "\\(", "\\[")) and HTML_TAG.search(text):
            text = text.replace("<", r"\lt ").replace(">", r"\gt ")  # maths, not markup
        keep.append(text)
        return f"{mark}{len(keep) - 1}{mark}"

    text = PROTECTED.sub(hold, source)
    if HTML_LIKE.search(text):
        text = clean_html(text)

    def link(match: re.Match[str]) -> str:
        prefix, url = (match[1], match[2]) if match[1] is not None else (match[3], match[4])
        return prefix + (url if _safe_url(url) else "#")

    text = LINK_TARGET.sub(link, text)
    return re.sub(f"{mark}(\\d+){mark}", lambda m: keep[int(m[1])], text)


def _image_size(value: object) -> int | None:
    try:
        number = int(float(str(value)))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 100_000 else None


def clean_output(output: Any) -> None:
    """One code cell output made safe: only text, images and HTML, each sanitized; nothing
    that runs (JavaScript, widgets); output metadata reduced to numeric image sizes."""
    meta = output.get("metadata", {}) if isinstance(output.get("metadata"), dict) else {}
    kept_meta = {}
    for mime in IMAGE_TYPES:
        sizes = meta.get(mime, {}) if isinstance(meta.get(mime), dict) else {}
        sizes = {k: _image_size(sizes.get(k)) for k in ("width", "height")}
        if any(sizes.values()):
            kept_meta[mime] = {k: v for k, v in sizes.items() if v}
    if "metadata" in output or output.get("output_type") in ("display_data", "execute_result"):
        output["metadata"] = kept_meta
    if output.get("output_type") == "stream":
        if output.get("name") not in ("stdout", "stderr"):
            output["name"] = "stdout"
        return
    if "data" not in output:
        return
    data = {}
    for mime, value in output["data"].items():
        text = "".join(value) if isinstance(value, list) else value
        if not isinstance(text, str):
            continue
        if mime in IMAGE_TYPES and BASE64.fullmatch(text):
            data[mime] = text
        elif mime == "text/html":
            data[mime] = clean_html(text)
        elif mime == "text/markdown":
            data[mime] = clean_markdown(text)
        elif mime == "image/svg+xml":
            data[mime] = clean_svg(text)
        elif mime in KEPT_TYPES:
            data[mime] = text
    if not data:
        data["text/plain"] = "(an output that cannot be shown safely was removed)"
    output["data"] = data


def clean_cell(cell: Any) -> None:
    """A cell's metadata, attachments and source (Markdown) made safe to render."""
    if not NAME.fullmatch(str(cell.get("id", "x"))):
        cell["id"] = f"cell-{secrets.token_hex(4)}"
    meta = cell.get("metadata", {})
    nbgrader = meta.get("nbgrader")
    if isinstance(nbgrader, dict) and not NAME.fullmatch(str(nbgrader.get("grade_id", "x"))):
        nbgrader["grade_id"] = "cell"
    tags = meta.get("tags")
    if tags is not None:
        meta["tags"] = [t for t in tags if isinstance(t, str) and NAME.fullmatch(t)]
    meta.pop("widgets", None)
    if cell.get("cell_type") == "markdown":
        cell["source"] = clean_markdown(cell.get("source", ""))
    if cell.get("cell_type") == "raw":
        cell["source"] = clean_html(cell.get("source", ""))
    if "attachments" in cell:
        safe = {}
        for name, bundle in (cell.get("attachments") or {}).items():
            if not isinstance(bundle, dict):
                continue
            kept = {}
            for mime, value in bundle.items():
                text = "".join(value) if isinstance(value, list) else value
                if not isinstance(text, str) or not BASE64.fullmatch(text):
                    continue
                if mime in IMAGE_TYPES:
                    kept[mime] = text
                elif mime == "image/svg+xml":
                    try:
                        svg = base64.b64decode(text).decode("utf-8")
                    except ValueError:
                        continue
                    kept[mime] = base64.b64encode(clean_svg(svg).encode()).decode()
            if kept and NAME.fullmatch(str(name)):
                safe[name] = kept
        cell["attachments"] = safe
    if cell.get("cell_type") == "code":
        count = cell.get("execution_count")
        cell["execution_count"] = count if isinstance(count, int) else None
        for output in cell.get("outputs", []):
            clean_output(output)


def clean_notebook(nb: Any) -> Any:
    """The whole notebook made safe to open: every cell, and notebook metadata reduced to
    what a kernel and a reader need (no widget state)."""
    kept = {k: nb.metadata[k] for k in ("kernelspec", "language_info") if k in nb.metadata}
    nb.metadata = type(nb.metadata)(kept)
    for cell in nb.cells:
        clean_cell(cell)
    return nb


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    more = len(text) - limit
    return f"{text[:limit]}\n... (truncated: {more:,} more characters not shown here)\n"


def cap_feedback(nb: Any, budget: int = FEEDBACK_MAX_BYTES) -> bool:
    """Keep a feedback page within its cap: outputs within ``budget`` bytes (long texts are
    truncated, outputs past the budget left out), cells' sources within
    :data:`SOURCES_MAX_CHARS`; the page says so. Returns whether anything was cut."""
    cut = False
    sources = SOURCES_MAX_CHARS
    for cell in nb.cells:
        source = cell.get("source", "")
        limit = max(min(SOURCE_MAX_CHARS, sources), 200)
        if len(source) > limit:
            cell["source"], cut = _truncate(source, limit), True
        sources -= len(cell["source"])
        kept = []
        for output in cell.get("outputs", []):
            for key in ("text", "evalue"):
                if isinstance(output.get(key), str) and len(output[key]) > OUTPUT_MAX_CHARS:
                    output[key], cut = _truncate(output[key], OUTPUT_MAX_CHARS), True
            if isinstance(output.get("traceback"), list):
                lines = [str(line)[:OUTPUT_MAX_CHARS] for line in output["traceback"][:200]]
                cut = cut or lines != output["traceback"]
                output["traceback"] = lines
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") and len(value) > OUTPUT_MAX_CHARS:
                    output["data"][mime], cut = _truncate(value, OUTPUT_MAX_CHARS), True
            size = len(json.dumps(output))
            if size > budget:
                cut = True
                budget = 0
                continue
            budget -= size
            kept.append(output)
        if len(kept) < len(cell.get("outputs", [])):
            kept.append(
                NotebookNode(
                    output_type="stream",
                    name="stdout",
                    text=f"(outputs left out: a feedback page shows at most "
                    f"{FEEDBACK_MAX_BYTES // 2**20} MB of them)\n",
                )
            )
            cell["outputs"] = kept
    if cut:
        nb.cells.insert(
            0,
            NotebookNode(
                cell_type="markdown",
                id="feedback-size-note",
                metadata={},
                source="**This feedback page was shortened:** some outputs or cells were too "
                "long to show in full (your notebook holds them all).",
            ),
        )
    return cut


class SanitizeNotebook(Preprocessor):
    """Make the notebook safe to open (:func:`clean_notebook`); on a feedback page, also
    within its size cap (:func:`cap_feedback`)."""

    enabled = Bool(True).tag(config=True)
    cap = Bool(True, help="truncate outputs to the feedback page's size cap").tag(config=True)

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        clean_notebook(nb)
        if self.cap:
            cap_feedback(nb)
        return nb, resources


class SanitizeGraded(SanitizeNotebook):
    """:class:`SanitizeNotebook` for the graded notebook (autograde's pipeline): safe to open,
    nothing cut."""

    cap = Bool(False, help="truncate outputs to the feedback page's size cap").tag(config=True)


class SafeHTMLExporter(HTMLExporter):
    """nbconvert's HTML exporter with every piece of HTML it renders from the notebook
    (Markdown cells and outputs, HTML outputs, raw cells) passed through :func:`clean_html`,
    and nothing that runs (JavaScript outputs, widgets, inline SVG) rendered at all."""

    @default("sanitize_html")
    def _sanitize_default(self) -> bool:
        return True

    @pass_context
    def markdown2html(self, context: Any, source: str) -> str:
        return clean_html(super().markdown2html(context, source))

    def default_filters(self) -> Any:
        for name, function in super().default_filters():
            yield name, (clean_html if name == "clean_html" else function)
