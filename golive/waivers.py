"""Waivers: recorded, expiring decisions to go ahead although a check fails.

The format, with an example, is documented in docs/waivers.md; `golive waivers --template` prints one.
One JSON file per environment (`waivers` in golive.toml, or `--golive-waivers PATH`):

    {"version": 1, "waivers": [
      {"item": "t-2h/resource-validation/validate-security-groups",
       "reason": "Bastion SSH open until the SSM migration lands", "approver": "Olu Adebayo (Security Lead)",
       "ticket": "SEC-1432", "expires": "2026-12-01T00:00:00Z", "created": "2026-11-29T08:00:00Z"}]}

A waived check still runs and keeps its evidence. While the waiver is current, the check's failure
is reported as "waived" and does not block (the verdict is at best GO WITH FINDINGS); once the
waiver has expired the failure blocks (NO-GO) whatever its severity. IDs are exact runbook IDs, no
patterns. The file is validated before any check runs: a problem is one line (`WaiverError`),
and the run stops with the usage-error code. An absent file waives nothing.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from golive.attest import iso, now, parse_time

REQUIRED = ("item", "reason", "approver", "ticket", "expires")
OPTIONAL = ("created",)


# What `golive waivers --template` prints: every value but the times is a placeholder that `load` refuses,
# so a template waives nothing until someone has filled in each of them.
PLACEHOLDERS = {
    "item": "RUNBOOK ID of the failing check, exactly as `golive runbook` prints it",
    "reason": "why going ahead despite this failure is acceptable, and until when",
    "approver": "NAME (ROLE) of who accepts the risk",
    "ticket": "TICKET that tracks the fix, e.g. SEC-1432",
}


def template(at: datetime | None = None, valid_for: timedelta = timedelta(days=7)) -> dict:
    """A waiver file with one waiver to fill in, expiring `valid_for` from now."""
    at = at or now()
    return {"version": 1, "waivers": [{**PLACEHOLDERS, "expires": iso(at + valid_for), "created": iso(at)}]}


class WaiverError(Exception):
    """The waiver file is unreadable or invalid (one line naming the file and the waiver)."""


@dataclass(frozen=True)
class Waiver:
    item: str
    reason: str
    approver: str
    ticket: str
    expires: str  # UTC, ISO 8601
    created: str = ""

    def status(self, at: datetime | None = None) -> str:
        return "expired" if parse_time(self.expires) <= (at or now()) else "active"

    def as_dict(self, at: datetime | None = None) -> dict:
        at = at or now()
        days = (parse_time(self.expires) - at).total_seconds() / 86400
        return {**asdict(self), "status": self.status(at), "expires_in_days": round(days, 1)}


def load(path: Path | None, known_ids) -> dict[str, Waiver]:
    """The waivers in `path` by runbook ID; {} when no file is configured or it does not exist."""
    if path is None or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise WaiverError(f"{path}: not a readable JSON waiver file ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("waivers"), list):
        raise WaiverError(f'{path}: expected {{"version": 1, "waivers": [...]}}')
    out: dict[str, Waiver] = {}
    for n, raw in enumerate(data["waivers"], start=1):
        where = f"{path}: waiver {n}"
        if not isinstance(raw, dict):
            raise WaiverError(f"{where} is not an object")
        where += f" ({raw.get('item', 'no item')})"
        unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
        missing = [k for k in REQUIRED if not isinstance(raw.get(k), str) or not raw[k].strip()]
        if unknown:
            raise WaiverError(f"{where} has unknown keys {', '.join(unknown)} (known: {', '.join(REQUIRED + OPTIONAL)})")
        if missing:
            raise WaiverError(f"{where} needs {', '.join(missing)}: every waiver records why, who approved it, "
                              f"its ticket and when it expires")
        unfilled = [k for k, text in PLACEHOLDERS.items() if raw[k] == text]
        if unfilled:
            raise WaiverError(f"{where}: {', '.join(unfilled)} still the template's placeholder: fill in "
                              f"{'it' if len(unfilled) == 1 else 'each'} (docs/waivers.md)")
        if raw["item"] not in known_ids:
            raise WaiverError(f"{where}: {raw['item']!r} is not a runbook item (exact IDs only; see `golive runbook`)")
        if raw["item"] in out:
            raise WaiverError(f"{where}: {raw['item']} is waived twice")
        try:
            expires = parse_time(raw["expires"])
            created = parse_time(raw["created"]) if raw.get("created") else None
        except ValueError as exc:
            raise WaiverError(f"{where}: bad time: {exc}") from None
        if created and created >= expires:
            raise WaiverError(f"{where}: created {raw['created']} is not before expires {raw['expires']}")
        out[raw["item"]] = Waiver(**{**raw, "expires": iso(expires), "created": iso(created) if created else ""})
    return out
