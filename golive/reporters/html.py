"""The sign-off report: one self-contained HTML page rendered from the run model.

    from golive.reporters import html
    page = html.render(model)   # the complete page, a str
    html.title(model)           # "Go-live validation · <environment> · <phases> · <decision>"

`model` is `{"run": {...}, "results": [{...}, ...], "summary": {...} or None}`, the records of the
JSONL stream (docs/results-schema.md); a result may also carry `captured` ([[title, text], ...]:
pytest's captured output) and `summarises` ([runbook ID, ...]: the rows a success criterion stands
for). `summary` is None for a run killed before its end: the page says NO-GO (INCOMPLETE). An
optional `selected` (how many tests the run selected, as `golive.results.Run.as_dict` gives it) lets
that page say how much is missing.

Where to look:
    templates/report.html.j2    the page, section by section in reading order
    templates/results.html.j2   how one result becomes a row (`result_row`) and its evidence (`finding`)
    templates/log.html.j2       the test log: every test, collapsed
    templates/report.css        screen and print styles, inlined into the page
This module only gathers what the templates loop over and gives them a few helpers; charts.py
draws the charts. The page links only within itself: no asset, no script or style from elsewhere,
no network. Strings from the model become text (autoescape); they were redacted upstream
(golive/redact.py), which is not this module's job.
"""
from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, Undefined
from markupsafe import Markup

from golive.outcomes import SEVERITIES, brief
from golive.reporters.charts import chart_svg

TEMPLATES = Path(__file__).parent / "templates"

OUTCOME_LABEL = {
    "passed": "PASSED", "failed": "FAILED", "error": "ERROR: could not decide",
    "attestation missing": "ATTESTATION MISSING", "waived": "WAIVED", "skipped": "SKIPPED: not decided",
    "not applicable": "NOT APPLICABLE",
}
VERDICT_CLASS = {"GO": "v-go", "GO WITH FINDINGS": "v-findings", "NO-GO": "v-nogo"}
INCOMPLETE = "NO-GO (INCOMPLETE)"
COULD_NOT_RUN = "COULD NOT RUN"
# Evidence keys the `finding` macro shows in its own way; the rest go into its key/value table.
FINDING_KEYS = {"ok", "summary", "hint", "undecided", "chart", "attempts", "attestation", "text"}
CRITERION_KEYS = {"summarises", "passed", "failed"}  # a success criterion's entry (has `summarises`)
MESSAGE_KEYS = {"message", "template", "measured_status", "claims", "speaks_for", "failures"}  # a message's (has `message`)
OUTSIDE_RUNBOOK = "Tests outside the runbook"
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def render(model: dict) -> str:
    """The complete page for one run model."""
    run, results = model.get("run") or {}, model.get("results") or []
    summary = model.get("summary")
    known = summary or {}
    verdict = known.get("verdict")
    return _environment().get_template("report.html.j2").render(
        title=title(model), run=run, summary=known, complete=summary is not None, verdict=verdict,
        decision=decision(model), verdict_class=VERDICT_CLASS.get(verdict["decision"] if verdict else "", "v-nogo"),
        drivers=drivers(verdict, results), selected=model.get("selected"),
        phases=run.get("phases") or known.get("phases") or phases_of(results),
        signoff_roles=run.get("signoff_roles") or known.get("signoff_roles") or ["Deployment Lead"],
        counts=counts(verdict), groups=by_phase_and_section(results), results=results,
        by_id={key(r): r for r in results},  # what item_link() links to
        charts=charts(results), attestations=attestations(results), messages=messages(results),
        waivers=known.get("waivers", run.get("waivers") or []),
        css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
    )


def title(model: dict) -> str:
    run = model.get("run") or {}
    verdict = decision(model) if (model.get("summary") or {}).get("verdict") else "INCOMPLETE"
    phases = ", ".join(run.get("phases") or []) or run.get("selection_label", "")
    return f"Go-live validation · {run.get('environment', '?')} · {phases} · {verdict}"


