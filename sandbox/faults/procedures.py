"""Faults in the team's procedures rather than its systems: a runbook golive cannot apply, an incident handled
halfway. The sandbox's runbook is read from GOLIVE_SANDBOX_RUNBOOK when set (golive.toml), the incident record
from GOLIVE_INCIDENT (fixtures/incident.py): these faults point them at edited copies in the sandbox's state
folder, in the process that runs the checks (the self-tests run them in-process)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from sandbox import stack
from sandbox.faults import Fault, register

RUNBOOK = Path(__file__).resolve().parents[1] / "runbook" / "GO_LIVE_RUNBOOK.md"
RUNBOOK_ENV, INCIDENT_ENV = "GOLIVE_SANDBOX_RUNBOOK", "GOLIVE_INCIDENT"
MATRIX = "emergency/rollback-decision-matrix/"
TEMPLATES = "templates/"
LINES = "emergency/critical-issue-response/"
# The team's matrix with its severities shifted a row: golive's verdict no longer does what it says.
SHIFTED = {"| Application Crash | Critical | Immediate rollback |": "| Application Crash | High | Immediate rollback |",
           "| Performance Degradation | High |": "| Performance Degradation | Critical |",
           "| Minor Functionality | Medium | Fix in place |": "| Minor Functionality | Low | Fix in place |",
           "| Monitoring Issues | Low | Continue, fix post-deployment |":
               "| Monitoring Issues | Low | Continue, fix later |"}


def _folder() -> Path:
    folder = stack.state_dir() / "procedures"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _runbook(change) -> None:
    path = _folder() / "GO_LIVE_RUNBOOK.md"
    path.write_text(change(RUNBOOK.read_text()))
    os.environ[RUNBOOK_ENV] = str(path)


def _shift_matrix(text: str) -> str:
    for old, new in SHIFTED.items():
        text = text.replace(old, new)
    return text


def _incident(record: dict | None) -> None:
    path = _folder() / "incident" / "incident.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    if record is not None:
        path.write_text(json.dumps(record))
    os.environ[INCIDENT_ENV] = str(path)


# What `golive incident` writes without --golive-mutating, never verified: rendered, not sent, nobody paged.
UNSENT = {"schema": "golive-incident/1", "id": "sandbox-fault-unsent", "environment": "sandbox", "status": "open",
          "assessment": {"severity": "critical", "impact": "Application Crash", "action": "Immediate rollback",
                         "scope": "application", "duration": "5-10 min", "before_t0": False,
                         "rows": [{"impact": "Application Crash", "severity": "critical", "action": "Immediate rollback",
                                   "items": ["t-0/phase3/verify-application/check-pod-status"]}],
                         "failures": [{"runbook_id": "t-0/phase3/verify-application/check-pod-status",
                                       "message": "pod crash-loops", "hints": ["roll back"]}]},
          "messages": {name: {"path": "messages/x.txt", "posted": "not posted: pass --golive-mutating"}
                       for name in ("Critical Issue", "Rollback Decision")},
          "page": {"triggered": False, "status": "not paged: pass --golive-mutating"},
          "timeline": [{"at": "2026-12-01T00:00:00Z", "event": "detected", "detail": "run x"}], "attempts": []}


def _heal(name: str):
    def heal(_sb) -> None:
        os.environ.pop(name, None)
    return heal


register(
    Fault("runbook-matrix-shifted", "the team's Rollback Decision Matrix shifts severities and rewords an action",
          breaks=tuple(MATRIX + row for row in ("application-crash", "performance-degradation", "minor-functionality",
                                                "monitoring-issues")), expect="(runbook: 'high')",
          inject=lambda sb: _runbook(_shift_matrix), heal=_heal(RUNBOOK_ENV)),
    Fault("runbook-template-new-placeholder", "every communication template gains a [Customer impact] line",
          breaks=tuple(TEMPLATES + t for t in ("status-updates/pre-deployment", "status-updates/during-deployment",
                                               "status-updates/post-deployment", "incident-communication/critical-issue",
                                               "incident-communication/rollback-decision")),
          expect="leaves [Customer impact] unfilled",
          inject=lambda sb: _runbook(lambda text: text.replace("\nTeam,\n", "\nTeam,\n\nCustomer impact: [Customer impact]\n")),
          heal=_heal(RUNBOOK_ENV)),
    Fault("incident-record-missing", "a NO-GO nobody opened an incident for: no record",
          breaks=tuple(LINES + line for line in (
              "immediate-assessment/assess-severity-and-impact", "immediate-assessment/document-issue-details",
              "communication/send-incident-notification", "communication/update-stakeholders",
              "communication/escalate-if-necessary", "resolution/verify-resolution", "post-incident/document-incident")),
          expect="no incident record", inject=lambda sb: _incident(None), heal=_heal(INCIDENT_ENV)),
    Fault("incident-not-sent", "an incident recorded without --golive-mutating and never verified",
          breaks=tuple(LINES + line for line in (
              "communication/send-incident-notification", "communication/update-stakeholders",
              "communication/escalate-if-necessary", "resolution/verify-resolution", "post-incident/document-incident")),
          expect="was not sent", inject=lambda sb: _incident(UNSENT), heal=_heal(INCIDENT_ENV)),
)
