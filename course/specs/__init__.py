"""The exercises of each assignment, as the grader judges them: one module per assignment.

``course/specs/<assignment>.py`` defines ``EXERCISES`` (``course.judge.spec``). The
grader finds it by the assignment's name; ``c.SandboxedExecute.spec_path`` adds
folders searched first, for an assignment whose specs live elsewhere.
"""
