"""What students get: the release, the ``helpers`` package and what runs them.

``course publish DEST`` (:mod:`course.publish.build`) writes a folder an
instructor hands to students, by a download, a repository Binder builds, or a
hub's environment: the release's notebooks, the ``helpers`` package with a
``pyproject.toml`` naming the student's dependencies only, an
``environment.yml`` for conda and Binder, Jupyter's configuration that leaves a
student nbgrader's assignment list and Validate (and nothing of the
instructor's), and a README for students. :mod:`course.publish.secrets` checks
that nothing of the instructor's (a solution line, a hidden test, a rubric, an
instructor module) is in it before it is written. The release itself keeps
each exercise's own hint (:mod:`course.publish.clear_solutions`).
"""
