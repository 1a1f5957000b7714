"""What a grading run has finished, kept in ``OUT/journal.jsonl`` so that ``--resume`` can
pick an interrupted run up where it stopped.

Every notebook graded adds one line, appended and flushed to disk as soon as its result (and
its feedback and graded notebook, which are written first) are in ``OUT``::

    {"key": "<sha256>", "result": {...the row's result, as in report.json...}}

``key`` is a digest of what decides the grade: the student, the lesson, the bytes of the
submitted notebook, the released lesson, and the limits and options that change grading
(time limits, memory and output caps, sandbox level, ``--run-all``, ``--no-feedback``). ``--resume``
reuses a recorded result only when the same key comes up again and the row's files are still
in ``OUT``: a notebook the student sent again, a lesson edited since, or other limits are
graded anew, and so is a row whose status was ``error`` (the grader's failure, not the
student's). A run without ``--resume`` starts a new journal.

A run killed while writing leaves at most one incomplete last line; reading skips any line
that is not a whole record, and a resumed run rewrites the journal from the whole records
(to a new file, renamed over the old one) before appending to it. Only one run may write to
an ``OUT`` at a time: the journal is locked while a run is using it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import IO, Any

NAME = "journal.jsonl"
# The options of a job that change how it is graded (the rest are paths and bookkeeping).
GRADING_OPTIONS = ("timeout", "cell_timeout", "memory_mb", "output_mb", "run_all", "feedback")


class JournalBusy(RuntimeError):
    """Raised when another grading run is writing to the same output folder."""


def digest_file(path: str | Path) -> str:
    """sha256 of a file's bytes ("" if it cannot be read)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def key(job: dict[str, Any], sandbox_level: str) -> str:
    """The digest of everything that decides ``job``'s grade (see the module docstring)."""
    what = {
        "student": job["student"],
        "lesson": job["lesson"],
        "notebook": digest_file(job["path"]),
        "release": digest_file(job["release"]),
        "sandbox": sandbox_level,
        **{name: job.get(name) for name in GRADING_OPTIONS},
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def read_records(path: Path) -> dict[str, dict[str, Any]]:
    """key -> result for every whole record of a journal (the last one wins)."""
    records: dict[str, dict[str, Any]] = {}
    try:
        raw = path.read_bytes()
    except OSError:
        return records
    for line in raw.split(b"\n"):
        try:
            record = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            continue  # an incomplete last line, or damage: that row is graded again
        if (
            isinstance(record, dict)
            and isinstance(record.get("key"), str)
            and isinstance(record.get("result"), dict)
            and isinstance(record["result"].get("status"), str)
        ):
            records[record["key"]] = record["result"]
    return records


def files_of(result: dict[str, Any], out: Path, feedback: bool) -> list[Path]:
    """The files in ``out`` a graded row comes with (none for a notebook that did not run)."""
    if result.get("score") is None or result["status"] in ("invalid", "missing", "error"):
        return []
    student, lesson = result["student"], result["lesson"]
    files = [out / "autograded" / student / lesson / f"{lesson}.ipynb"]
    if feedback:
        files.append(out / "feedback" / student / lesson / f"{lesson}.html")
    return files


class Journal:
    """The journal of one run writing to ``out`` (``with Journal(out, resume) as journal``)."""

    def __init__(self, out: Path, resume: bool, sandbox_level: str) -> None:
        self.path = out / NAME
        self.out, self.resume, self.level = out, resume, sandbox_level
        self.records: dict[str, dict[str, Any]] = {}
        self.keys: dict[tuple[str, str], str] = {}
        self.handle: IO[bytes] | None = None

    def __enter__(self) -> Journal:
        self.handle = open(self.path, "ab")  # noqa: SIM115 - closed in __exit__
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.close()
            raise JournalBusy(
                f"another grading run is writing to {self.out} ({self.path.name} is locked)"
            ) from None
        self.records = read_records(self.path) if self.resume else {}
        # start from whole records only: a torn last line must not swallow the next one
        fresh = self.path.with_name(self.path.name + ".new")
        with open(fresh, "wb") as handle:
            for k, result in self.records.items():
                handle.write(line(k, result))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(fresh, self.path)
        self.handle.close()
        self.handle = open(self.path, "ab")  # noqa: SIM115 - the new file, locked again
        fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.handle is not None:
            with contextlib.suppress(OSError):
                self.handle.close()
            self.handle = None

    def done(self, job: dict[str, Any]) -> dict[str, Any] | None:
        """The recorded result of ``job`` when it need not be graded again (``--resume``)."""
        k = key(job, self.level)
        self.keys[(job["student"], job["lesson"])] = k
        result = self.records.get(k)
        if result is None or result["status"] == "error":
            return None
        if not all(f.is_file() for f in files_of(result, self.out, job.get("feedback", True))):
            return None
        return result

    def record(self, result: dict[str, Any]) -> None:
        """Append a finished row (its files are already in ``out``) and flush it to disk."""
        k = self.keys.get((result["student"], result["lesson"]))
        if k is None or self.handle is None:
            return
        self.handle.write(line(k, result))
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def recording(self, progress: Any) -> Recording:
        """``progress`` that also records each result it is shown (what the pools call)."""
        return Recording(progress, self)


class Recording:
    """A progress display that records every result in the journal before showing it."""

    def __init__(self, progress: Any, journal: Journal) -> None:
        self.progress, self.journal = progress, journal

    def update(self, result: dict[str, Any]) -> None:
        self.journal.record(result)
        self.progress.update(result)


def line(k: str, result: dict[str, Any]) -> bytes:
    return (json.dumps({"key": k, "result": result}, default=str) + "\n").encode()
