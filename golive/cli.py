"""`golive`: a run of the checks, and everything that is not one (runbook coverage, attestations, waivers,
reports).

    golive -m smoke --golive-env production    an option (not a command below) first runs the checks:
                                               pytest's and golive's options, golive's checks unless
                                               test paths are given (after the options)

Exit codes follow a run's contract (`golive exit-codes`): 4 on a bad configuration, file, option or
argument, said in one line on stderr; `golive report` exits with the code of the run it reads.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from datetime import timedelta
from pathlib import Path

from golive import attest, commands, config as configuration, coverage as cov
from golive.verdict import USAGE_ERROR


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line and the usage-error code of a golive run, not argparse's usage block and its 2.
        print(f"{self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(USAGE_ERROR)


def _duration(text: str) -> timedelta:
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if not text or text[-1] not in units or not text[:-1].isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: use a number with m, h or d, e.g. 12h")
    return timedelta(**{units[text[-1]]: int(text[:-1])})


def cmd_runbook(args) -> int:
    env = None
    if args.golive_env:
        env = configuration.load(args.golive_env, args.golive_config)
    path = Path(args.runbook) if args.runbook else (env.path(env.runbook) if env and env.runbook else None)
    result = cov.coverage(_checks(args), path)
    if not args.quiet:
        width = max(len(leaf.id) for leaf in result.runbook.items)
        print(f"{'runbook item'.ljust(width)}  {'phase':<10} {'kind':<9} test")
        for leaf in result.runbook.items:
            bound = result.bound.get(leaf.id, [])
            test = ", ".join(b.test for b in bound) or "-- NO TEST --"
            kind = bound[0].spec.kind if bound else "-"
            print(f"{leaf.id.ljust(width)}  {leaf.markers[-1]:<10} {kind:<9} {test}")
    counts = result.counts()
    print(f"\n{len(result.runbook.items)} runbook leaves in {result.runbook.path}; "
          + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))
    for problem in result.problems():
        print(f"GAP: {problem}", file=sys.stderr)
    return 0 if result.ok else 1


def cmd_attest(args) -> int:
    env = configuration.load(args.golive_env, args.golive_config)
    book_path = env.path(env.runbook) if env.runbook else None
    from golive import runbook as catalogue

    if args.item not in catalogue.load(book_path).by_id:
        print(f"golive: {args.item!r} is not a runbook item (see `golive runbook`)", file=sys.stderr)
        return USAGE_ERROR
    refused = _refusal(_checks(args), args.item, args.role)
    if refused:
        print(f"golive: {refused}", file=sys.stderr)
        return USAGE_ERROR
    key = attest.load_key(env.path(env.attestations.key_file) if env.attestations.key_file else None)
    if key is None:
        print(f"golive: no attestation key: set {attest.KEY_ENV} or attestations.key_file", file=sys.stderr)
        return USAGE_ERROR
    ledger = env.path(env.attestations.ledger)
    entry = attest.record(ledger, key, args.item, args.role, args.by, args.evidence or "", args.valid_for)
    print(f"attested {entry.item} as {entry.role} by {entry.by} at {entry.at}, valid until {entry.expires} "
          f"-> {ledger}")
    return 0


def _checks(args) -> Path:
    return Path(args.checks) if args.checks else cov.checks_folder()


def _refusal(checks: Path, item: str, role: str) -> str | None:
    """Why `golive attest ITEM --role ROLE` would sign what no check reads, or None when a check asks for it.

    The roles come from the checks (`@runbook(..., role=...)`): the same spec the run judges with.
    """
    if not checks.is_dir():
        return f"no checks folder at {checks.resolve()}: pass --checks DIR"
    bound = cov.bound_tests(checks).get(item, [])
    if not bound:
        return f"{item} has no check, so nothing would read its attestation (see `golive runbook`)"
    roles = sorted({b.spec.role for b in bound if b.spec.role})
    if not roles:
        return (f"{item} takes no attestation: its {bound[0].spec.kind} check decides it from the systems "
                f"({bound[0].test})")
    if role not in roles:
        accepted = " or ".join(f"--role {shlex.quote(r)}" for r in roles)
        return f"{item} is signed off by the {' or the '.join(roles)}, not {role!r}: use {accepted}"
    return None


def cmd_exit_codes(args) -> int:
    from golive import verdict

    print(verdict.exit_codes_markdown())
    return 0


def cmd_report(args) -> int:
    """The verdict and page of a run from its JSONL stream (also of a run killed before it finished)."""
    from golive import results, verdict
    from golive.reporters import html, publish, write_text

    if len(args.stream) > 1 or commands.is_watch_stream(args.stream[0]):  # golive/commands.py
        return commands.report_many(args.stream, args.html)
    stream = Path(args.stream[0])
    try:
        run = results.load(stream)
    except (OSError, results.StreamError) as exc:
        print(f"golive: {exc}", file=sys.stderr)
        return verdict.USAGE_ERROR
    if run.summary is None:  # the run was killed: decide from what it streamed, as an interrupted run
        decided = verdict.decide(run.results, selected=run.selected, status=verdict.INTERRUPTED)
        code = verdict.exit_code(decided, verdict.INTERRUPTED)
        run.summary = {"type": "summary", "verdict": results.verdict_record(decided, code), "exit_code": code,
                       "waivers": run.facts.get("waivers", []), "phases": results.phases_of(run.results),
                       "signoff_roles": [results.SIGNOFF_LEADER], "ledger": results.ledger(run.results)}
        print(f"golive: {stream} has no summary: the run stopped early; deciding from "
              f"{len(run.results)} streamed results", file=sys.stderr)
    v = run.summary["verdict"]
    print(f"{v['decision']}: {v['action']} ({v['reason']}); exit code {v['exit_code']} ({v['exit_name']})")
    # Beside the stream, never over the run's own (signed) page.
    page = Path(args.html) if args.html else stream.with_name(stream.stem + ".rebuilt.html")
    for target, digest in publish("html", write_text(page, html.render(run.as_dict())), []):
        print(f"wrote {target} (sha256 {digest[:16]}…, in {target.name}.sha256)")
    return v["exit_code"]


def cmd_incident(args) -> int:
    """The Critical Issue Response from a run: assess, communicate, record; `verify` until resolved."""
    from golive import incident, results, runbook as catalogue
    from golive.communications import SendFailed
    from golive.reporters import LATEST

    reports = Path(args.reports or os.environ.get("GOLIVE_REPORTS_DIR") or "reports")
    try:
        if args.step == "verify":
            record = incident.Incident.load(incident.find(reports, args.incident))
            env = configuration.load(args.golive_env or record.environment, args.golive_config)
            _incident_secrets(env, args.golive_mutating)
            book = catalogue.load(env.path(env.runbook) if env.runbook else None)
            deadline = args.deadline or timedelta(minutes=env.incident.verify_deadline_minutes)
            interval = args.interval if args.interval is not None else env.incident.verify_interval_seconds
            print(f"incident {record.id}: re-running {len(record.assessment.get('rerun', []))} line(s) until they "
                  f"pass or {deadline} passes")
            green = incident.verify(record, env, book, deadline=deadline, interval=interval,
                                    mutating=args.golive_mutating, config=args.golive_config, cwd=Path.cwd(),
                                    load=results.load, changes_target={
                                        item for item, bound in cov.bound_tests(Path(args.checks)).items()
                                        if bound[0].spec.mutating})
            print(f"incident {record.id}: {record.status}; page: {record.page.get('status')}; "
                  f"record {record.folder / 'incident.md'}")
            return 0 if green else 1
        stream = Path(args.source) if args.source else reports / LATEST["jsonl"]
        run = results.load(stream)
        env = configuration.load(args.golive_env or run.facts.get("environment"), args.golive_config)
        _incident_secrets(env, args.golive_mutating)
        book = catalogue.load(env.path(env.runbook) if env.runbook else None)
        areas = {item: bound[0].spec.area for item, bound in cov.bound_tests(Path(args.checks)).items()}
        assessment = incident.assess(run, areas, env.incident.rollback_minutes)
        if not assessment.failures:
            print(f"golive: {stream}: {assessment.decision}, nothing failed: no incident to open ({assessment.reason})")
            return 0
        record = incident.open_incident(run, stream, env, book, areas, reports, mutating=args.golive_mutating)
    except OSError as exc:
        print(f"golive: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return USAGE_ERROR
    except (results.StreamError, incident.IncidentError, SendFailed) as exc:
        print(f"golive: {exc}", file=sys.stderr)
        return USAGE_ERROR
    a = record.assessment
    print(f"incident {record.id} ({env.name}): {a['impact']} ({a['severity']}) -> {a['action']}")
    print(f"  rollback scope: {a['scope']}, expected {a['duration']}"
          + ("; before T-0: nothing is deployed yet" if a["before_t0"] else ""))
    for f in a["failures"][:10]:
        print(f"  ✗ {f['runbook_id']} [{f['severity']}, {f['outcome']}]: {f['message']}")
    for name, message in record.messages.items():
        print(f"  {name}: {message['path']} ({message['posted']})")
    print(f"  PagerDuty: {record.page['status']}")
    print(f"record: {record.folder / 'incident.md'} (+ incident.json, postmortem.md); "
          f"after the fix: golive incident verify")
    return 0


def _incident_secrets(env, mutating: bool) -> None:
    """Sending is asked for: the webhook and routing key must be there before anything is sent."""
    if not mutating:
        return
    from golive.incident import IncidentError

    missing = [name for name in (env.communications.slack_webhook_env, env.communications.pagerduty_routing_key_env)
               if not os.environ.get(name)]
    if missing:
        raise IncidentError(f"--golive-mutating sends the messages and the page: set {' and '.join(missing)}")


def _seconds(text: str) -> float:
    try:
        value = float(text.removesuffix("s"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use seconds, e.g. 15 or 15s") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 seconds")
    return value


def cmd_waivers(args) -> int:
    from golive import runbook as catalogue, waivers

    env = configuration.load(args.golive_env, args.golive_config)
    path = Path(args.file) if args.file else (env.path(env.waivers) if env.waivers else None)
    if args.template:
        print(json.dumps(waivers.template(), indent=2))
        return 0
    try:
        found = waivers.load(path, catalogue.load(env.path(env.runbook) if env.runbook else None).by_id)
    except waivers.WaiverError as exc:
        print(f"golive: {exc}", file=sys.stderr)
        return USAGE_ERROR
    if path is None or not path.exists():
        where = f"no waiver file at {path}" if path else "no waiver file configured (`waivers` in golive.toml)"
        start = attest.invocation(env.name, env.source) + " waivers --template"
        if path:
            folder = "" if path.parent.is_dir() else f"mkdir -p {shlex.quote(os.path.relpath(path.parent))} && "
            start = f"{folder}{start} > {shlex.quote(os.path.relpath(path))}"
        print(f"{where}: nothing is waived. Start one from the template: {start} (docs/waivers.md)")
        return 0
    print(f"{path}: {len(found)} waiver(s)")
    for w in found.values():
        d = w.as_dict()
        state = "EXPIRED" if d["status"] == "expired" else f"expires in {d['expires_in_days']} days"
        print(f"  {w.item}: {state} ({w.expires}); {w.approver}, {w.ticket}: {w.reason}")
    return 0


# The run options that take a value. Joined to it (--golive-config=PATH) before pytest sees them: pytest
# places its rootdir and its ini file before it knows any plugin's options, and takes a separate PATH for a
# test path.
_VALUED = ("--golive-env", "--golive-config", "--golive-item", "--golive-reports", "--golive-waivers",
           "--golive-manifests")


def _command(argv: list[str]) -> str | None:
    """The first word after any leading --golive-env/--golive-config: a command, an option, or None."""
    rest = list(argv)
    while rest and (rest[0] in ("--golive-env", "--golive-config") or rest[0].startswith(("--golive-env=",
                                                                                         "--golive-config="))):
        rest = rest[1 + ("=" not in rest[0]):]
    return rest[0] if rest else None


def run_checks(argv: list[str]) -> int:
    """`golive [pytest options]`: pytest with golive's plugin and checks, whatever folder it runs in."""
    import pytest

    joined, rest = [], list(argv)
    while rest:
        word = rest.pop(0)
        if word in _VALUED and rest:
            word = f"{word}={rest.pop(0)}"
        joined.append(word)
    # As pytest.ini has it: anyio's pytest plugin (installed with the MCP SDK) imports asyncio's backend at
    # startup and no check uses it; `golive -p anyio ...` turns it back on.
    return int(pytest.main(["-p", "no:anyio", *joined]))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    first = _command(argv)
    if first is not None and first.startswith("-") and first not in ("-h", "--help"):
        return run_checks(argv)
    parser = _Parser(prog="golive", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--golive-env", default=None, help="environment in golive.toml (or GOLIVE_ENV)")
    parser.add_argument("--golive-config", default=None, help="configuration file (default golive.toml)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("runbook", help="print the coverage matrix; exit 1 on a gap")
    p.add_argument("--checks", default=None, help="folder of check modules (default: golive's own)")
    p.add_argument("--runbook", default=None, help="runbook file (default: the environment's, or the shipped copy)")
    p.add_argument("-q", "--quiet", action="store_true", help="only the counts and gaps")
    p.set_defaults(func=cmd_runbook)

    p = sub.add_parser("attest", help="record a signed attestation for a runbook item")
    p.add_argument("item", help="runbook item ID, e.g. t-24h/team-briefing/review-go-live-timeline")
    p.add_argument("--role", required=True, help="runbook role, e.g. 'DevOps Lead'")
    p.add_argument("--by", required=True, help="full name of the person attesting")
    p.add_argument("--evidence", default="", help="link to evidence (minutes, ticket, recording)")
    p.add_argument("--valid-for", type=_duration, default=timedelta(hours=24), help="e.g. 12h, 2d (default 24h)")
    p.add_argument("--checks", default=None, help="folder of check modules, which name each item's role "
                                                  "(default: golive's own)")
    p.set_defaults(func=cmd_attest)

    p = sub.add_parser("exit-codes", help="the exit-code contract of a golive run (markdown table)")
    p.set_defaults(func=cmd_exit_codes)

    p = sub.add_parser("report", help="the verdict and page from a run's JSONL stream (also of a killed run); "
                                      "exit with its code")
    p.add_argument("stream", nargs="+", help="reports/<run>.jsonl; several: one page for all, the worst verdict "
                                             "(<first>.fleet.html); a `golive watch` stream: its page")
    p.add_argument("--html", default=None, help="where to write the page (default <run>.rebuilt.html beside the "
                                                "stream), with a .sha256 sidecar")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("watch", help="re-run a phase on an interval and judge the rounds (rollback if persists, "
                                     "flapping); docs/watch.md")
    p.add_argument("-m", dest="marker", required=True, help="the phase marker, e.g. t_plus_1h")
    p.add_argument("--golive-env", dest="watch_env", default=None, help="environment in golive.toml (or GOLIVE_ENV)")
    p.add_argument("--every", default="5m", metavar="DURATION", help="interval between rounds' starts: 30s, 5m, 1h (default 5m)")
    p.add_argument("--for", dest="for_", metavar="DURATION", default=None, help="how long to watch (default: the phase's duration in "
                                                          "the runbook, e.g. 2h for t_plus_1h)")
    p.add_argument("--rollback-after", default=None, metavar="DURATION", help="how long a high failure must hold to roll back "
                                                          "(default watch.rollback_after_minutes, 15m)")
    p.add_argument("--stop-on-rollback", action="store_true", help="stop at the first decided rollback")
    p.add_argument("--metrics-port", type=int, default=None, help="serve Prometheus metrics on this port "
                                                                  "(default watch.metrics_port: off)")
    p.add_argument("--metrics-address", default=None, help="address to serve them on (default 0.0.0.0)")
    p.add_argument("--golive-reports", default=None, help="folder for the watch's stream, page and rounds "
                                                          "(default reports, or GOLIVE_REPORTS_DIR)")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: more pytest options for every round, "
                                                                 "e.g. -- --golive-item t+1h/performance-monitoring/")
    p.set_defaults(func=commands.watch)

    p = sub.add_parser("diff", help="what changed from run A to run B: newly failing, fixed, still failing, newly "
                                    "waived, the verdict; exit 1 when B regressed")
    p.add_argument("a", help="the earlier run's JSONL stream")
    p.add_argument("b", help="the later run's JSONL stream")
    p.add_argument("--html", default=None, help="where to write the page (default <B>.diff.html)")
    p.set_defaults(func=commands.diff)

    p = sub.add_parser("push", help="push a run's results as metrics to a Prometheus Pushgateway")
    p.add_argument("stream", help="reports/<run>.jsonl (e.g. reports/latest.jsonl)")
    p.add_argument("--pushgateway", required=True, help="the Pushgateway's URL, e.g. http://pushgateway:9091")
    p.add_argument("--job", default="golive", help="the job label (default golive)")
    p.set_defaults(func=commands.push)

    p = sub.add_parser("waivers", help="validate and list the environment's waivers (exit 4 on a bad file)")
    p.add_argument("--file", default=None, help="waiver file (default: `waivers` in golive.toml)")
    p.add_argument("--template", action="store_true", help="print a waiver file to fill in (docs/waivers.md); "
                                                          "refused until every placeholder is replaced")
    p.set_defaults(func=cmd_waivers)

    p = sub.add_parser("incident", help="the Critical Issue Response from a run's JSONL: assess, communicate, "
                                        "record; `incident verify` re-runs what failed until it passes")
    p.add_argument("step", nargs="?", choices=["verify"], help="verify: re-run the incident's failed lines until "
                                                              "green or the deadline; resolve the page when green")
    p.add_argument("--from", dest="source", default=None, help="the run's JSONL (default <reports>/latest.jsonl)")
    p.add_argument("--incident", default=None, help="verify: the incident ID or record (default the latest)")
    p.add_argument("--reports", default=None, help="reports folder (default GOLIVE_REPORTS_DIR or reports)")
    p.add_argument("--checks", default="checks", help="folder of check modules (default checks)")
    p.add_argument("--golive-mutating", action="store_true", help="post the messages to Slack and page through "
                                                                 "PagerDuty (webhook and routing key from the "
                                                                 "environment)")
    p.add_argument("--deadline", type=_duration, default=None, help="verify: give up after this, e.g. 15m "
                                                                    "(default incident.verify_deadline_minutes)")
    p.add_argument("--interval", type=_seconds, default=None, help="verify: seconds between attempts "
                                                                  "(default incident.verify_interval_seconds)")
    p.set_defaults(func=cmd_incident)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (configuration.ConfigError, attest.LedgerError) as exc:
        print(f"golive: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
