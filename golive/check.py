"""How a check is written: one test per runbook leaf, carrying its ID; probes return Findings.

    @runbook("t-2h/final-infrastructure-check/kubectl-get-nodes", impact=CRASH)
    def test_kubectl_get_nodes(k8s, cfg):
        expect(probes.nodes_ready(k8s.list("nodes"), minimum=cfg.eks.min_ready_nodes))

A check's outcome is remembered for the session with its evidence, so a success criterion that
summarises it (`summarise`) sees the very same verdict without asking any API again, and the
evidence stays on the check's own row whichever test ran it first.
"""
from __future__ import annotations

import contextvars
import functools
import inspect
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

from golive.outcomes import MUTATING_HINT, NEEDS_MUTATING, SKIPPED, Impact, not_run_on_purpose, worst
from golive.planning import Planned, await_plan, independently, planning  # noqa: F401 - independently: for the checks

CRASH = Impact.APPLICATION_CRASH
SECURITY = Impact.SECURITY_BREACH
DATA = Impact.DATA_CORRUPTION
PERFORMANCE = Impact.PERFORMANCE_DEGRADATION
MINOR = Impact.MINOR_FUNCTIONALITY
MONITORING = Impact.MONITORING_ISSUES

AUTOMATED, ATTESTED, DERIVED = "automated", "attested", "derived"
AREAS = ("infrastructure", "secrets", "application", "monitoring", "communication", "manual")


class CheckFailed(AssertionError):
    """The check decided: the target is not as the runbook requires.

    `severity`, when set, overrides the check's own: a success criterion fails as badly as the
    worst item it summarises, no worse and no better.
    """

    def __init__(self, message: str, severity: str | None = None):
        super().__init__(message)
        self.severity = severity


class Undecidable(Exception):
    """The check could not decide (endpoint down, garbage from an API): outcome 'error'."""


class NotRun(Undecidable):
    """Left out on purpose: a line that changes the target, in a run without --golive-mutating."""


class NotApplicable(pytest.skip.Exception):
    """The line does not apply to this run (its reason says why): the outcome "not applicable"
    (golive.outcomes.NOT_APPLICABLE), never a pass, never a NO-GO. A skip to pytest: JUnit shows it skipped
    with this reason. E.g. the Critical Issue Response lines when no incident is open (fixtures/incident.py)."""

    def __init__(self, reason: str):
        super().__init__(reason)


class NotBeforeDeploy(NotApplicable):
    """Asked of the manifests what only a running cluster can say (pods, endpoints, status): the outcome
    "not applicable" (golive.outcomes.NOT_APPLICABLE) before the deploy, never a pass, never a NO-GO.

    Raised for a check not marked `manifests=True` (before it runs), for one whose every part is `after_deploy`,
    and by the manifest source when asked for what only a cluster has. A skip to pytest: JUnit shows it skipped
    with this reason."""


class AttestationMissing(AssertionError):
    """A human sign-off the item needs is absent, malformed or expired."""


# --- Findings and evidence -------------------------------------------------------------------

EVIDENCE_LIMIT = 4000  # characters per evidence value; keeps reports small


@dataclass
class Finding:
    """A probe's verdict: one sentence naming the resource and why, plus what it looked at."""

    ok: bool
    summary: str
    resource: str = ""
    observed: Any = None
    expected: Any = None
    query: str = ""
    hint: str = ""  # what an on-call engineer should do about a failure
    details: dict = field(default_factory=dict)
    undecided: bool = False  # the probe got no usable answer: outcome "error", never a pass
    final: bool = False  # waiting cannot change it (the thing waited for is absent or failed, not in progress)

    def as_evidence(self) -> dict:
        out = {"ok": self.ok, "summary": self.summary, "resource": self.resource,
               "observed": self.observed, "expected": self.expected}
        if self.undecided:
            out["undecided"] = True
        if self.query:
            out["query"] = self.query
        if self.hint:
            out["hint"] = self.hint
        out.update(self.details)
        # A chart's series stay whole (the report downsamples them); everything else is capped.
        return {k: v if k == "chart" else _cap(v) for k, v in out.items()}


