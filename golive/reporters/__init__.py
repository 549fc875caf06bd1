"""Reporters: each renders the same `golive.results.Run`, none reads pytest's reports.

    terminal.py  the verdict and, per failure, its sentence, observed, expected and what to do
    jsonl.py     the stream, written as the run goes (a killed run keeps what finished)
    junit.py     JUnit XML: test cases named by runbook ID, properties from the result
    html.py      the self-contained sign-off page (Jinja2 templates in templates/)

`publish` puts each written artifact under its run name and `latest.*`, the page with a SHA-256 sidecar.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

LATEST = {"html": "latest.html", "junit": "latest.xml", "jsonl": "latest.jsonl"}


def publish(kind: str, written: Path, copies: list[Path]) -> list[tuple[Path, str]]:
    """Copy `written` to each of `copies` (atomically); an HTML page gets `<name>.sha256` beside every copy.

    Returns (path, sha256) of each signed page.
    """
    targets = list(dict.fromkeys([written, *copies]))
    for target in targets[1:]:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        shutil.copyfile(written, tmp)
        tmp.replace(target)
    if kind != "html":
        return []
    digest = hashlib.sha256(written.read_bytes()).hexdigest()
    for target in targets:
        Path(f"{target}.sha256").write_text(f"{digest}  {target.name}\n")
    return [(target, digest) for target in targets]


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
