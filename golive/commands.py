"""The `golive` subcommands over time and across runs: watch, diff, report of several streams, push.

golive/cli.py declares their options and calls these; each returns the process exit code and says a bad
option or file in one line on stderr (exit 4), never a traceback.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from golive import config as configuration
from golive import persistence, results
from golive.verdict import USAGE_ERROR


def _fail(message: str) -> int:
    print(f"golive: {message}", file=sys.stderr)
    return USAGE_ERROR


def _entries(paths: list[str]):
    from golive import compare

    out = []
    for path in paths:
        try:
            out.append(compare.read(Path(path)))
        except (OSError, results.StreamError) as exc:
            raise results.StreamError(str(exc)) from None
    return out


def _page(page: Path, text: str) -> None:
    from golive.reporters import publish, write_text

    for target, digest in publish("html", write_text(page, text), []):
        print(f"wrote {target} (sha256 {digest[:16]}…, in {target.name}.sha256)")


def watch(args) -> int:
    from golive import watch as watching

    env_name = args.watch_env or args.golive_env or os.environ.get("GOLIVE_ENV")
    if not env_name:
        return _fail("watch needs an environment: --golive-env NAME (or GOLIVE_ENV)")
    env = configuration.load(env_name, args.golive_config)
    try:
        every = watching.seconds(args.every)
        rollback_after = watching.seconds(args.rollback_after) if args.rollback_after else \
            env.watch.rollback_after_minutes * 60
        if args.for_:
            window = watching.seconds(args.for_)
        else:
            window = watching.phase_duration(args.marker, env.path(env.runbook) if env.runbook else None)
            if window is None:
                return _fail(f"the runbook states no duration for {args.marker!r}: give the window with --for "
                             f"(e.g. --for 2h)")
    except watching.WatchError as exc:
        return _fail(str(exc))
    reports = args.golive_reports or os.environ.get("GOLIVE_REPORTS_DIR") or "reports"
    opts = watching.Options(
        marker=args.marker, environment=env_name, every_s=every, for_s=window,
        policy=persistence.Policy(rollback_after_s=rollback_after, flapping_changes=env.watch.flapping_changes,
                                  flapping_rounds=env.watch.flapping_rounds),
        reports=Path(reports).resolve(), config=args.golive_config, stop_on_rollback=args.stop_on_rollback,
        metrics_port=args.metrics_port if args.metrics_port is not None else env.watch.metrics_port,
        metrics_address=args.metrics_address or env.watch.metrics_address,
        pytest_args=[a for a in args.pytest_args if a != "--"],
        echo=lambda line: print(line, flush=True))
    try:
        code = watching.run(opts)
    except OSError as exc:  # a port in use, a reports folder we cannot write
        return _fail(f"watch: {exc.strerror or exc}")
    destination = os.environ.get("GOLIVE_ARTIFACTS_S3", "")
    if destination:  # in the cluster (docs/in-cluster.md): the watch's stream and page to the report store
        from golive import incluster

        try:
            print(f"golive reports: {incluster._upload(opts.written['stream'], {'environment': env_name}, destination)}")
        except Exception as exc:  # noqa: BLE001 - the verdict stands; say why the reports stayed in the pod
            print(f"golive: reports not uploaded to {destination}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return code


def diff(args) -> int:
    """Exit 1 when B regressed (a check newly fails, or its verdict is worse), else 0."""
    from golive import compare
    from golive.reporters import pages

    try:
        a, b = _entries([args.a, args.b])
    except results.StreamError as exc:
        return _fail(str(exc))
    d = compare.diff(a, b)
    for line in compare.diff_lines(d):
        print(line)
    b_path = Path(args.b)
    _page(Path(args.html) if args.html else b_path.with_name(f"{b_path.stem}.diff.html"),
          pages.render_diff(compare.diff_model(d)))
    return 1 if d.worse else 0


def report_many(paths: list[str], html: str | None) -> int:
    """One page for several streams (or one watch stream): the worst verdict; exit with the worst run's code."""
    from golive import compare, watch as watching
    from golive.reporters import pages

    if len(paths) == 1:  # a watch stream: its page, rebuilt
        stream = Path(paths[0])
        try:
            w = watching.load(stream)
        except (OSError, results.StreamError) as exc:
            return _fail(str(exc))
        v = w.judge()
        print(f"{v.decision}: {v.action} ({v.reason}); exit code {persistence.exit_code(v)}")
        _page(Path(html) if html else stream.with_name(stream.stem + ".rebuilt.html"),
              pages.render_watch(watching.page_model(w, v)))
        return persistence.exit_code(v)
    try:
        entries = _entries(paths)
    except results.StreamError as exc:
        return _fail(str(exc))
    model = compare.fleet_model(entries)
    for n, e in enumerate(model["runs"], start=1):
        print(f"run {n}: {e['decision']} · {e['label']} ({e['path']})")
    print(f"{model['decision']}: {model['action']} ({model['reason']}); exit code {model['exit_code']}")
    first = Path(paths[0])
    _page(Path(html) if html else first.with_name(f"{first.stem}.fleet.html"), pages.render_fleet(model))
    return model["exit_code"] if model["exit_code"] is not None else 1


def is_watch_stream(path: str) -> bool:
    from golive import watch as watching

    try:
        with open(path, encoding="utf-8") as f:
            first = f.readline()
    except (OSError, UnicodeDecodeError):
        return False
    import json

    try:
        return watching.is_watch([json.loads(first)])
    except ValueError:
        return False


def push(args) -> int:
    from golive import metrics

    try:
        run = results.load(Path(args.stream))
    except (OSError, results.StreamError) as exc:
        return _fail(str(exc))
    try:
        key = metrics.push(run, args.pushgateway, job=args.job)
    except OSError as exc:
        return _fail(f"could not push to {args.pushgateway}: {exc}")
    print(f"pushed {len(run.results)} checks of {args.stream} to {args.pushgateway} (job {args.job}, "
          + ", ".join(f"{k}={v}" for k, v in key.items()) + ")")
    return 0