def decision(model: dict) -> str:
    """The banner's word: the verdict's decision; COULD NOT RUN when the preflight stopped the run (golive
    could not get in: no check ran, nothing about the target was decided); INCOMPLETE without a summary."""
    verdict = (model.get("summary") or {}).get("verdict")
    if verdict and ((model.get("run") or {}).get("preflight") or {}).get("blocking"):
        return COULD_NOT_RUN
    return verdict["decision"] if verdict else INCOMPLETE


# --- what the sections loop over ----------------------------------------------------------------


def drivers(verdict: dict | None, results: list[dict]) -> list[dict]:
    """What the banner names: what made it NO-GO, else the findings and waived failures.

    A run without a summary has no verdict: its banner names what did not pass so far.
    """
    if verdict is None:
        return [{"runbook_id": key(r), "severity": r.get("severity"), "outcome": r.get("outcome"),
                 "impact": r.get("impact"), "message": r.get("message"), "waiver": None}
                for r in results if r.get("outcome") != "passed"]
    groups = ("blocking",) if verdict.get("decision") == "NO-GO" else ("findings", "waived")
    return [{**d, "group": group} for group in groups for d in verdict.get(group) or []]


def counts(verdict: dict | None) -> dict | None:
    """Outcomes by severity: the outcomes that occur (in OUTCOME_LABEL order) and a row per severity."""
    if not verdict or not verdict.get("counts"):
        return None
    table = verdict["counts"]
    outcomes = [o for o in OUTCOME_LABEL if any(o in per for per in table.values())]
    return {"checked": verdict.get("checked", 0), "outcomes": outcomes,
            "rows": [(sev, [table[sev].get(o, "") for o in outcomes]) for sev in SEVERITIES if sev in table]}


def by_phase_and_section(results: list[dict]) -> list[dict]:
    """Results by phase, then section, in runbook order: [{title, passed, total, sections: [{title, results}]}]."""
    phases: dict[str, dict[str, list[dict]]] = {}
    for r in sorted(results, key=lambda r: (r.get("order", 10**6), r.get("nodeid", ""))):
        phases.setdefault(r.get("phase") or OUTSIDE_RUNBOOK, {}).setdefault(r.get("section") or "-", []).append(r)
    out = []
    for phase, sections in phases.items():
        rows = [r for rs in sections.values() for r in rs]
        out.append({"title": phase, "passed": sum(r.get("outcome") == "passed" for r in rows), "total": len(rows),
                    "sections": [{"title": s, "results": rs} for s, rs in sections.items()]})
    return out


def phases_of(results: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["phase"] for r in sorted(results, key=lambda r: r.get("order", 10**6)) if r.get("phase")))


def charts(results: list[dict]) -> list[tuple[dict, dict]]:
    return [(r, ev["chart"]) for r in results for ev in r.get("evidence") or []
            if isinstance(ev, dict) and isinstance(ev.get("chart"), dict)]


def attestations(results: list[dict]) -> list[dict]:
    """One row per attested item and role.

    A success criterion that summarises attested items carries their attestations in its evidence
    too, under their own item IDs: those are the same attestations, listed once.
    """
    texts = {r.get("runbook_id"): r.get("text") for r in results}
    seen, rows = set(), []
    for r in results:
        for ev in r.get("evidence") or []:
            a = ev.get("attestation") if isinstance(ev, dict) else None
            if not isinstance(a, dict):
                continue
            item = a.get("item") or r.get("runbook_id")
            if (item, a.get("role")) in seen:
                continue
            seen.add((item, a.get("role")))
            rows.append({**a, "item": item, "text": texts.get(item) or "",
                         "outcome": "passed" if a.get("ok") else "attestation missing"})
    return rows


def messages(results: list[dict]) -> list[tuple[dict, dict]]:
    """The communication messages the run generated: (result, evidence entry with `message`)."""
    return [(r, ev) for r in results for ev in r.get("evidence") or [] if isinstance(ev, dict) and ev.get("message")]


# --- helpers the templates call -------------------------------------------------------------------


def key(r: dict) -> str:
    """What names a result: its runbook ID, or its node ID for a test bound to no runbook item."""
    return r.get("runbook_id") or r.get("nodeid") or ""


