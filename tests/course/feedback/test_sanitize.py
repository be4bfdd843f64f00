"""Pages made from a submission: the allow-list, the output metadata, the markdown filter."""

import jinja2
import nbformat
import pytest

from course.feedback.sanitize import SanitizeOutputs, clean_html, markdown2html, safe_metadata


@pytest.mark.parametrize("html, kept", [
    ("<script>alert(1)</script><b>x</b>", "&lt;script&gt;alert(1)&lt;/script&gt;<b>x</b>"),
    ('<img src="x" onerror="alert(1)">', '<img src="x">'),
    ('<a href="javascript:alert(1)">a</a>', "<a>a</a>"),
    ('<a href="JaVa&#x09;ScRiPt:alert(1)">a</a>', "<a>a</a>"),
    ('<a href=" data:text/html,x">a</a>', "<a>a</a>"),
    ('<img src="data:image/png;base64,AAAA">', '<img src="data:image/png;base64,AAAA">'),
    ('<img src="data:text/html;base64,AAAA">', "<img>"),
    ("<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>",
     "<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>"),
    ("<iframe src=x></iframe>", "&lt;iframe src=x&gt;&lt;/iframe&gt;"),
    ("<form action=x><input autofocus onfocus=alert(1)></form>",
     "&lt;form action=x&gt;&lt;input autofocus onfocus=alert(1)&gt;&lt;/form&gt;"),
    ("<style>body{}</style>", "&lt;style&gt;body{}&lt;/style&gt;"),
    ('<h2 id="a">T</h2><p>x &lt; y</p>', "<h2>T</h2><p>x &lt; y</p>"),
    # ids and classes that could pose as the formgrader's own elements
    ('<div class="nbgrader_cell"><span id="check_he_values">x</span></div>', "<div><span>x</span></div>"),
    ('<div class="full-credit modal-backdrop fade"></div>', "<div></div>"),
    ('<div class="highlight"><pre><span class="k">def</span></pre></div>',
     '<div class="highlight"><pre><span class="k">def</span></pre></div>'),
    # images only from the page or beside it
    ('<img src="http://127.0.0.1:9/t.png?who=instructor">', "<img>"),
    ('<img src="//example.org/t.png">', "<img>"),
    ('<img src="images/plot.png">', '<img src="images/plot.png">'),
])
def test_clean_html_keeps_the_allow_list_and_makes_the_rest_inert(html, kept):
    assert clean_html(html) == kept


def test_markdown2html_renders_markdown_and_math_and_cleans_the_html_in_it():
    env = jinja2.Environment()
    env.filters["markdown2html"] = markdown2html
    page = env.from_string("{{ source | markdown2html }}").render(
        source="## Title\n\n$\\ln 2$ and `x < y`\n\n| a |\n|---|\n| 1 |\n\n"
               "<script>alert(1)</script><img src=x onerror=alert(1)>",
        cell={}, resources={})
    assert "<h2>Title" in page and "$\\ln 2$" in page and "<code>x &lt; y</code>" in page
    assert "<th>a</th>" in page and "<td>1</td>" in page
    assert "<script" not in page and "onerror" not in page


@pytest.mark.parametrize("metadata, kept", [
    ({"image/png": {"width": 640, "height": 480.5}}, {"image/png": {"width": 640, "height": 480.5}}),
    ({"image/png": {"width": "1 onerror=alert(1)"}}, {}),
    ({"image/jpeg": {"height": True, "unconfined": True}}, {"image/jpeg": {"unconfined": True}}),
    ({"image/png": {"width": -1, "alt": "x"}, "filenames": {"image/png": "x.png"}}, {}),
    ({"text/html": {"isolated": True}}, {}),
    ({"needs_background": "light"}, {}),
    ([], {}),
])
def test_safe_metadata_keeps_only_numeric_image_sizes(metadata, kept):
    assert safe_metadata(metadata) == kept


def test_sanitize_outputs_drops_script_outputs_and_keeps_text_and_images():
    cell = nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={
            "text/html": "<script>alert(1)</script><b>b</b>", "application/javascript": "alert(2)",
            "image/svg+xml": "<svg onload=alert(3)></svg>", "text/plain": "plain"}),
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="},
                               metadata={"image/png": {"width": "1 onerror=alert(4)"}}),
        nbformat.v4.new_output("stream", name="stdout", text="<script>stays text</script>"),
    ])
    markdown = nbformat.v4.new_markdown_cell("> a quote, x < y")
    nb = nbformat.v4.new_notebook(cells=[cell, markdown])
    nb, _ = SanitizeOutputs().preprocess(nb, {})
    first, image, stream = nb.cells[0].outputs
    assert first.data == {"text/html": "&lt;script&gt;alert(1)&lt;/script&gt;<b>b</b>",
                          "text/plain": "plain"}
    assert image.data == {"image/png": "iVBORw0KGgo="} and image.metadata == {}
    assert stream.text == "<script>stays text</script>"   # text is shown as text
    assert nb.cells[1].source == "> a quote, x < y"       # markdown is cleaned as pages render
