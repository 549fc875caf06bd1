"""Who ran what, where and with which inputs: the `run` record at the top of every artifact."""
from __future__ import annotations

import getpass
import hashlib
import importlib.metadata
import os
import platform
import re
import socket
import subprocess
from pathlib import Path

import pytest

from golive.results import SCHEMA, iso


def selection_label(config) -> str:
    """What the run selected, for file names: `smoke`, `t-2h`, `smoke+t-2h`, or `all`."""
    parts = [config.option.markexpr] if config.option.markexpr else []
    parts += [i.rstrip("/") for i in config.getoption("--golive-item")]
    parts += [f"k-{config.option.keyword}"] if config.option.keyword else []
    if not parts:  # a path selection: checks/t_minus_4h -> t_minus_4h
        parts = [Path(a.split("::")[0]).stem for a in config.args if Path(a.split("::")[0]).stem != "checks"]
    label = "+".join(re.sub(r"[^A-Za-z0-9+.\-]+", "-", p).strip("-") for p in parts) or "all"
    return label[:60]


def selection_text(config) -> str:
    opt = config.option
    parts = [f"-m {opt.markexpr!r}"] if opt.markexpr else []
    parts += [f"-k {opt.keyword!r}"] if opt.keyword else []
    parts += [f"--golive-item {i}" for i in config.getoption("--golive-item")]
    manifests = config.getoption("--golive-manifests", default=[])
    text = " ".join(parts) or "everything collected"
    return text + (f", before the deploy against manifests {', '.join(manifests)}" if manifests else "")


def sha256(path: Path | None) -> str | None:
    if path is None or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git_revision(root: Path) -> str:
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (git not available)"
    if rev.returncode != 0:
        return "unknown (not a git checkout)"
    return rev.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def operator() -> str:
    who = os.environ.get("GOLIVE_OPERATOR") or os.environ.get("GITHUB_ACTOR") or os.environ.get("GITLAB_USER_LOGIN")
    try:
        who = who or getpass.getuser()
    except (KeyError, OSError):
        who = who or "unknown"
    return f"{who} on {socket.gethostname()}"


def version() -> str:
    try:
        return importlib.metadata.version("golive")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def facts(config, env, book, *, name: str, label: str, started: float, waiver_path: Path | None, waivers: dict,
          artifacts: dict[str, Path], redactor) -> dict:
    attestations = env.path(env.attestations.ledger)
    return {
        "schema": SCHEMA, "name": name, "environment": env.name,
        "description": env.description, "cluster": env.eks.cluster, "region": env.aws.region,
        "account": env.aws.account_id, "selection_label": label, "selection": selection_text(config),
        "operator": operator(), "started": iso(started),
        "golive_version": version(), "git_revision": git_revision(config.rootpath),
        "config_file": env.source, "config_digest": env.digest,
        "runbook_file": str(book.path), "runbook_sha256": sha256(Path(book.path)),
        "attestation_file": str(attestations), "attestation_sha256": sha256(attestations),
        "waiver_file": str(waiver_path) if waiver_path else None, "waiver_sha256": sha256(waiver_path),
        "waivers": [w.as_dict() for w in waivers.values()],
        "command": redactor.text("pytest " + " ".join(config.invocation_params.args)),
        "artifacts": {k: str(v) for k, v in artifacts.items()},
        "python": platform.python_version(), "pytest": pytest.__version__,
    }
