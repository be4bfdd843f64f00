"""nbgrader's settings for the course's instructors on its hub (hub/jupyterhub_config.py).

The course root is a clone of the course's repository in the instructor's home; the
formgrader in their own server grades it, and nbgrader also reads the course root's
own nbgrader_config.py (the sandbox, the feedback page, ...).
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.root = os.path.expanduser("~/initialization-course")
