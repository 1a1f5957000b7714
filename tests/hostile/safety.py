"""What makes a page or a notebook unsafe to open: the checks the feedback tests apply.

A page is unsafe when anything a submission wrote could run or load in the reader's browser:
a script, an event handler, a ``javascript:`` (or ``vbscript:``, ``data:text/html``) link,
an iframe, a form, an object, a meta refresh. The template's own scripts (MathJax, require.js)
are not a submission's: only elements that carry a payload's marker (``XSS-``) count, except
for elements no feedback page should hold at all.
"""

from __future__ import annotations

import base64
import html
import re
from html.parser import HTMLParser
from typing import Any

FORBIDDEN = {"iframe", "frame", "frameset", "object", "embed", "applet", "form", "input"}
FORBIDDEN |= {"button", "textarea", "select", "base", "foreignobject"}
RUNS = {"script", "style", "meta", "link"}  # fine from the template, never from a submission
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "background"}
BAD_URL = re.compile(r"^(javascript|vbscript|data:text/html)", re.I)


class _Finder(HTMLParser):
    def __init__(self, marker: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marker, self.problems, self.open_runs = marker, [], []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag in FORBIDDEN:
            self.problems.append(f"<{tag}> element")
        text = " ".join(f"{k}={v}" for k, v in attrs)
        if tag in RUNS:
            self.open_runs.append(tag)
            if self.marker in text:
                self.problems.append(f"<{tag}> from the submission: {text[:80]}")
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            self.problems.append("<meta http-equiv> element")
        for name, value in attrs:
            value = value or ""
            if name.lower().startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            bare = re.sub(r"[\x00-\x20]", "", html.unescape(value))
            if name.lower() in URL_ATTRIBUTES and BAD_URL.match(bare):
                self.problems.append(f"<{tag} {name}={value[:60]!r}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag.lower() in RUNS and self.open_runs:
            self.open_runs.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag.lower() in RUNS and self.open_runs:
            self.open_runs.pop()

    def handle_data(self, data: str) -> None:
        if self.open_runs and self.marker in data:
            self.problems.append(f"<{self.open_runs[-1]}> holding {data.strip()[:80]!r}")


def unsafe_html(text: str, marker: str = "XSS-") -> list[str]:
    """What in ``text`` (a page, or an HTML fragment) could run or load something."""
    finder = _Finder(marker)
    finder.feed(text)
    finder.close()
    return finder.problems


def unsafe_notebook(nb: Any, marker: str = "XSS-") -> list[str]:
    """What in a notebook would run or load something where it is rendered: Markdown cells
    and their attachments, HTML, SVG and Markdown outputs, JavaScript and widget outputs,
    widget state, image metadata that a template copies into an attribute."""
    problems = []
    if "widgets" in nb.metadata:
        problems.append("widget state in the notebook's metadata")
    for index, cell in enumerate(nb.cells):
        where = f"cell {index}"
        if cell.cell_type == "markdown":
            problems += [f"{where}: {p}" for p in unsafe_html(cell.source, marker)]
            for line in re.findall(r"\]\(\s*<?([^)\s>]+)", cell.source):
                if BAD_URL.match(re.sub(r"[\x00-\x20]", "", html.unescape(line))):
                    problems.append(f"{where}: a Markdown link to {line[:60]!r}")
            for name, bundle in (cell.get("attachments") or {}).items():
                for mime, data in bundle.items():
                    if not mime.startswith("image/"):
                        problems.append(f"{where}: a {mime} attachment {name}")
                    elif mime == "image/svg+xml":
                        svg = base64.b64decode(data).decode(errors="replace")
                        problems += [f"{where} {name}: {p}" for p in unsafe_html(svg, marker)]
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for mime, value in data.items():
                text = "".join(value) if isinstance(value, list) else str(value)
                if mime in ("text/html", "image/svg+xml", "text/markdown"):
                    problems += [f"{where} {mime}: {p}" for p in unsafe_html(text, marker)]
                elif "javascript" in mime or "widget" in mime:
                    problems.append(f"{where}: a {mime} output")
                elif mime.startswith("image/") and not re.fullmatch(r"[A-Za-z0-9+/=\s]*", text):
                    problems.append(f"{where}: {mime} data that is not base64")
            for mime, meta in (output.get("metadata") or {}).items():
                for key, value in (meta if isinstance(meta, dict) else {}).items():
                    if key in ("width", "height") and not isinstance(value, int):
                        problems.append(f"{where}: {mime} {key} {value!r}")
                    elif key not in ("width", "height"):
                        problems.append(f"{where}: {mime} metadata {key}")
    return problems
