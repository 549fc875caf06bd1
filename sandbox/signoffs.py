"""The rehearsal team's sign-offs: every item of sandbox/seed/signoffs.yaml, signed into the sandbox's ledger.

Written here rather than by one `golive attest` run per item (half a second each, 50-odd items, on
every cold `up`), in the ledger format golive documents: {"version": 1, "entries": [...]}, each
entry signed with HMAC-SHA256 over its fields as sorted JSON. tests/test_attestations.py checks
that golive accepts what this writes, and that the seed names every role the checks ask for.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

SEED = Path(__file__).resolve().parent / "seed" / "signoffs.yaml"
SIGNED_FIELDS = ("item", "role", "by", "at", "expires", "evidence")
VALID_FOR = timedelta(hours=48)


class LedgerUnreadable(Exception):
    """The sandbox's ledger is not a ledger (one line, names the file)."""


def wanted() -> list[tuple[str, str]]:
    """(item, role) of every sign-off the rehearsal team gives."""
    return [(item, role) for role, items in yaml.safe_load(SEED.read_text()).items() for item in items]


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _signed(item: str, role: str, key: bytes, at: datetime) -> dict:
    entry = {"item": item, "role": role, "by": f"Rehearsal {role}", "at": _iso(at), "expires": _iso(at + VALID_FOR),
             "evidence": "sandbox rehearsal"}
    payload = json.dumps({f: entry[f] for f in SIGNED_FIELDS}, sort_keys=True).encode()
    return {**entry, "signature": hmac.new(key, payload, hashlib.sha256).hexdigest()}


def sign_all(key_file: Path, ledger: Path) -> int:
    """Create the key if there is none, and sign what the ledger lacks (items already signed are left alone)."""
    if not key_file.exists():
        key_file.write_text(os.urandom(32).hex())
        key_file.chmod(0o600)
    key = key_file.read_bytes().strip()
    try:
        entries = json.loads(ledger.read_text())["entries"] if ledger.exists() else []
        signed = {(e["item"], e["role"]) for e in entries}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LedgerUnreadable(f"{ledger}: not an attestation ledger ({exc}); move it aside and run up again") from None
    at = datetime.now(timezone.utc)
    new = [_signed(item, role, key, at) for item, role in wanted() if (item, role) not in signed]
    if new:
        tmp = ledger.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": 1, "entries": entries + new}, indent=2) + "\n")
        tmp.replace(ledger)
    return len(new)
