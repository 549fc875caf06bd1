"""The GO / NO-GO verdict: the runbook's Rollback Decision Matrix applied to one run's results.

Pure functions, no pytest, no I/O: `decide(results, selected=..., status=...)` gives the verdict,
`exit_code(verdict, status)` the process exit code; `EXIT_CODES` is the contract the README's
table is generated from (`golive exit-codes`).

    GO                every selected check passed, nothing waived
    GO WITH FINDINGS  only medium/low checks did not pass, and/or failures covered by current waivers
    NO-GO             a critical/high check failed, could not decide, lacks its attestation, has an
                      expired waiver; or the run is incomplete (interrupted, checks not run, nothing run)
"""
from __future__ import annotations

from dataclasses import dataclass, field

from golive import outcomes as o
from golive.outcomes import PASSED, SEVERITIES, WAIVED
from golive.results import Result

GO, FINDINGS, NO_GO = "GO", "GO WITH FINDINGS", "NO-GO"
PROCEED = "Proceed to the next step of the runbook"

# pytest's own exit statuses that golive keeps (see EXIT_CODES).
INTERRUPTED, INTERNAL_ERROR, USAGE_ERROR, NO_TESTS_COLLECTED = 2, 3, 4, 5


@dataclass(frozen=True)
class Verdict:
    decision: str
    action: str  # what to do, from the Rollback Decision Matrix
    reason: str  # one sentence
    blocking: tuple[Result, ...] = ()  # what made it NO-GO
    findings: tuple[Result, ...] = ()  # medium/low results that did not pass
    waived: tuple[Result, ...] = ()
    incomplete: tuple[str, ...] = ()  # why the run cannot speak for everything selected
    counts: dict = field(default_factory=dict)  # severity -> outcome -> n
    checked: int = 0  # results that decided something (not "not applicable")
    not_applicable: tuple[Result, ...] = ()  # checks that need the live cluster (manifest mode) or an open incident
    before_deploy: bool = False  # a manifest run: it speaks only for what the manifests can decide

    @property
    def nothing_checked(self) -> bool:
        return self.checked == 0


COULD_NOT_GET_IN = "Do not proceed: golive itself could not get in; fix its access and run again (nothing was checked)"


