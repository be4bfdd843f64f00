"""nbgrader's settings for every account of the course's hub (hub/jupyterhub_config.py).

JupyterHub puts this folder on each server's JUPYTER_CONFIG_PATH, so that students'
nbgrader (the Assignment List, Validate, `nbgrader fetch_assignment` and `submit` in a
terminal there) and the instructor's share one course id and one exchange.
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "initialization-course"
# The exchange folder (mode 1777), named once in hub/jupyterhub_config.py, which
# passes it to every server; /srv/nbgrader/exchange is nbgrader's own default.
c.Exchange.root = os.environ.get("COURSE_HUB_EXCHANGE", "/srv/nbgrader/exchange")
