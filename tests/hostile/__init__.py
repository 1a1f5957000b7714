"""Faulty and hostile submissions for the grading tests: a tiny course and the cases."""
