"""JupyterHub for the Initialization course: one machine, its own Unix accounts, nbgrader's exchange.

The setup nbgrader's documentation calls "one class, one grader": each person logs in
with the account and password of this machine (PAM, JupyterHub's default
authenticator), and JupyterHub's local process spawner starts each one's Jupyter
server as that user, in their home folder. Students hand in through nbgrader's
exchange, a folder every account writes into (mode 1777); the instructor's own
server runs the formgrader on the course root in their home
(``~/initialization-course``).

Two Python environments, so that no student can read the instructor's code:

- the students' (``COURSE_HUB_STUDENT_ENV``): JupyterLab, nbgrader and the course's
  ``helpers`` (what ``course publish`` hands out), nothing of ``course/``;
- the instructor's (``COURSE_HUB_INSTRUCTOR_ENV``): the whole course package
  (``pip install '.[hub]'`` from the course root), readable by instructors only.

Each needs ``bin/jupyterhub-singleuser``. Instructors are the members of the
JupyterHub group ``formgrade-initialization-course`` (nbgrader's name for a course's
graders), named in ``COURSE_HUB_INSTRUCTORS``; students the members of the Unix group
``COURSE_HUB_STUDENTS``. The Jupyter settings every server reads
(``hub/jupyter/``: the course id, the exchange, the student's nbgrader menus) and the
instructors' (``hub/jupyter-instructor/``: the course root, the formgrader) come
first on each one's ``JUPYTER_CONFIG_PATH``.

Everything listens on 127.0.0.1: put a reverse proxy with TLS (nginx, Caddy) in
front of port 8000 to open the hub to a class. ``tests/e2e/test_hub.py`` starts this
file (through ``load_subconfig``, with its own ports, folders and accounts) and runs
a student's and the instructor's whole journey through it in Chromium. Run it as
root from a folder of its own (its database, cookie secret and the proxy's pid file
are written there): ``jupyterhub -f /path/to/hub/jupyterhub_config.py``.
"""

import os

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

HERE = os.path.dirname(os.path.abspath(__file__))
COURSE = "initialization-course"

#: The Python environments the users' servers run from (see above).
STUDENT_ENV = os.environ.get("COURSE_HUB_STUDENT_ENV", "/opt/initialization-course/student")
INSTRUCTOR_ENV = os.environ.get("COURSE_HUB_INSTRUCTOR_ENV",
                                "/opt/initialization-course/instructor")
#: nbgrader's exchange: a folder every account can write to (chmod 1777).
EXCHANGE = os.environ.get("COURSE_HUB_EXCHANGE", "/srv/nbgrader/exchange")
#: The Jupyter settings of every user, and those of instructors (readable by all).
JUPYTER_CONFIG = os.environ.get("COURSE_HUB_JUPYTER_CONFIG", os.path.join(HERE, "jupyter"))
INSTRUCTOR_CONFIG = os.environ.get("COURSE_HUB_INSTRUCTOR_CONFIG",
                                   os.path.join(HERE, "jupyter-instructor"))
#: Who may log in: the Unix group of the students, and the instructors by login.
STUDENTS = os.environ.get("COURSE_HUB_STUDENTS", COURSE)
INSTRUCTORS = os.environ.get("COURSE_HUB_INSTRUCTORS", "").split()
GRADERS = f"formgrade-{COURSE}"

# -- Network: loopback only ------------------------------------------------------
c.JupyterHub.bind_url = "http://127.0.0.1:8000"        # the proxy: what browsers reach
c.JupyterHub.hub_bind_url = "http://127.0.0.1:8081"    # the hub itself, for the proxy and servers
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"
# configurable-http-proxy from npm (`make hub`: hub/package.json, hub/package-lock.json)
c.ConfigurableHTTPProxy.command = [os.path.join(HERE, "node_modules", ".bin",
                                                "configurable-http-proxy")]

# -- Who logs in ------------------------------------------------------------------
c.JupyterHub.authenticator_class = "pam"               # the machine's accounts and passwords
c.PAMAuthenticator.allowed_groups = {STUDENTS}
c.Authenticator.allowed_users = set(INSTRUCTORS)
c.JupyterHub.load_groups = {GRADERS: {"users": INSTRUCTORS}}

# -- Each user's server, as that user ---------------------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.default_url = "/lab"
c.Spawner.cmd = [os.path.join(STUDENT_ENV, "bin", "jupyterhub-singleuser")]
c.Spawner.start_timeout = 120                           # a busy machine imports JupyterLab slowly
c.Spawner.http_timeout = 120


def is_instructor(spawner):
    """Whether the user of ``spawner`` grades the course (JupyterHub group ``formgrade-<course>``)."""
    return any(group.name == GRADERS for group in spawner.user.groups)


def jupyter_config_path(spawner):
    """The Jupyter settings the server reads before its environment's own (the instructors' first)."""
    return os.pathsep.join([INSTRUCTOR_CONFIG, JUPYTER_CONFIG] if is_instructor(spawner)
                           else [JUPYTER_CONFIG])


def environment_path(spawner):
    """The ``PATH`` of the server, its terminals and its kernels: its environment's ``bin`` first."""
    env = INSTRUCTOR_ENV if is_instructor(spawner) else STUDENT_ENV
    return os.pathsep.join([os.path.join(env, "bin"), "/usr/local/bin", "/usr/bin", "/bin"])


def start_in_environment(spawner):
    """Start instructors' servers from the instructors' environment."""
    if is_instructor(spawner):
        spawner.cmd = [os.path.join(INSTRUCTOR_ENV, "bin", "jupyterhub-singleuser")]


c.Spawner.pre_spawn_hook = start_in_environment
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": jupyter_config_path,
    "PATH": environment_path,
    "COURSE_HUB_EXCHANGE": EXCHANGE,                    # read by hub/jupyter/nbgrader_config.py
}