def passed(summary: str, **kw) -> Finding:
    return Finding(True, summary, **kw)


def failed(summary: str, **kw) -> Finding:
    return Finding(False, summary, **kw)


def undecided(summary: str, **kw) -> Finding:
    """The source did not answer the question (an API the endpoint lacks, access denied)."""
    return Finding(False, summary, undecided=True, **kw)


def _cap(value: Any) -> Any:
    text = repr(value) if not isinstance(value, (str, int, float, bool, type(None), list, dict)) else None
    if text is not None:
        value = text
    if isinstance(value, str) and len(value) > EVIDENCE_LIMIT:
        return value[:EVIDENCE_LIMIT] + f"… [{len(value) - EVIDENCE_LIMIT} more characters]"
    if isinstance(value, (list, dict)) and len(repr(value)) > EVIDENCE_LIMIT:
        return repr(value)[:EVIDENCE_LIMIT] + "… [truncated]"
    return value


# The evidence recorded by the running test (the plugin opens a fresh list per test).
EVIDENCE: contextvars.ContextVar[list] = contextvars.ContextVar("golive_evidence", default=[])
# The runbook ID of the test pytest is running (the plugin sets it), so a check decided on behalf
# of a success criterion keeps its evidence for its own row.
RUNNING_ITEM: contextvars.ContextVar[str | None] = contextvars.ContextVar("golive_running_item", default=None)
# The check running right now: item-specific fixtures (leaf, attestation) resolve against it, so a
# check summarised by a success criterion still sees its own runbook item.
CURRENT_SPEC: contextvars.ContextVar["Spec"] = contextvars.ContextVar("golive_current_spec")


@dataclass
class Decided:
    """A check's outcome in this session, with the evidence it recorded, kept by runbook ID."""

    error: BaseException | None
    evidence: list


# Checks already decided in this session (the plugin sets a dict per session).
DECIDED: contextvars.ContextVar[dict[str, Decided]] = contextvars.ContextVar("golive_decided")


# The answers the running check has read (gather.Source appends `(endpoint, call, value)`): when reading one
# breaks the check (a list of strings where objects were promised), the error names the endpoint and the answer.
ANSWERS: contextvars.ContextVar[list] = contextvars.ContextVar("golive_answers")
# The running check's own exchanges so far (login attempts, MCP tool calls), counted by what they ask.
EXCHANGES: contextvars.ContextVar[dict] = contextvars.ContextVar("golive_exchanges")


def own_exchange(*what) -> tuple | None:
    """The key of the running check's next exchange of `what` (a request that is itself the check): the nth of its
    kind in this check, the same whether planned ahead (golive/prefetch.py) or made when the check runs, so that
    it is made once, for this check alone, and may be made ahead. None outside a check."""
    spec, made = CURRENT_SPEC.get(None), EXCHANGES.get(None)
    if spec is None or made is None:
        return None
    made[what] = made.get(what, 0) + 1
    return ("exchange", spec.item_id, *what, made[what])


def is_own_exchange(key) -> bool:
    """A key `own_exchange` made: a check's own request (a login attempt, a latency probe, an MCP tool call)."""
    return isinstance(key, tuple) and key[:1] == ("exchange",)


def unreadable(exc: Exception, reads: list) -> Undecidable:
    """A check that broke on what it read (AttributeError, KeyError, TypeError...) did not decide: say which
    endpoint's answer it was reading, what that answer was, and where golive broke on it."""
    frames = [f for f in _frames(exc.__traceback__) if not f[0].endswith("/golive/check.py")
              and any(part in f[0] for part in ("/golive/", "/checks/", "/fixtures/"))]
    at = f" at {frames[-1][0].rsplit('/', 2)[-2]}/{frames[-1][0].rsplit('/', 1)[-1]}:{frames[-1][1]}" if frames else ""
    what = f"{type(exc).__name__}: {str(exc)[:160]}{at}"
    if not reads:
        return Undecidable(f"golive could not decide ({what})")
    endpoint, call, value = reads[-1]
    others = sorted({r[0] for r in reads[:-1]} - {endpoint})
    also = f"; it also read {', '.join(others)}" if others else ""
    return Undecidable(f"could not read what {endpoint} answered to {call}: {_excerpt(value)} ({what}){also}")


