"""golive's pages beside the run's own: a watch (outcome strip, episodes, charts over the window), a diff of two
runs, and one page for several runs. Same styles, filters and rules as html.py (one file, no external asset);
each takes plain data made by golive/watch.py or golive/compare.py.
"""
from __future__ import annotations

from markupsafe import Markup

from golive.reporters import html

VERDICT_CLASS = {**html.VERDICT_CLASS, "ROLLBACK": "v-rollback"}


def _render(template: str, **context) -> str:
    css = Markup((html.TEMPLATES / "report.css").read_text(encoding="utf-8"))
    return html._environment().get_template(template).render(css=css, **context)


def render_watch(model: dict) -> str:
    watch, verdict = model.get("watch") or {}, model.get("verdict") or {}
    return _render("watch.html.j2", title=f"Go-live watch · {watch.get('environment', '?')} · "
                   f"{watch.get('selection', '')} · {verdict.get('decision', '?')}",
                   kicker="Go-live watch", heading=f"{watch.get('environment', '?')} · watch {watch.get('selection', '')}",
                   verdict_class=VERDICT_CLASS.get(verdict.get("decision"), "v-nogo"), **model)


def render_diff(model: dict) -> str:
    a, b = model["a"], model["b"]
    return _render("diff.html.j2", title=f"golive diff · {a['decision']} → {b['decision']}", kicker="Runs compared",
                   heading=f"A {a['environment'] or '?'} {a['started'] or ''} → B {b['environment'] or '?'} {b['started'] or ''}",
                   verdict_class=VERDICT_CLASS.get(b["decision"], "v-nogo"), **model)


def render_fleet(model: dict) -> str:
    return _render("fleet.html.j2", title=f"Go-live validation · {len(model['runs'])} runs · {model['decision']}",
                   kicker="Go-live validation, several runs", heading=f"{len(model['runs'])} runs",
                   verdict_class=VERDICT_CLASS.get(model["decision"], "v-nogo"), **model)
