"""T+1 Hour: Extended Monitoring / User Acceptance Testing: what a user of the MCP server sees, end to end."""
from golive.check import DATA, MINOR, expect, runbook
from golive.config import ToolCall
from golive.probes import application as appl
from golive.probes import performance as perf


@runbook("t+1h/user-acceptance-testing/test-end-to-end-workflows", area="application")
def test_end_to_end_workflows(mcp, cfg):
    """Test end-to-end workflows: each step of the configured MCP workflow succeeds and returns data."""
    runs = [(call.name, mcp.exchange(call)) for call in cfg.app.mcp_workflow]
    expect(*(appl.mcp_works(transcript, cfg.app.mcp_tools, name) for name, transcript in runs),
           perf.workflow_data(runs, mcp.url))


@runbook("t+1h/user-acceptance-testing/verify-user-interfaces", area="application", impact=MINOR)
def test_verify_user_interfaces(mcp, cfg):
    """Verify user interfaces: the MCP tools users see are all there and well-formed."""
    expect(perf.interface(mcp.exchange(), cfg.app.mcp_tools))


@runbook("t+1h/user-acceptance-testing/test-all-integrations", area="application")
def test_all_integrations(app, integrations, cfg):
    """Test all integrations: /health reports every component healthy; each external integration answers."""
    expect(appl.health_endpoint(app.get("/health"), f"{app.base_url}/health"),
           appl.integrations_answer(integrations.answers(), cfg.app.external_integrations))


@runbook("t+1h/user-acceptance-testing/confirm-data-accuracy", area="application", impact=DATA)
def test_confirm_data_accuracy(db, mcp, cfg):
    """Confirm data accuracy: the app's SQL tool reports the same value as PostgreSQL for the read query."""
    sql, tool = cfg.database.read_query, cfg.app.mcp_sql_tool
    transcript = mcp.exchange(ToolCall(name=tool.name, arguments={tool.argument: sql}))
    expect(perf.data_accuracy(db.query(sql), transcript.result("tools/call"), sql, tool.name, db.source.where))