def _frames(tb):
    while tb is not None:
        yield tb.tb_frame.f_code.co_filename, tb.tb_lineno
        tb = tb.tb_next


def _excerpt(value: Any) -> str:
    """An answer in a few words: an HTTP response by status, type and start of body; data by its start."""
    if hasattr(value, "status") and hasattr(value, "text"):
        kind = (getattr(value, "headers", None) or {}).get("Content-Type", "")
        return f"HTTP {value.status} {kind} {value.text[:100]!r}".replace("  ", " ")
    text = repr(value)
    return text if len(text) <= 120 else text[:120] + "…"


# True in manifest mode (`--golive-manifests`): the objects come from files, nothing is deployed yet.
BEFORE_DEPLOY: contextvars.ContextVar[bool] = contextvars.ContextVar("golive_before_deploy", default=False)


@dataclass(frozen=True)
class AfterDeploy:
    """The part of a check that needs the live cluster (pods Ready, targets up, status): decided after the deploy
    only. `decide()` returns a Finding or several."""

    what: str
    decide: Callable[[], Any]


def after_deploy(what: str, decide: Callable[[], Any]) -> AfterDeploy:
    """Wrap the runtime part of a manifest-capable check: `expect(wiring_finding, after_deploy("pods Ready", lambda: ...))`.
    Live, `decide()` runs and its findings count; in manifest mode it is recorded as not applicable before the deploy."""
    return AfterDeploy(what, decide)


def record(finding: Finding) -> Finding:
    EVIDENCE.get().append(finding.as_evidence())
    return finding


def expect(*parts: Finding | AfterDeploy) -> None:
    """Record each finding as evidence and fail with the sentences of those that did not pass.

    An `after_deploy(...)` part is decided now on a live cluster; before the deploy (manifest mode) it is
    recorded as not applicable and the check speaks for the rest.
    """
    findings = []
    for part in parts:  # recorded in the check's order, each as soon as it is known
        if isinstance(part, AfterDeploy):
            if BEFORE_DEPLOY.get():
                EVIDENCE.get().append({"not_applicable": "before deploy", "summary": f"not applicable before the "
                                       f"deploy: {part.what} (needs the live cluster)"})
                continue
            decided = part.decide()
            decided = list(decided) if isinstance(decided, (list, tuple)) else [decided]
        else:
            decided = [part]
        findings += [record(f) for f in decided]
    if parts and not findings:
        raise NotBeforeDeploy("needs the live cluster: nothing this check looks at can be decided from manifests")
    bad = [f for f in findings if not f.ok]
    if bad:
        hints = {f.hint for f in bad if f.hint}
        message = "; ".join(f.summary for f in bad)
        if hints:
            message += " -> " + " ".join(sorted(hints))
        # A decided failure outweighs an undecided part; otherwise the check could not decide.
        raise CheckFailed(message) if any(not f.undecided for f in bad) else Undecidable(message)


def settle(probe: Callable[[bool], Finding], *, deadline_s: float, interval_s: float) -> Finding:
    """Re-run `probe(fresh)` until it passes or the deadline passes; every attempt is evidence.

    `fresh` is False on the first attempt (use the session's cached data) and True afterwards. It stops early
    when waiting cannot help: the source is down (the probe raises), the answer undecidable, or the probe says
    its failure is final (what it waits for is absent, not on its way).
    """
    start = time.monotonic()
    attempts = []
    fresh = False
    while True:
        finding = probe(fresh)
        attempts.append({"t": round(time.monotonic() - start, 2), "ok": finding.ok, "summary": finding.summary})
        if finding.ok or finding.undecided or finding.final or time.monotonic() - start >= deadline_s:
            break
        if planning():  # planning ahead (golive/prefetch.py) never waits: the check settles when it runs
            raise Planned("settle")
        time.sleep(interval_s)
        fresh = True
    if len(attempts) > 1:
        finding.details["attempts"] = attempts
        if finding.ok:
            finding.summary += f" (passed after {len(attempts)} attempts, {attempts[-1]['t']} s)"
        else:
            finding.summary += f" (still failing after {attempts[-1]['t']:.0f} s, {len(attempts)} attempts)"
    return finding


