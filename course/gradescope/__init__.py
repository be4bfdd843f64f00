"""The course's grader on Gradescope: an autograder zip that grades with the same judge.

``course gradescope ASSIGNMENT`` (:mod:`.build`) writes the zip Gradescope's
autograder takes: ``setup.sh`` and ``run_autograder`` at its root, the course's
grading package as a wheel with every dependency pinned to the version that
built it, and what a scratch course needs to grade the assignment (the bundle a
Dask worker gets: ``nbgrader_config.py``, the release, the data files, the
assignment's cells as the gradebook holds them; :mod:`course.grading.cluster.task`).

On Gradescope, ``run_autograder`` runs :mod:`.run`, a small supervisor that
always leaves a valid ``results.json``. It sorts the upload (:mod:`.upload`),
then starts :mod:`.child`, which builds the scratch course and grades the upload
there through the code a Dask worker runs (``course.grading.cluster.task``:
``nbgrader autograde`` with the sandboxed kernel and the judge), and turns what
came back into Gradescope's tests (:mod:`.results`).

Kept free of heavy imports: ``course --help`` imports this package's name only.
"""