def decide(results, *, selected: int | None = None, status: int = 0, broken: tuple[str, ...] = (),
           stopped: tuple[str, ...] = (), before_deploy: bool = False) -> Verdict:
    """The verdict for one run.

    `selected`: how many checks the run selected (None: unknown); fewer results means some never ran.
    `status`: pytest's exit status, to notice interrupted runs.
    `broken`: check modules that could not be collected (each a line naming the module and why).
    `stopped`: why the preflight stopped the run before any check (golive/preflight.py): one line per
    endpoint golive could not get into, or a wrong account or cluster. Not the target's failure.
    `before_deploy`: a manifest run (--golive-manifests). Its "not applicable" results are neither passes nor
    failures: the verdict speaks for the checks that decided, and says how many could not. The same holds in any
    run for the Critical Issue Response lines when no incident is open (o.NO_INCIDENT_OPEN).
    """
    results = list(results)
    not_applicable = tuple(r for r in results if r.outcome == o.NOT_APPLICABLE)
    no_incident = tuple(r for r in not_applicable if o.no_incident(r))
    live_only = tuple(r for r in not_applicable if not o.no_incident(r))
    before_deploy = before_deploy or bool(live_only)
    if stopped:
        names = list(dict.fromkeys(line.split(" (", 1)[0] for line in stopped))
        return Verdict(NO_GO, COULD_NOT_GET_IN, f"nothing was checked: the preflight stopped the run "
                       f"({', '.join(names)}: what to fix is below)",
                       incomplete=tuple(f"preflight: {line}" for line in stopped))
    blocking, findings, waived, not_run = [], [], [], []
    counts: dict[str, dict[str, int]] = {}
    for r in results:
        per = counts.setdefault(r.severity if r.severity in SEVERITIES else o.FAIL_CLOSED, {})
        per[r.outcome] = per.get(r.outcome, 0) + 1
        if r.outcome in (PASSED, o.NOT_APPLICABLE):
            continue
        if o.not_run_on_purpose(r.outcome, r.message):
            not_run.append(r)  # left out on purpose: not run, not a failure of the target
        elif r.outcome == WAIVED:
            waived.append(r)
        elif r.waiver_status == "expired" or o.blocks(r.severity):
            blocking.append(r)
        else:
            findings.append(r)
    # Most severe first; runbook order is kept within a severity (sort is stable).
    blocking.sort(key=lambda r: r.rank)
    findings.sort(key=lambda r: r.rank)
    incomplete = [f"check module not collected: {line}" for line in broken]
    if status == INTERRUPTED and not broken:
        incomplete.append("the run was interrupted")
    elif status == INTERNAL_ERROR:
        incomplete.append("pytest stopped on an internal error")
    if selected is not None and len(results) < selected:
        incomplete.append(f"{selected - len(results)} of {selected} selected checks did not run")
    if not_run:
        incomplete.append(mutating_not_run(not_run))
    decided = [r for r in results if r.outcome != o.NOT_APPLICABLE]
    common = dict(blocking=tuple(blocking), findings=tuple(findings), waived=tuple(waived),
                  incomplete=tuple(incomplete), counts=counts, checked=len(decided),
                  not_applicable=not_applicable, before_deploy=before_deploy)
    if not_applicable and not decided:  # checking nothing is never a GO; nor is it the target's NO-GO
        if not live_only:
            return Verdict(NO_GO, "Nothing to decide on this run: run these lines during a critical issue "
                           "(`golive incident`), or select a runbook phase",
                           f"nothing was decided: all {len(no_incident)} selected lines are not applicable, "
                           f"{o.NO_INCIDENT_OPEN}" + ("; " + "; ".join(incomplete) if incomplete else ""), **common)
        return Verdict(NO_GO, "Do not proceed on this run: none of its checks decides from manifests; select a "
                       "phase that has some (-m t_minus_24) or run these after the deploy",
                       f"nothing was decided: all {len(live_only)} selected checks need the live cluster "
                       f"(not applicable before deploy)" + ("; " + "; ".join(incomplete) if incomplete else ""),
                       **common)
    verdict = _decide(decided, blocking, findings, waived, not_run, incomplete, common,
                      what="decided" if before_deploy else "selected")
    reason = _scope(verdict, decided, live_only) if before_deploy and decided else verdict.reason
    if no_incident and decided:
        reason += (f"; {len(no_incident)} line{'s' if len(no_incident) != 1 else ''} not applicable "
                   f"({o.NO_INCIDENT_OPEN})")
    if reason == verdict.reason:
        return verdict
    return Verdict(verdict.decision, verdict.action, reason, **{k: getattr(verdict, k) for k in common})


def _scope(verdict: Verdict, decided: list[Result], not_applicable) -> str:
    """A manifest run's reason: what it decided, and how much only the live cluster can decide."""
    parts = sum(1 for r in decided for ev in r.evidence if isinstance(ev, dict) and ev.get("not_applicable"))
    live = (f"{len(not_applicable)} check{'s' if len(not_applicable) != 1 else ''} need the live cluster "
            f"(not applicable before deploy)")
    if parts:
        live += f", and {parts} part{'s' if parts != 1 else ''} of the decided checks"
    return (f"{verdict.decision} for what manifests can decide: {len(decided)} check"
            f"{'s' if len(decided) != 1 else ''}; {live}; {verdict.reason}")


def _decide(results, blocking, findings, waived, not_run, incomplete, common, what: str) -> Verdict:
    if not results:
        if incomplete:
            return Verdict(NO_GO, "Do not proceed: fix what stopped the run and run it again",
                           "nothing was checked: " + "; ".join(incomplete), **common)
        return Verdict(NO_GO, "Do not proceed: select the runbook phase to check and run again",
                       "nothing was checked: no runbook check was selected", **common)
    if blocking or incomplete:
        parts = [f"{len(blocking)} blocking result{'s' if len(blocking) != 1 else ''} "
                 f"({_tally(blocking)})"] if blocking else []
        action = blocking[0].action if blocking else (
            "Do not proceed: run them with --golive-mutating" if not_run and len(incomplete) == 1
            else "Do not proceed: re-run the checks that did not run")
        if blocking and all(o.before_t0(r.id) for r in results):
            action = (f"Do not proceed: before T-0 nothing is deployed; fix what blocks and run again "
                      f"(after the deploy the matrix says: {action})")
        return Verdict(NO_GO, action, "; ".join(parts + incomplete), **common)
    if findings or waived:
        parts = [f"{len(findings)} non-blocking finding{'s' if len(findings) != 1 else ''} ({_tally(findings)})"
                 ] if findings else []
        if waived:
            parts.append(f"{len(waived)} failing check{'s' if len(waived) != 1 else ''} waived")
        action = findings[0].action if findings else f"{PROCEED}; the waived checks stay open until their tickets close"
        return Verdict(FINDINGS, action, "; ".join(parts), **common)
    return Verdict(GO, PROCEED, f"all {len(results)} {what} checks passed", **common)


