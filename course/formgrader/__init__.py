"""nbgrader's formgrader as this course needs it: offline, and right about a course without an exchange.

Two changes, each made where nbgrader or Jupyter leaves room for it:

- **MathJax from the instructor's own server.** The submission view is an nbconvert
  page (nbgrader's ``formgrade`` template), which calls nbconvert's ``mathjax`` macro
  without a URL: MathJax 2.7.7 from a CDN, so that offline its script is missing
  (``MathJax is not defined``: formgrade.js calls ``MathJax.Hub``) and every formula
  stays raw TeX. ``nbgrader_config.py`` sets ``HTMLExporter.extra_template_basedirs``
  to :data:`TEMPLATE_BASEDIRS`, so that ``templates/nbconvert/formgrade/mathjax.html.j2``
  is found before nbconvert's macro; it loads MathJax 2 from the Jupyter server the
  formgrader runs in, which the ``jupyter-server-mathjax`` package (the Jupyter
  project's MathJax 2 for Jupyter servers) serves. MathJax 2, not the MathJax 3 of the
  feedback pages: formgrade.js waits on MathJax 2's ``MathJax.Hub``.
- **A course that sets no exchange collects from an LMS**, and the Manage Assignments
  page should say so, not warn that ``/srv/nbgrader/exchange`` "does not exist and
  could not be created". nbgrader renders its pages from its own folder only, so this
  package is also a Jupyter server extension (:mod:`course.formgrader.pages`, enabled
  by ``jupyter-config/course-formgrader.json``, which pip installs into
  ``etc/jupyter/jupyter_server_config.d``): once every extension is loaded it puts
  ``templates/pages/`` before nbgrader's templates, and renders Manage Assignments
  with a note in place of that warning when no ``c.Exchange.root`` is configured.
  With an exchange configured and missing (a hub set up wrongly), nbgrader's warning
  stays.
"""

import importlib.util
from pathlib import Path

__all__ = ["TEMPLATES", "NBGRADER_TEMPLATES", "TEMPLATE_BASEDIRS"]

#: The course's templates: ``nbconvert/`` (the submission view's) and ``pages/`` (the formgrader's).
TEMPLATES = Path(__file__).parent / "templates"

#: nbgrader's formgrader templates (``formgrade/``, ``feedback/``, the pages), found without
#: importing nbgrader: ``nbgrader_config.py`` reads this module.
NBGRADER_TEMPLATES = (Path(importlib.util.find_spec("nbgrader").submodule_search_locations[0])
                      / "server_extensions" / "formgrader" / "templates")

#: ``HTMLExporter.extra_template_basedirs`` for the formgrader: the course's first, then
#: nbgrader's own (which nbgrader sets itself, and a course's setting replaces).
TEMPLATE_BASEDIRS = [str(TEMPLATES / "nbconvert"), str(NBGRADER_TEMPLATES)]


def _jupyter_server_extension_points():
    """The Jupyter server extension of this package: :mod:`course.formgrader.pages`."""
    return [{"module": "course.formgrader.pages"}]
