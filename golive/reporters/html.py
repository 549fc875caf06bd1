"""Interim: the sign-off page from the model through the old renderer (replaced by the Jinja2 reporter)."""
from golive import report_html


def render(model: dict) -> str:
    return report_html.page(model)


def title(model: dict) -> str:
    return report_html.title(model)
