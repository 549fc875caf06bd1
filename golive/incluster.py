"""The in-cluster runner, the container image's entrypoint: one runbook phase, its reports to S3.

    python -m golive.incluster 'MARKER EXPRESSION' [pytest options ...]

Runs the checks selected by the marker expression (`smoke`, `t_minus_2`, `t_zero and phase2_secrets`)
against GOLIVE_ENV, writes the reports under GOLIVE_REPORTS_DIR (a temporary folder by default: the
image's root filesystem is read-only), uploads the run's HTML, its .sha256, the JUnit XML and the JSONL
stream to GOLIVE_ARTIFACTS_S3 (`s3://BUCKET/PREFIX`: objects PREFIX/<env>/<run>/<file>, under the AWS
identity the checks use; IAM: deploy/iam-artifacts-policy.json), and ends with a short verdict summary on
stdout, so `kubectl logs job/...` tells the result. Its exit code is golive's (`golive exit-codes`); a
failed upload is said on stderr and does not change it.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

HERE = Path(__file__).resolve().parent.parent  # the checks, conftest.py and pytest.ini beside golive/
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml", ".jsonl": "application/x-ndjson",
                 ".sha256": "text/plain"}
USAGE = "usage: python -m golive.incluster 'MARKER EXPRESSION' [pytest options] (e.g. smoke, t_minus_2)"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-") or not argv[0].strip():
        print(f"golive: {USAGE}", file=sys.stderr)
        return 4
    expression, extra = argv[0], argv[1:]
    destination = os.environ.get("GOLIVE_ARTIFACTS_S3", "")
    if destination and (urlsplit(destination).scheme != "s3" or not urlsplit(destination).netloc):
        print(f"golive: GOLIVE_ARTIFACTS_S3={destination!r} is not s3://BUCKET[/PREFIX]", file=sys.stderr)
        return 4
    reports = Path(os.environ.get("GOLIVE_REPORTS_DIR") or tempfile.mkdtemp(prefix="golive-reports-"))
    before = set(reports.glob("*.jsonl"))
    os.chdir(HERE)
    code = int(pytest.main(["-p", "no:cacheprovider", "-m", expression, f"--golive-reports={reports}", *extra]))
    streams = sorted(set(reports.glob("*.jsonl")) - before - {reports / "latest.jsonl"}, key=lambda p: p.stat().st_mtime)
    if not streams:
        print(f"golive: exit {code}; no run stream under {reports}", flush=True)
        return code
    stream = streams[-1]
    run, summary = _read(stream)
    uploaded = ""
    if destination:
        try:
            uploaded = _upload(stream, run, destination)
        except Exception as exc:  # noqa: BLE001 - the verdict stands; say why the reports stayed in the pod
            print(f"golive: reports not uploaded to {destination}: {type(exc).__name__}: {exc}", file=sys.stderr)
    print(_summary_line(run, summary, code), flush=True)
    print(f"golive reports: {uploaded or reports}", flush=True)
    return code


def _read(stream: Path) -> tuple[dict, dict]:
    run, summary = {}, {}
    for line in stream.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("type") == "run":
            run = record
        elif record.get("type") == "summary":
            summary = record
    return run, summary


def _summary_line(run: dict, summary: dict, code: int) -> str:
    verdict = summary.get("verdict") or {}
    outcomes: dict[str, int] = {}
    for by_outcome in (verdict.get("counts") or {}).values():
        for outcome, n in by_outcome.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + n
    counts = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) or "no results"
    return (f"golive verdict: {verdict.get('decision', 'NO-GO (run cut short)')} (exit {code}) "
            f"environment={run.get('environment', '?')} selection={run.get('selection_label', '?')}: {counts}. "
            f"{verdict.get('action', '')}").strip()


def _upload(stream: Path, run: dict, destination: str) -> str:
    """PutObject each of the run's files (the only write golive makes, to its own prefix)."""
    from fixtures.aws import UPLOAD, make_session
    from golive import config

    cfg = config.load(run.get("environment"))
    target = urlsplit(destination)
    prefix = "/".join(p for p in (target.path.strip("/"), cfg.name, stream.stem) if p)
    s3 = make_session(cfg, UPLOAD).client("s3", region_name=cfg.aws.region, endpoint_url=cfg.aws.endpoint_url)
    files = [p for p in sorted(stream.parent.glob(f"{stream.stem}.*")) if p.suffix in CONTENT_TYPES]
    for path in files:
        s3.put_object(Bucket=target.netloc, Key=f"{prefix}/{path.name}", Body=path.read_bytes(),
                      ContentType=CONTENT_TYPES[path.suffix])
    return f"s3://{target.netloc}/{prefix}/ ({', '.join(p.name for p in files)})"


if __name__ == "__main__":
    raise SystemExit(main())