def mutating_not_run(results) -> str:
    """ "4 lines not run: pass --golive-mutating (t-1h/..., ...)": named in the verdict, the terminal and the page."""
    ids = ", ".join(r.id for r in results)
    return f"{len(results)} line{'s' if len(results) != 1 else ''} not run: pass --golive-mutating ({ids})"


def _tally(results: list[Result]) -> str:
    seen: dict[str, int] = {}
    for r in results:
        key = f"{r.severity} {'failed (waiver expired)' if r.waiver_status == 'expired' else r.outcome}"
        seen[key] = seen.get(key, 0) + 1
    return ", ".join(f"{n} {what}" for what, n in seen.items())


# --- The exit-code contract -------------------------------------------------------------------


@dataclass(frozen=True)
class ExitCode:
    code: int
    name: str
    meaning: str


EXIT_CODES = (
    ExitCode(0, "GO", "Every selected check passed and nothing is waived."),
    ExitCode(1, "NO-GO", "A critical or high check failed, could not decide (error), lacks its attestation, or "
                         "failed under an expired waiver (any severity); or selected checks did not run. "
                         "Same number as pytest's 'tests failed'."),
    ExitCode(2, "INTERRUPTED", "pytest's own code: the run was interrupted (Ctrl-C, collection errors). The "
                               "verdict is NO-GO and the report covers what ran."),
    ExitCode(3, "INTERNAL ERROR", "pytest's own code: pytest or a plugin crashed. Treat as NO-GO; the JSONL "
                                  "stream holds the results so far (`golive report`)."),
    ExitCode(4, "COULD NOT RUN", "Usage error: a bad configuration, waiver file or option (one line on stderr; the "
                                 "`golive` command exits 4 on the same), "
                                 "or nothing selected (pytest's 5, 'no tests collected', becomes 4: CI recipes "
                                 "often accept 5 as success, and checking nothing is never a GO); or the "
                                 "preflight found that golive itself cannot get in (no or expired credentials, "
                                 "401/403, an in-cluster name not resolvable from here) or is pointed at the "
                                 "wrong AWS account or cluster: one line per endpoint on stderr saying what to "
                                 "fix, no check run, the report written. Not the target's failure: fix golive's "
                                 "access and run again."),
    ExitCode(10, "GO WITH FINDINGS", "Nothing blocks: only medium/low checks failed or could not decide, and/or "
                                     "failures are covered by current waivers. Recommended action from the matrix: fix in place "
                                     "(medium) or continue, fix post-deployment (low). "
                                     "Non-zero on purpose: a pipeline goes ahead on findings only when it says "
                                     "so (accept 0 and 10); 10 is clear of pytest's 0-5 and the shell's 126+."),
)
CODE = {c.name: c.code for c in EXIT_CODES}


def exit_code(verdict: Verdict, status: int = 0) -> int:
    """The process exit code for a verdict, keeping pytest's codes for runs that broke down."""
    if status in (INTERRUPTED, INTERNAL_ERROR, USAGE_ERROR):
        return status
    if verdict.nothing_checked:
        return CODE["COULD NOT RUN"]
    return {GO: CODE["GO"], FINDINGS: CODE["GO WITH FINDINGS"], NO_GO: CODE["NO-GO"]}[verdict.decision]


def exit_codes_markdown() -> str:
    rows = [f"| {c.code} | {c.name} | {c.meaning} |" for c in EXIT_CODES]
    return "\n".join(["| exit | verdict | meaning |", "|---|---|---|", *rows])