# --- The decorator that binds a test to its runbook leaf -------------------------------------


@dataclass(frozen=True)
class Spec:
    item_id: str
    kind: str
    impact: Impact
    area: str
    role: str | None = None  # for attested items: who must sign
    mutating: bool = False
    manifests: bool = False  # decides (part of) its item from the team's manifests, before the deploy


def runbook(item_id: str, *, kind: str = AUTOMATED, impact: Impact = CRASH, area: str = "infrastructure",
            role: str | None = None, mutating: bool = False, manifests: bool = False):
    """Bind a test to one runbook leaf. Phase markers come from the catalogue, not from here.

    `manifests=True`: the check decides from Kubernetes objects alone (its runtime parts in `after_deploy`), so
    it also runs in manifest mode, before the deploy; the others are not applicable then and are left out.
    """
    if kind not in (AUTOMATED, ATTESTED, DERIVED):
        raise ValueError(f"unknown kind {kind!r}")
    if area not in AREAS:
        raise ValueError(f"unknown area {area!r}")
    if kind == ATTESTED and not role:
        raise ValueError(f"{item_id}: an attested item names the role that must attest")
    spec = Spec(item_id, kind, impact, area, role, mutating, manifests)

    def decorate(fn):
        def run(*args, **kwargs):
            token, reads = CURRENT_SPEC.set(spec), []
            read_token, exchanges_token = ANSWERS.set(reads), EXCHANGES.set({})
            try:
                return fn(*args, **kwargs)
            except (AssertionError, Undecidable):
                raise
            except Exception as exc:  # noqa: BLE001 - broke on an answer: undecided, never a decided failure
                raise unreadable(exc, reads) from None
            finally:
                ANSWERS.reset(read_token)
                EXCHANGES.reset(exchanges_token)
                CURRENT_SPEC.reset(token)

        @functools.wraps(fn)
        def remembered(*args, **kwargs):
            decided = DECIDED.get(None)
            if decided is None:  # called outside a golive session
                return run(*args, **kwargs)
            if item_id not in decided:
                evidence: list = []
                token = EVIDENCE.set(evidence)  # its own list: a criterion that runs it does not absorb it
                try:
                    run(*args, **kwargs)
                    decided[item_id] = Decided(None, evidence)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as exc:  # noqa: BLE001 - remembered, then re-raised
                    decided[item_id] = Decided(exc, evidence)
                finally:
                    EVIDENCE.reset(token)
            outcome = decided[item_id]
            if RUNNING_ITEM.get() == item_id:  # the check's own test: its evidence goes on its own row
                EVIDENCE.get().extend(outcome.evidence)
            if outcome.error is not None:
                raise outcome.error
            return None

        remembered.golive_spec = spec
        marks = [pytest.mark.runbook(item_id, spec=spec), getattr(pytest.mark, area)]
        if kind == ATTESTED:
            marks.append(pytest.mark.manual)
        if mutating:
            marks.append(pytest.mark.mutating)
        if manifests:
            marks.append(pytest.mark.manifests)
        for mark in marks:
            remembered = mark(remembered)
        return remembered

    return decorate


