"""golive's MCP conversation against MCP servers built with other SDK releases: the era and version each spoke.

The official SDK's releases cannot share one venv, so each server runs from an interpreter of its own:

    python3 -m venv /tmp/mcp1 && /tmp/mcp1/bin/pip install 'mcp==1.30.0'     # 2025-11-25, handshake only
    python3 -m venv /tmp/mcp19 && /tmp/mcp19/bin/pip install 'mcp==1.9.4' 'pydantic<2.11'   # 2025-03-26
    .venv/bin/python benchmarks/mcp_sdk_matrix.py /tmp/mcp1/bin/python /tmp/mcp19/bin/python .venv/bin/python

Each interpreter serves a FastMCP (1.x) or MCPServer (2.x) stub with the configured tool names, a prompt and a
resource on 127.0.0.1:18700 (run it in a network namespace of its own); golive's gatherer (fixtures/mcp.py)
then holds one conversation with it, and the two MCP probes judge it. Prints one line per server. Figures only.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fixtures.http import Http  # noqa: E402
from fixtures.mcp import Mcp  # noqa: E402
from golive.config import ToolCall  # noqa: E402
from golive.gather import Ledger  # noqa: E402
from golive.probes import application as appl, performance as perf  # noqa: E402

PORT = 18700
TOOLS = ["query_database", "list_tables", "get_table_schema", "list_games", "list_players", "list_s3_files"]
SERVER = f'''
try:
    from mcp.server.mcpserver import MCPServer as Server   # mcp 2.x
except ImportError:
    from mcp.server.fastmcp import FastMCP as Server       # mcp 1.x
import mcp, uvicorn
from importlib.metadata import version
server = Server("stub-" + version("mcp"))
for name in {TOOLS!r}:
    def tool(limit: int = 10) -> dict:
        return {{"rows": [{{"n": 1}}]}}
    server.tool(name=name, description=name + " (stub)")(tool)
@server.prompt(description="stub")
def analyze_team_performance(team: str) -> str:
    return team
@server.resource("nba://database/tables", name="Database tables", mime_type="application/json")
def tables() -> str:
    return "[]"
uvicorn.run(server.streamable_http_app(), host="127.0.0.1", port={PORT}, log_level="warning")
'''


def _listening(timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def main(interpreters: list[str]) -> int:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(SERVER)
    for python in interpreters:
        server = subprocess.Popen([python, script.name], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            if not _listening():
                print(f"{python}: the server did not start: {server.stderr.read().decode()[-300:]}")
                continue
            start = time.monotonic()
            conversation = Mcp(Http("App", f"http://127.0.0.1:{PORT}", Ledger(), (3, 10)), "/mcp", (3, 10), Ledger())
            transcript = conversation.exchange(ToolCall(name="list_tables", arguments={}))
            conversation.close()
            seconds = time.monotonic() - start
            works = appl.mcp_works(transcript, TOOLS, "list_tables")
            interface = perf.interface(transcript, TOOLS)
            print(f"{python}: {transcript.spoke()}, {len(transcript.steps)} exchanges in {seconds * 1000:.0f} ms; "
                  f"mcp_works {'ok' if works.ok else 'FAILED'}, interface {'ok' if interface.ok else 'FAILED'}: "
                  f"{works.summary}")
        finally:
            server.terminate()
            server.wait(timeout=10)
    Path(script.name).unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or [sys.executable]))
