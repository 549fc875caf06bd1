"""Attestations: signed, expiring records that a named role has done what no API can check.

The ledger is a JSON file per environment (`attestations.ledger` in golive.toml):

    {"version": 1, "entries": [{"item": "t-24h/team-briefing/review-go-live-timeline",
      "role": "Technical Lead", "by": "Ana Ruiz", "at": "2026-11-29T08:00:00Z",
      "expires": "2026-11-30T08:00:00Z", "evidence": "https://wiki/briefing", "signature": "…"}]}

Each entry is signed with HMAC-SHA256 under the team's attestation key (GOLIVE_ATTESTATION_KEY,
or the file `attestations.key_file`), so an entry edited by hand no longer verifies.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import shlex
import shutil
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

KEY_ENV = "GOLIVE_ATTESTATION_KEY"
FIELDS = ("item", "role", "by", "at", "expires", "evidence")


class LedgerError(Exception):
    """The ledger file is unreadable or malformed (one line, names the file and entry)."""


@dataclass(frozen=True)
class Entry:
    item: str
    role: str
    by: str
    at: str
    expires: str
    evidence: str = ""
    signature: str = ""

    def payload(self) -> bytes:
        return json.dumps({f: getattr(self, f) for f in FIELDS}, sort_keys=True).encode()


def now() -> datetime:
    return datetime.now(timezone.utc)


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone; use UTC, e.g. 2026-11-29T08:00:00Z")
    return value.astimezone(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def load_key(key_file: Path | None) -> bytes | None:
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    if key_file and key_file.exists():
        return key_file.read_bytes().strip()
    return None


def sign(entry: Entry, key: bytes) -> str:
    return hmac.new(key, entry.payload(), hashlib.sha256).hexdigest()


def read(path: Path) -> list[Entry]:
    """All entries, validated for shape; an absent file is an empty ledger."""
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise LedgerError(f"{path}: not a readable JSON attestation ledger ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise LedgerError(f"{path}: expected {{\"version\": 1, \"entries\": [...]}}")
    entries = []
    for n, raw in enumerate(data["entries"], start=1):
        if not isinstance(raw, dict):
            raise LedgerError(f"{path}: entry {n} is not an object")
        missing = [f for f in ("item", "role", "by", "at", "expires", "signature") if not raw.get(f)]
        unknown = sorted(set(raw) - set(FIELDS) - {"signature"})
        if missing or unknown:
            what = f"missing {', '.join(missing)}" if missing else f"unknown keys {', '.join(unknown)}"
            raise LedgerError(f"{path}: entry {n} ({raw.get('item', '?')}) {what}; record it with `golive attest`")
        try:
            parse_time(raw["at"]), parse_time(raw["expires"])
        except ValueError as exc:
            raise LedgerError(f"{path}: entry {n} ({raw['item']}) has a bad time: {exc}") from None
        entries.append(Entry(**{k: str(v) for k, v in raw.items()}))
    return entries


def append(path: Path, entry: Entry) -> None:
    entries = read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"version": 1, "entries": [asdict(e) for e in entries + [entry]]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, indent=2) + "\n")
    tmp.replace(path)


def record(path: Path, key: bytes, item: str, role: str, by: str, evidence: str = "",
           valid_for: timedelta = timedelta(hours=24), at: datetime | None = None) -> Entry:
    at = at or now()
    entry = Entry(item, role, by, iso(at), iso(at + valid_for), evidence)
    entry = Entry(**{**asdict(entry), "signature": sign(entry, key)})
    append(path, entry)
    return entry


@dataclass
class Verdict:
    ok: bool
    message: str
    entry: Entry | None = None


def invocation(env_name: str, config_file: str | os.PathLike | None = None) -> str:
    """The `golive` command line that reaches `env_name` from the current folder, to paste as is.

    The `golive` beside the running Python (`.venv/bin/golive` after `make bootstrap`, which is not on
    PATH), and `--golive-config` only when the configuration is not ./golive.toml.
    """
    script = Path(sys.executable).parent / "golive"
    if script.is_file() and shutil.which("golive") != str(script):
        program = os.path.relpath(script) if script.is_relative_to(Path.cwd()) else str(script)
    else:
        program = "golive"
    words = [program, "--golive-env", env_name]
    if config_file and Path(config_file).resolve() != (Path.cwd() / "golive.toml").resolve():
        words += ["--golive-config", str(config_file)]
    return shlex.join(words)


def judge(entries: list[Entry], item: str, role: str, key: bytes | None, max_age: timedelta,
          at: datetime | None = None, command: str = "golive") -> Verdict:
    """The newest attestation of `item` by `role`, if it is genuine and current.

    `command`: how to call golive for this environment (`invocation()`), for the hint in each message.
    """
    at = at or now()
    how = f"record it: {command} attest {item} --role {shlex.quote(role)} --by 'FULL NAME' --evidence URL"
    mine = [e for e in entries if e.item == item]
    if not mine:
        return Verdict(False, f"not attested: the {role} has not signed off '{item}' -> {how}")
    by_role = [e for e in mine if e.role == role]
    if not by_role:
        others = ", ".join(sorted({e.role for e in mine}))
        return Verdict(False, f"attested by {others}, but this item needs the {role} -> {how}")
    entry = max(by_role, key=lambda e: parse_time(e.at))
    if key is None:
        return Verdict(False, f"cannot verify the {role}'s attestation: no attestation key "
                              f"(set {KEY_ENV} or attestations.key_file)", entry)
    if not hmac.compare_digest(entry.signature, sign(entry, key)):
        return Verdict(False, f"the {role}'s attestation by {entry.by} does not verify (edited by hand, or "
                              f"signed with another key) -> {how}", entry)
    signed_at, expires = parse_time(entry.at), parse_time(entry.expires)
    if signed_at > at + timedelta(minutes=5):
        return Verdict(False, f"the {role}'s attestation is dated in the future ({entry.at}) -> {how}", entry)
    if expires <= at:
        return Verdict(False, f"the {role}'s attestation by {entry.by} expired at {entry.expires} -> {how}", entry)
    if at - signed_at > max_age:
        return Verdict(False, f"the {role}'s attestation by {entry.by} is {(at - signed_at).days} days old, older "
                              f"than the {max_age.total_seconds() / 3600:.0f} h allowed -> {how}", entry)
    return Verdict(True, f"attested by {entry.by} ({role}) at {entry.at}, valid until {entry.expires}", entry)
