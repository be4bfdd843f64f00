"""The judge: how the grader decides a test cell, in a process the submission cannot reach.

- ``spec.py``: what an exercise is (its function, its test cells' calls and
  judges, verdicts with mistake codes) and how the specs of an assignment are found;
- ``codec.py``: the one codec of plain data between a judge process and the grader;
- ``runner.py``: the judge process, run in the sandbox: the notebook's locked
  cells once, then for each test cell a fork that runs the student's answer cell
  alone and calls the function;
- ``process.py``: the grader's side: starting a judge process, asking it, reading
  what it observed.

``course/autograde/execute.py`` uses them at autograde; ``course/specs/`` holds the
exercises of each assignment.
"""
