"""Instructor tooling of the Initialization course: the ``course`` command.

It drives nbgrader's own commands and reads its gradebook; it does not import
the student-facing ``helpers`` package.
"""
