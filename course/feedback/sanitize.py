"""Every page made from a submission shows what the student's notebook displayed, inert.

A submission's outputs and markdown are the student's: HTML with ``<script>``,
``onerror=`` attributes or ``javascript:`` links would run in whoever opens
the feedback, and in the formgrader, which nbgrader serves from the
instructor's own Jupyter server (with the instructor's login). Two layers,
both built on nbconvert's bleach-based sanitizer with one allow-list
(:data:`TAGS`, :data:`ATTRIBUTES`, :data:`PROTOCOLS`):

- :class:`SanitizeOutputs`, an autograde preprocessor (``nbgrader_config.py``):
  the autograded notebook, which the feedback and the formgrader both render,
  keeps text, PNG and JPEG images, LaTeX and JSON as they are, HTML and
  markdown outputs cleaned, and nothing else (no ``application/javascript``,
  no widget views, no SVG, which can carry script), and of the outputs'
  metadata only an image's numeric size (:func:`safe_metadata`);
- :func:`clean_html` and :func:`markdown2html`, which replace nbconvert's
  filters of those names for the feedback and the formgrader (with
  ``HTMLExporter.sanitize_html``), so that markdown cells and HTML outputs pass
  the same allow-list when the page is made. nbgrader's feedback and formgrade
  templates render markdown cells with ``markdown2html`` alone, never through
  ``clean_html``: the markdown filter cleans what it renders itself. Headings,
  paragraphs, lists, tables, images, links, code and math stay; scripts,
  styles, frames, forms, objects and event handlers go, and so do ids and
  classes that could pose as the page's own (the formgrader finds a grade's
  controls by id), and images fetched from other hosts.

Files a browser could run (HTML, SVG, XML, JavaScript, ...) handed in beside a
notebook are not copied to ``autograded/`` at all (``CourseDirectory.ignore``,
``nbgrader_config.py``): the formgrader serves such files from the
instructor's server.
"""

import bleach
from jinja2 import pass_context
from pygments.token import STANDARD_TYPES
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors.sanitize import SanitizeHTML
from traitlets import Bool, Set

__all__ = ["TAGS", "ATTRIBUTES", "PROTOCOLS", "SanitizeOutputs", "clean_html", "markdown2html"]

#: Tags a page keeps (others are escaped: shown as text, never run).
TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "details", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "kbd", "li", "ol", "p", "pre", "s", "samp", "small", "span", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
})

#: URL schemes allowed in ``href`` and ``src`` (``data:`` only for images, below).
PROTOCOLS = frozenset({"http", "https", "mailto"})
_IMAGE_DATA = ("data:image/png;", "data:image/jpeg;", "data:image/gif;")


#: Classes a page keeps: nbconvert's anchor links and code highlighting (Pygments'
#: token classes). Any other class, and every ``id``, could pose as the page's own
#: elements: the formgrader binds each grade's controls by the cell's id and class.
CLASSES = frozenset({"anchor-link", "highlight", *filter(None, STANDARD_TYPES.values())})


def _attribute(tag, name, value):
    """Whether ``tag`` keeps attribute ``name="value"`` (bleach checks URL schemes after)."""
    if name == "class":
        return bool(value.split()) and all(c in CLASSES for c in value.split())
    if name in ("title", "align"):
        return True
    url = "".join(value.split()).lower()
    if tag == "a":
        return name == "href" and not url.startswith("data:")
    if tag == "img":
        if name == "src":   # an image in the page, or beside it: nothing fetched from afar
            return url.startswith(_IMAGE_DATA) or ":" not in url.split("/")[0] and not (
                url.startswith("//"))
        return name in ("alt", "width", "height")
    if tag in ("td", "th"):
        return name in ("colspan", "rowspan")
    return False


ATTRIBUTES = _attribute
# bleach checks the scheme of href and src against PROTOCOLS; data: images pass it here.
_ALL_PROTOCOLS = sorted(PROTOCOLS | {"data"})


def clean_html(html):
    """``html`` with everything but :data:`TAGS` and their safe attributes made inert.

    Registered as nbconvert's ``clean_html`` filter (``nbgrader_config.py``).
    """
    html = html.decode() if isinstance(html, bytes) else str(html)
    return bleach.clean(html, tags=TAGS, attributes=ATTRIBUTES, protocols=_ALL_PROTOCOLS,
                        strip=False, strip_comments=True)


@pass_context
def markdown2html(context, source):
    """A markdown cell as HTML, as nbconvert's ``HTMLExporter`` renders it, then cleaned.

    Registered as nbconvert's ``markdown2html`` filter (``nbgrader_config.py``); the
    exporter's own settings of anchors and embedded images are nbconvert's defaults.
    """
    cell = context.get("cell", {})
    renderer = IPythonRenderer(
        escape=False, attachments=cell.get("attachments", {}),
        path=context.get("resources", {}).get("metadata", {}).get("path", ""),
        anchor_link_text=HTMLExporter.anchor_link_text.default_value,
        exclude_anchor_links=HTMLExporter.exclude_anchor_links.default_value)
    return clean_html(MarkdownWithMath(renderer=renderer).render(source))


_IMAGES = ("image/png", "image/jpeg")


def _size(value):
    return (type(value) in (int, float) and not isinstance(value, bool)
            and 0 < value < 100_000)


def safe_metadata(metadata):
    """An output's metadata with only what pages use of it that cannot carry markup.

    nbconvert's templates write an image's ``width`` and ``height`` into the page
    unquoted, so a string there becomes an attribute of the ``<img>`` (an
    ``onerror=`` handler, say): only numbers are kept, and the ``unconfined`` flag;
    everything else (file names, ``isolated`` frames, alt texts) is dropped.
    """
    kept = {}
    for mime in _IMAGES:
        given = metadata.get(mime) if isinstance(metadata, dict) else None
        if not isinstance(given, dict):
            continue
        safe = {key: given[key] for key in ("width", "height") if _size(given.get(key))}
        if type(given.get("unconfined")) is bool:
            safe["unconfined"] = given["unconfined"]
        if safe:
            kept[mime] = safe
    return kept


class SanitizeOutputs(SanitizeHTML):
    """nbconvert's ``SanitizeHTML`` on code outputs, with the course's allow-list.

    Markdown cells are left as written (cleaning markdown source as HTML would
    mangle it); pages clean them after rendering (:func:`clean_html`).
    """

    enabled = Bool(True, help="nbconvert's preprocessors are off unless enabled; this one "
                   "is on wherever it is listed").tag(config=True)
    safe_output_keys = Set({"metadata", "text/plain", "text/latex", "application/json",
                            "image/png", "image/jpeg"}).tag(config=True)
    sanitized_output_types = Set({"text/html", "text/markdown"}).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            cell.outputs = self.sanitize_code_outputs(cell.outputs)
            for output in cell.outputs:
                if "metadata" in output:
                    output.metadata = safe_metadata(output.metadata)
        return cell, resources

    def sanitize_html_tags(self, html_str):
        return clean_html(html_str)
