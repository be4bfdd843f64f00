"""The formgrader as the course needs it (course/formgrader/): its pages and its MathJax macro."""

from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment
from traitlets.config import Config

from course.formgrader import NBGRADER_TEMPLATES, TEMPLATE_BASEDIRS, TEMPLATES
from course.formgrader.pages import course_pages, exchange_configured, page_values

MISSING = {"exchange_missing": True, "exchange": "/srv/nbgrader/exchange",
           "course_id": "initialization-course"}


def config(**exchange):
    c = Config()
    if exchange:
        c.Exchange = Config(exchange)
    return c


def test_exchange_configured_reads_exchange_root_only():
    assert exchange_configured(config(root="/srv/x"))
    assert not exchange_configured(config())
    assert not exchange_configured(config(timestamp_format="%Y"))


def test_page_values_turn_the_missing_exchange_warning_into_the_lms_note():
    values = page_values("manage_assignments.tpl", MISSING, config())
    assert values["exchange_missing"] is False and values["collects_from_lms"] is True
    assert values["exchange"] == MISSING["exchange"]


@pytest.mark.parametrize("name, values, cfg", [
    ("manage_assignments.tpl", MISSING, config(root="/srv/nbgrader/exchange")),  # a hub set up wrongly
    ("manage_assignments.tpl", dict(MISSING, exchange_missing=False), config()),  # an exchange that works
    ("gradebook.tpl", MISSING, config()),                                         # another page
])
def test_page_values_leave_other_cases_alone(name, values, cfg):
    assert page_values(name, values, cfg) == values


class Formgrader:
    def __init__(self, cfg):
        self.config = cfg


def nbgrader_like_pages():
    """A stand-in for nbgrader's environment: its page, its blocks, its warning."""
    return Environment(loader=DictLoader({
        "base.tpl": "{% block messages %}{% endblock %}",
        "manage_assignments.tpl": ("{% extends 'base.tpl' %}{% block messages %}"
                                   "{% if exchange_missing %}WARNING{% endif %}{% endblock %}"),
    }))


def test_course_pages_render_the_note_in_place_of_the_warning():
    pages = course_pages(nbgrader_like_pages(), Formgrader(config()))
    html = pages.get_template("manage_assignments.tpl").render(**MISSING)
    assert "WARNING" not in html
    assert 'id="info-lms"' in html and "zip_collect" in html


def test_course_pages_keep_the_warning_where_an_exchange_is_configured():
    pages = course_pages(nbgrader_like_pages(), Formgrader(config(root="/srv/nbgrader/exchange")))
    html = pages.get_template("manage_assignments.tpl").render(**MISSING)
    assert "WARNING" in html and "info-lms" not in html


def test_course_pages_extend_nbgrader_s_real_manage_assignments_page():
    from jinja2 import FileSystemLoader

    nbgrader = Environment(loader=FileSystemLoader([str(NBGRADER_TEMPLATES)]))
    pages = course_pages(nbgrader, Formgrader(config()))
    html = pages.get_template("manage_assignments.tpl").render(
        url_prefix=".", base_url="/user/x", windows=False, current_config="", default_timezone="",
        **MISSING)
    assert "Manage Assignments" in html and "Instructions (click to expand)" in html
    assert 'id="warning-exchange"' not in html and 'id="info-lms"' in html


def test_the_formgrader_s_mathjax_macro_is_the_course_s_and_loads_from_the_server():
    from nbconvert.exporters import HTMLExporter

    exporter = HTMLExporter(config=Config({"HTMLExporter": {
        "template_name": "formgrade", "extra_template_basedirs": TEMPLATE_BASEDIRS}}))
    template = exporter.environment.get_template("mathjax.html.j2")
    assert Path(template.filename) == TEMPLATES / "nbconvert" / "formgrade" / "mathjax.html.j2"
    html = template.module.mathjax()
    assert "static/jupyter_server_mathjax/MathJax.js" in html
    assert "://" not in html, "the formgrader's MathJax must come from its own server"
    # nbgrader's own formgrade template is still found
    assert Path(exporter.environment.get_template("index.html.j2").filename).is_relative_to(
        NBGRADER_TEMPLATES / "formgrade")
