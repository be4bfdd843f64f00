"""The formgrader's pages with the course's templates first (a Jupyter server extension).

nbgrader's formgrader renders its pages with a Jinja environment of its own folder
(``settings["nbgrader_jinja2_env"]``). Once every extension of the server is loaded
(:func:`_start_jupyter_server_extension`), this one replaces it by
:func:`course_pages`: the same templates, the course's
``templates/pages/`` first (each may extend nbgrader's as ``nbgrader/<name>``), and
the page's values passed through :func:`page_values` first.
"""

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from jinja2.environment import Template

from . import TEMPLATES

__all__ = ["course_pages", "exchange_configured", "page_values"]


def exchange_configured(config):
    """Whether an nbgrader configuration names an exchange folder (``c.Exchange.root``)."""
    return "Exchange" in config and "root" in config["Exchange"]


def page_values(name, values, config):
    """The values a formgrader page ``name`` is rendered with, under the configuration ``config``.

    Manage Assignments, for a course that configures no exchange: no "exchange missing"
    warning (``exchange_missing`` false) but ``collects_from_lms``. The release and
    collect buttons stay hidden: nbgrader decides them from the exchange itself.
    """
    if (name == "manage_assignments.tpl" and values.get("exchange_missing")
            and not exchange_configured(config)):
        return dict(values, exchange_missing=False, collects_from_lms=True)
    return values


def course_pages(nbgrader_pages, formgrader):
    """A Jinja environment rendering nbgrader's formgrader pages with the course's first.

    Parameters
    ----------
    nbgrader_pages : jinja2.Environment
        The formgrader's own environment.
    formgrader : traitlets.config.Configurable
        nbgrader's formgrader application: its ``config`` is read as each page is rendered.
    """
    class CoursePage(Template):
        def render(self, *args, **kwargs):
            return super().render(*args, **page_values(self.name, dict(*args, **kwargs),
                                                       formgrader.config))

    environment = Environment(loader=ChoiceLoader([
        FileSystemLoader(str(TEMPLATES / "pages")),
        PrefixLoader({"nbgrader": nbgrader_pages.loader}),
        nbgrader_pages.loader,
    ]))
    environment.template_class = CoursePage
    return environment


def _load_jupyter_server_extension(serverapp):
    """Nothing yet: nbgrader's formgrader may load after this extension."""


async def _start_jupyter_server_extension(serverapp):
    """Put the course's pages before nbgrader's, where this server runs the formgrader."""
    settings = serverapp.web_app.settings
    if settings.get("nbgrader_jinja2_env") is not None:
        settings["nbgrader_jinja2_env"] = course_pages(settings["nbgrader_jinja2_env"],
                                                       settings["nbgrader_formgrader"])
        serverapp.log.info("course.formgrader: the course's formgrader pages come first")
