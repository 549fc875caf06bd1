"""golive's vocabulary, in one place: outcomes, severities, the decision-matrix rows, their order.

Everything that compares, sorts or names an outcome or a severity imports it from here.
"""
from __future__ import annotations

from enum import Enum

# --- Outcomes of one check -------------------------------------------------------------------

PASSED = "passed"
FAILED = "failed"  # decided: the target is not as the runbook requires
ERROR = "error"  # could not decide: endpoint down, bad data, a broken fixture
ATTESTATION_MISSING = "attestation missing"
SKIPPED = "skipped"  # not decided
WAIVED = "waived"  # did not pass, covered by a current waiver
# The line does not apply to this run, and its message says why. Neither a pass nor a failure: the verdict leaves
# it out and says how many. Manifest mode: the check needs the running system (pods, targets, metrics), which does
# not exist before the deploy. Any run: the Critical Issue Response lines when no incident is open.
NOT_APPLICABLE = "not applicable"
OUTCOMES = (PASSED, FAILED, ERROR, ATTESTATION_MISSING, SKIPPED, WAIVED, NOT_APPLICABLE)
# Outcomes as earlier results streams spell them, read back as today's (`golive report` of an older run).
FORMER_OUTCOMES = {"not applicable before deploy": NOT_APPLICABLE}
# Why a Critical Issue Response line is not applicable: no incident record (fixtures/incident.py).
NO_INCIDENT_OPEN = "no incident open: these lines apply during a critical issue (`golive incident`)"


def no_incident(result) -> bool:
    """Not applicable because no incident is open (not because nothing is deployed yet)."""
    return result.outcome == NOT_APPLICABLE and result.message == NO_INCIDENT_OPEN

# --- Severities, most severe first -----------------------------------------------------------

SEVERITIES = ("critical", "high", "medium", "low")
BLOCKING = frozenset({"critical", "high"})
FAIL_CLOSED = "critical"  # an unknown severity, or a test bound to no runbook item, decides like this


def rank(severity: str | None) -> int:
    """0 for the most severe; an unknown severity ranks as critical (fail closed)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def worst(severities) -> str:
    return min(severities, key=rank, default=FAIL_CLOSED)


def blocks(severity: str | None) -> bool:
    return severity not in SEVERITIES or severity in BLOCKING


# --- The runbook's Rollback Decision Matrix --------------------------------------------------


class Impact(str, Enum):
    """Rows of the runbook's Rollback Decision Matrix."""

    APPLICATION_CRASH = "Application Crash"
    DATA_CORRUPTION = "Data Corruption"
    SECURITY_BREACH = "Security Breach"
    PERFORMANCE_DEGRADATION = "Performance Degradation"
    MINOR_FUNCTIONALITY = "Minor Functionality"
    MONITORING_ISSUES = "Monitoring Issues"

    @property
    def severity(self) -> str:
        return SEVERITY[self]

    @property
    def action(self) -> str:
        return ACTION[self]


SEVERITY = {
    Impact.APPLICATION_CRASH: "critical",
    Impact.DATA_CORRUPTION: "critical",
    Impact.SECURITY_BREACH: "critical",
    Impact.PERFORMANCE_DEGRADATION: "high",
    Impact.MINOR_FUNCTIONALITY: "medium",
    Impact.MONITORING_ISSUES: "low",
}
ACTION = {
    Impact.APPLICATION_CRASH: "Immediate rollback",
    Impact.DATA_CORRUPTION: "Immediate rollback",
    Impact.SECURITY_BREACH: "Immediate rollback",
    Impact.PERFORMANCE_DEGRADATION: "Monitor, rollback if persists",
    Impact.MINOR_FUNCTIONALITY: "Fix in place",
    Impact.MONITORING_ISSUES: "Continue, fix post-deployment",
}
# The matrix by severity (each severity has one action): right for a success criterion, whose
# severity is that of the worst item it summarises, and for a test bound to no runbook item.
SEVERITY_ACTION = {SEVERITY[impact]: action for impact, action in ACTION.items()}


def action_for(severity: str | None) -> str:
    return SEVERITY_ACTION.get(severity, SEVERITY_ACTION[FAIL_CLOSED])


# Runbook phases before the production deployment (T-0), and the checklists read before it: nothing is deployed
# yet, so a blocking failure there means "do not proceed", not a rollback of production.
BEFORE_T0 = ("pre/", "contacts/", "t-24h/", "t-4h/", "t-2h/", "t-1h/", "t-30m/", "templates/",
             "emergency/rollback-decision-matrix/")


def before_t0(runbook_id: str | None) -> bool:
    return (runbook_id or "").startswith(BEFORE_T0)


# A check that changes the target, in a run without --golive-mutating: skipped with this reason, and counted
# by the verdict as not run (never as a blocking failure of the target); so is a criterion that speaks for
# such lines and for nothing that failed (its reason ends as theirs does).
MUTATING_HINT = "pass --golive-mutating"
NEEDS_MUTATING = f"not run: it changes the target; {MUTATING_HINT}"


def not_run_on_purpose(outcome: str, message: str) -> bool:
    """Left out for want of --golive-mutating: not run, neither passed nor the target's failure."""
    return outcome == SKIPPED and message.endswith(MUTATING_HINT)


# Sort key for a test whose runbook item is unknown: after every runbook line.
UNLISTED_ORDER = 10**6


# --- A result's message, shortened for one line ------------------------------------------------

ACTION_MARK = " -> "  # golive.check.expect: "sentence; sentence -> what to do"


def brief(message: str, width: int) -> str:
    """The message's first line in about `width` characters, keeping its whole first sentence and the action.

    A message reads "sentence; sentence -> what to do": shortening drops the later sentences (saying how
    many), never the end of the first one or the action after "->", which is what on-call acts on.
    """
    line = (message or "").splitlines()[0] if message else ""
    if len(line) <= width:
        return line
    said, mark, action = line.partition(ACTION_MARK)
    sentences = _sentences(said)
    short = sentences[0] + (f" (+{len(sentences) - 1} more)" if len(sentences) > 1 else "")
    return short + (mark + action if mark else "")


def _sentences(text: str) -> list[str]:
    """`expect` joins findings with "; "; one inside brackets ("(need 3; free 2)") belongs to its sentence."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(char, 0)
        if depth <= 0 and text.startswith("; ", i):
            parts.append(text[start:i])
            start = i + 2
    return parts + [text[start:]]