def outcomes(request, *checks: Callable) -> list[tuple[Spec, BaseException | None]]:
    """Each check's outcome in this session: its remembered result, or it runs now (once)."""
    results = []
    for check in checks:
        if BEFORE_DEPLOY.get() and not check.golive_spec.manifests:  # as its own test would end, before running
            results.append((check.golive_spec, NotBeforeDeploy("needs the live cluster")))
            continue
        if check.golive_spec.mutating and not request.config.getoption("--golive-mutating"):
            # Never change the target on a criterion's behalf: unrun, it cannot vouch for anything.
            results.append((check.golive_spec, NotRun(NEEDS_MUTATING)))
            continue
        kwargs = {name: request.getfixturevalue(name) for name in _parameters(check)}
        await_plan(check.golive_spec.item_id)  # its reads, made ahead for its own test (golive/prefetch.py)
        try:
            check(**kwargs)
            results.append((check.golive_spec, None))
        except (AssertionError, Undecidable, NotBeforeDeploy) as exc:
            results.append((check.golive_spec, exc))
        except pytest.skip.Exception as exc:  # a criterion over lines not run on purpose is not run on purpose
            why = str(exc.msg)
            results.append((check.golive_spec, NotRun(why) if not_run_on_purpose(SKIPPED, why) else
                            Undecidable(f"not run: {exc}")))
    return results


@functools.cache
def _parameters(check: Callable) -> tuple[str, ...]:
    """The fixtures a check asks for (inspect.signature follows `__wrapped__` each time: slow, and asked often)."""
    return tuple(inspect.signature(check).parameters)


def skip_if_only_not_run(results: list[tuple[Spec, BaseException | None]]) -> None:
    """Skip the running check as not run on purpose when the only lines of `results` (from `outcomes`) that did
    not pass were left out for want of --golive-mutating: it cannot vouch for them, and they are not the target's
    failure."""
    left = [(spec, exc) for spec, exc in results if exc is not None and not isinstance(exc, NotBeforeDeploy)]
    missing = [spec.item_id for spec, _ in left]
    if missing and all(isinstance(exc, NotRun) for _, exc in left):  # (before the deploy: not applicable, not missing)
        pytest.skip(f"not run: {len(missing)} of the {len(results)} lines it speaks for change the target and were "
                    f"not run ({', '.join(missing)}); {MUTATING_HINT}")


def summarise(request, *checks: Callable) -> list[str]:
    """Decide a success criterion from the checks it summarises, reusing their session results.

    Returns the IDs that passed. Fails naming each summarised item that did not pass when one of them failed;
    could not decide when none failed but some could not be decided; is not run, as they were, when the only
    ones missing are lines that change the target in a run without --golive-mutating (never the target's
    failure, nor a rollback: `golive.verdict` counts it as not run).
    """
    ok, problems, severities, live_only, not_run = [], [], [], [], []
    failed, results = False, outcomes(request, *checks)
    for spec, exc in results:
        if exc is None:
            ok.append(spec.item_id)
        elif isinstance(exc, NotBeforeDeploy):  # manifest mode: it speaks for what the manifests decide
            live_only.append(spec.item_id)
        else:
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            problems.append(f"{spec.item_id}: {first_line}")
            failed |= isinstance(exc, AssertionError)
            if isinstance(exc, NotRun):
                not_run.append(spec.item_id)
            # An undecided check is as bad as a critical one: nothing vouches for it.
            severities.append(getattr(exc, "severity", None) or
                              (spec.impact.severity if isinstance(exc, AssertionError) else "critical"))
    # The criterion's row refers to the results it summarises; their evidence stays on their own rows.
    EVIDENCE.get().append({"summarises": [c.golive_spec.item_id for c in checks], "passed": ok,
                           "failed": problems, **({"not_applicable": live_only} if live_only else {}),
                           **({"not_run": not_run} if not_run else {})})
    if live_only and not ok and not problems:
        raise NotBeforeDeploy("needs the live cluster: every item it summarises does")
    if failed:
        raise CheckFailed(f"{len(problems)} of {len(checks)} summarised items failed: " + " | ".join(problems),
                          severity=worst(severities))
    skip_if_only_not_run(results)
    if problems:
        raise Undecidable(f"{len(problems)} of {len(checks)} summarised items could not be decided: "
                          + " | ".join(problems))
    return ok
