"""Which MCP protocol era the stand-in app serves (`golive-sandbox up --mcp-era handshake|stateless|both`).

"both" (the default) is the official SDK's own: the initialize handshake (2025-03-26 .. 2025-11-25, an
Mcp-Session-Id) and the stateless 2026-07-28 revision on one endpoint, so clients negotiate the newest.
"handshake" is a server on mcp 1.x; "stateless" one on 2026-07-28 only. The choice is the state folder's
`mcp_era` file, written by `up` and removed by `down`, as latency mode's is: the app takes it as its `mcp_era`
fault's default, so a fault reset (DELETE /_sandbox/faults) returns to it, and `up --mcp-era` tells a running
app too.
"""
from __future__ import annotations

from pathlib import Path

ERAS = ("both", "handshake", "stateless")
DEFAULT = "both"
FILE = "mcp_era"
SAID = {"both": "both eras (initialize handshake and stateless 2026-07-28; clients pick the newest)",
        "handshake": "the handshake era only (initialize, Mcp-Session-Id; as a server on mcp 1.x)",
        "stateless": "the stateless 2026-07-28 revision only (server/discover, no session)"}


def set_era(state: Path, era: str) -> None:
    """The app serves `era` from now on (DEFAULT: the file goes)."""
    if era not in ERAS:
        raise ValueError(f"MCP era {era!r} is not one of {', '.join(ERAS)}")
    path = state / FILE
    if era == DEFAULT:
        path.unlink(missing_ok=True)
    else:
        path.write_text(era + "\n")


def configured(state: Path | None) -> str:
    """The era the sandbox was brought up with (DEFAULT when none, or the file is unreadable)."""
    try:
        era = (state / FILE).read_text().strip() if state is not None else DEFAULT
    except OSError:
        return DEFAULT
    return era if era in ERAS else DEFAULT
