"""The feedback page a student is handed: one HTML file that works offline.

nbgrader renders feedback with nbconvert's ``HTMLExporter`` and its own ``feedback``
template, which loads MathJax from a CDN: opened from an LMS download or behind a
firewall, every formula stays raw LaTeX. :class:`FeedbackExporter`, registered as
``GenerateFeedback.exporter_class`` in ``nbgrader_config.py`` (so the formgrader's
*Generate Feedback* uses it too), renders the same template with the course's
additions (``course/feedback/templates/``):

- ``feedback.html.j2``: nbgrader's ``feedback`` page, each graded cell named by its
  exercise and an answer nobody has graded yet said to be so
  (:mod:`course.feedback.summary`), and the tables styled (``tables.css``);
- ``mathjax.html.j2``, found before nbconvert's macro of that name: MathJax 3 (SVG
  output, every TeX extension, and its ``safe`` extension against ``\\href`` and
  ``\\cssId`` tricks in a student's formulas) inlined from the ``django-static-mathjax``
  package, with a Content-Security-Policy that lets that one script run and nothing
  else: no other script, inline or fetched, no frame, no request to any host.

Inline is what survives an LMS upload of the single HTML file; it costs 2.3 MB a page
(:data:`MATHJAX_FILES`; 0.7 MB where the server compresses what it sends), on top of
the 0.4-0.6 MB the notebook's own figures take.
"""

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

import mathjax
from nbconvert.exporters import HTMLExporter
from traitlets import default

__all__ = ["FeedbackExporter", "MATHJAX_CONFIG", "MATHJAX_FILES", "TEMPLATES", "bundled_mathjax",
           "inline_script", "content_security_policy"]

#: The course's feedback templates: found before nbgrader's and nbconvert's.
TEMPLATES = Path(__file__).parent / "templates"

#: MathJax's files inlined, in order, from the package's ``es5`` folder.
MATHJAX_FILES = ("tex-svg-full.js", "ui/safe.js")
_MATHJAX_ES5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"

#: MathJax 3's settings: the delimiters nbconvert's MathJax 2 page used, SVG glyphs
#: kept once per page, no menu (it would offer to load more components).
MATHJAX_CONFIG = r"""window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "ams"
  },
  svg: {fontCache: "global"},
  options: {enableMenu: false}
};
"""


@lru_cache(maxsize=1)
def bundled_mathjax():
    """The one inline script of a feedback page: :data:`MATHJAX_CONFIG`, then MathJax's files."""
    return inline_script([("the MathJax settings", MATHJAX_CONFIG)] + [
        (f"MathJax's {name}", (_MATHJAX_ES5 / name).read_text(encoding="utf-8"))
        for name in MATHJAX_FILES])


def inline_script(parts):
    """The text of one inline ``<script>`` element: ``parts``' texts, a newline between each.

    Parameters
    ----------
    parts : list of (str, str)
        (what it is, its text), in order.

    Raises
    ------
    ValueError
        If a text holds ``</script`` (it would end the element) or a carriage return
        (the browser's parser would turn it into a newline, so that the script it hashes
        is not the one the policy names).
    """
    for name, text in parts:
        if "</script" in text.lower() or "\r" in text:
            raise ValueError(f"{name} cannot be inlined in a <script> element")
    return "\n".join(text for _, text in parts)


def content_security_policy(script=None):
    """A policy under which ``script`` is the only script the page runs (None: no script).

    Styles may be inline (nbgrader's page and MathJax's output use them) and images
    embedded or beside the page; nothing is fetched from anywhere else.
    """
    scripts = "'none'"
    if script is not None:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
        scripts = f"'sha256-{digest}'"
    return ("default-src 'none'; "
            f"script-src {scripts}; "
            "style-src 'unsafe-inline'; "
            "img-src 'self' data:; "
            "base-uri 'none'; form-action 'none'")


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback page with the course's template, MathJax inlined and a strict CSP."""

    @default("template_file")
    def _template_file_default(self):
        return "feedback.html.j2"

    @default("template_paths")
    def _template_paths(self, prune=True, root_dirs=None):
        return [str(TEMPLATES), *super()._template_paths(prune=prune, root_dirs=root_dirs)]

    def _create_environment(self):
        # globals, not resources: nbconvert imports the mathjax macro without context
        environment = super()._create_environment()
        script = bundled_mathjax()
        environment.globals["feedback_page"] = {
            "mathjax": script,
            "content_security_policy": content_security_policy(script),
            "css": (TEMPLATES / "tables.css").read_text(encoding="utf-8"),
        }
        return environment