def anchor(item: str) -> str:
    """The row's HTML id for a runbook ID (or node ID): `#r-<id>` links to it."""
    return "r-" + re.sub(r"\s", "_", item)


def log_anchor(item: str) -> str:
    return "log-" + re.sub(r"\s", "_", item)


def row_class(outcome: str) -> str:
    """ok (collapsed on screen), waived, na (not applicable: collapsed, grey edge), or bad (open, red edge)."""
    return {"passed": "ok", "waived": "waived", "not applicable": "na"}.get(outcome, "bad")


def explained(r: dict) -> bool:
    """A failing finding already says why: the one-line message would repeat it."""
    return any(isinstance(ev, dict) and ev.get("ok") is False for ev in r.get("evidence") or [])


def summarised(r: dict) -> list[str]:
    """The runbook IDs a success criterion summarises: its `summarises`, else its evidence's."""
    if r.get("summarises"):
        return list(r["summarises"])
    ids = [i for ev in r.get("evidence") or [] if isinstance(ev, dict) for i in ev.get("summarises") or []]
    return list(dict.fromkeys(ids))


def evidence_fields(ev: dict) -> list[tuple[str, object]]:
    """The entry's keys left for its key/value table (resource, observed, expected, query, ...)."""
    apart = FINDING_KEYS | (CRITERION_KEYS if "summarises" in ev else set()) | (MESSAGE_KEYS if "message" in ev else set())
    return [(k, v) for k, v in ev.items() if k not in apart and v not in (None, "", [], {})]


def as_list(value) -> list:
    """Loop over a value that should be a list, whatever it is."""
    if isinstance(value, (list, tuple)):
        return list(value)
    return [] if value is None or value == "" or isinstance(value, Undefined) else [value]


def as_json(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=2, default=str, ensure_ascii=False)


def utc(ts) -> str:
    if ts is None or ts == "" or isinstance(ts, Undefined):
        return ""
    if isinstance(ts, (int, float)):
        return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(ts)


def duration(seconds) -> str:
    if seconds is None or isinstance(seconds, Undefined):
        return ""
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"


def iso_time(ts) -> Markup | str:
    """An ISO 8601 time that may wrap after its date (`2026-12-01T` / `09:55:48Z`) in a narrow column."""
    if not isinstance(ts, str) or not ISO_TIME.match(ts):
        return "" if ts is None or isinstance(ts, Undefined) else str(ts)
    date, _, clock = ts.partition("T")
    return Markup("{}T<wbr>{}").format(date, clock)


def basename(path) -> str:
    return os.path.basename(path) if isinstance(path, str) else ""


def css_string(text) -> Markup:
    """A quoted CSS string, every character but letters and digits escaped (safe inside <style>)."""
    return Markup('"' + "".join(c if c.isascii() and c.isalnum() else f"\\{ord(c):06x}" for c in str(text)) + '"')


class _CompiledTemplates(FileSystemBytecodeCache):
    """Compiled templates kept between runs, in jinja2's per-user cache folder (keyed by each template's source):
    compiling the page's templates costs more than rendering it. A cache that cannot be written is no cache,
    never a report left unwritten."""

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    try:
        return _CompiledTemplates()
    except (OSError, RuntimeError):  # no private temporary folder to keep them in: compile each run
        return None


@cache
def _environment() -> Environment:
    # Lenient undefined on purpose: a record missing a key (a stream cut short, an older writer)
    # renders as blank, never as a crash that leaves no report at all.
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True,
                      bytecode_cache=_bytecode_cache())
    env.filters.update(brief=brief, duration=duration, utc=utc, as_json=as_json, as_list=as_list, iso_time=iso_time, basename=basename, css_string=css_string,
                       outcome_label=lambda o: OUTCOME_LABEL.get(o, str(o).upper()),
                       outcome_class=lambda o: "o-" + str(o).replace(" ", "-"))
    env.globals.update(key=key, anchor=anchor, log_anchor=log_anchor, row_class=row_class, explained=explained,
                       summarised=summarised, evidence_fields=evidence_fields, chart_svg=chart_svg,
                       MAX_DRIVERS=25, MAX_CALLS=30)
    return env
