"""JUnit XML from the run model: one test case per result, named by runbook ID.

CI servers show `classname` as the group (golive.<phase>.<section>) and `name` as the test; each case
carries the result's phase, severity, impact and outcome as properties, and the suite carries the verdict.
"""
from __future__ import annotations

import os
import re
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

from golive import outcomes as o

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot carry


def _safe(text) -> str:
    return _NOT_XML.sub("?", "" if text is None else str(text))

# The JUnit element each golive outcome becomes (a passed case has none).
ELEMENT = {o.FAILED: "failure", o.ATTESTATION_MISSING: "failure", o.ERROR: "error", o.SKIPPED: "skipped",
           o.NOT_APPLICABLE: "skipped"}  # its message says why: it needs the live cluster, or an open incident


def _names(r, prefix: str | None) -> tuple[str, str]:
    if r.runbook_id:
        parts = r.runbook_id.split("/")
        return ".".join(["golive", *parts[:-1]]), r.runbook_id
    path, _, test = r.nodeid.partition("::")
    module = path.removesuffix(".py").replace("/", ".")
    return ".".join(p for p in (prefix, module) if p), test or path


def _properties(parent: ET.Element, fields: dict) -> None:
    props = ET.SubElement(parent, "properties")
    for name, value in fields.items():
        if value not in (None, ""):
            ET.SubElement(props, "property", name=name, value=_safe(value))


def gitlab() -> bool:
    """Under GitLab CI: its test report shows `[[ATTACHMENT|path]]` in a case's system-out as a link."""
    return os.environ.get("GITLAB_CI") == "true"


def gitlab_attachment(path: Path | None) -> str | None:
    """The page's path as GitLab wants it: relative to the project folder (CI_PROJECT_DIR) when under it."""
    if path is None:
        return None
    path = Path(path).resolve()
    project = os.environ.get("CI_PROJECT_DIR")
    if project:
        try:
            return str(path.relative_to(Path(project).resolve()))
        except ValueError:
            pass
    return str(path)


def _preflight_cases(suite: ET.Element, run, attachment: str | None) -> None:
    """A run the preflight stopped has no results: one <error> case per endpoint golive could not get into."""
    record = run.facts.get("preflight") or {}
    for a in record.get("answers") or []:
        if not a.get("blocks"):
            continue
        case = ET.SubElement(suite, "testcase", classname="golive.preflight", name=_safe(f"preflight/{a.get('endpoint')}"),
                             time=f"{(a.get('ms') or 0) / 1000:.3f}")
        _properties(case, {"outcome": "error", "status": a.get("status"), "target": a.get("target"),
                           "question": a.get("question")})
        message = f"golive could not run: {a.get('detail')}; {a.get('fix')}"
        ET.SubElement(case, "error", message=_safe(message[:1000])).text = _safe(message)
        if attachment:
            ET.SubElement(case, "system-out").text = _safe(f"[[ATTACHMENT|{attachment}]]")


def document(run, *, prefix: str | None = None, attachment: str | None = None) -> ET.ElementTree:
    facts, summary = run.facts, run.summary or {}
    verdict = summary.get("verdict") or {}
    results = run.results
    count = {kind: sum(1 for r in results if ELEMENT.get(r.raw_outcome if r.outcome == o.WAIVED else r.outcome) == kind)
             for kind in ("failure", "error", "skipped")}
    stopped = [a for a in (run.facts.get("preflight") or {}).get("answers") or [] if a.get("blocks")]
    count["error"] += len(stopped)
    name = f"golive {facts.get('environment', '?')} {facts.get('selection_label', '')}".strip()
    root = ET.Element("testsuites", name=name)
    suite = ET.SubElement(root, "testsuite", name=name, tests=str(len(results) + len(stopped)), failures=str(count["failure"]),
                          errors=str(count["error"]), skipped=str(count["skipped"]),
                          time=f"{sum(r.duration_s for r in results):.3f}", timestamp=facts.get("started", ""),
                          hostname=socket.gethostname())
    _properties(suite, {"golive.verdict": verdict.get("decision", "NO-GO (INCOMPLETE)"),
                        "golive.action": verdict.get("action"), "golive.exit_code": summary.get("exit_code"),
                        "golive.environment": facts.get("environment"), "golive.config_digest": facts.get("config_digest"),
                        "golive.run": facts.get("name"), "golive.git_revision": facts.get("git_revision")})
    for r in results:
        classname, test = _names(r, prefix)
        case = ET.SubElement(suite, "testcase", classname=_safe(classname), name=_safe(test), time=f"{r.duration_s:.3f}")
        fields = {"runbook_id": r.runbook_id, "phase": r.phase, "section": r.section, "text": r.text,
                  "severity": r.severity, "impact": r.impact, "kind": r.kind, "outcome": r.outcome,
                  "raw_outcome": r.raw_outcome, "role": r.role}
        if r.waiver:
            fields.update({f"waiver_{k}": r.waiver.get(k) for k in ("status", "ticket", "approver", "expires")})
        _properties(case, fields)
        decided = r.raw_outcome if r.outcome == o.WAIVED else r.outcome
        tag = ELEMENT.get(decided)
        if tag:
            message = r.message
            if r.outcome == o.WAIVED:
                message = f"[WAIVED until {r.waiver['expires']}, {r.waiver['ticket']}] {message}"
            ET.SubElement(case, tag, message=_safe(message[:1000])).text = _safe(r.detail or r.message)
        out = "\n".join(f"--- {title} ---\n{text}" for title, text in r.captured)
        if attachment and decided != o.PASSED:
            out = f"[[ATTACHMENT|{attachment}]]" + (f"\n{out}" if out else "")
        if out:
            ET.SubElement(case, "system-out").text = _safe(out)
    _preflight_cases(suite, run, attachment)
    ET.indent(root)
    return ET.ElementTree(root)


def write(run, path: Path, *, prefix: str | None = None, attachment: str | None = None) -> Path:
    """`attachment`: a path to link from every case that did not pass (GitLab's `[[ATTACHMENT|path]]`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")  # a reader never sees half a file
    document(run, prefix=prefix, attachment=attachment).write(tmp, encoding="utf-8", xml_declaration=True)
    tmp.replace(path)
    return path
