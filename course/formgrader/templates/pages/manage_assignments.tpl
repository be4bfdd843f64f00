{#- nbgrader's Manage Assignments page, with a note in place of its warning about the
    exchange for a course that sets no exchange (it collects from an LMS download):
    course.formgrader renders the page with exchange_missing false and
    collects_from_lms true then. -#}
{%- extends "nbgrader/manage_assignments.tpl" -%}

{%- block messages -%}
{{ super() }}
{% if collects_from_lms %}
<div class="alert alert-info" id="info-lms">
This course collects submissions from an LMS download (<code>nbgrader zip_collect</code>)
and returns feedback there: no nbgrader exchange is set (<code>c.Exchange.root</code>),
so there is nothing to release or collect here. On a JupyterHub, set
<code>c.Exchange.root</code> to the hub's exchange folder in <code>nbgrader_config.py</code>
(README: "Running the course on a JupyterHub").
</div>
{% endif %}
{%- endblock -%}
