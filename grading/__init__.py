"""Instructor tooling around nbgrader: release the student versions, autograde a class."""
