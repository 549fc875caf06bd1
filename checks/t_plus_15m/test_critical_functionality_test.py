"""T+15 Minutes: Initial Validation / Critical Functionality Test: the live app, its data stores and integrations."""
from golive.check import DATA, MINOR, expect, independently, runbook
from golive.probes import application as appl


@runbook("t+15m/critical-functionality-test/test-all-api-endpoints", area="application")
def test_all_api_endpoints(app, mcp, cfg):
    """Test all API endpoints: every configured endpoint within budget, and MCP tools/list complete."""
    probes = independently(*(lambda e=e: app.request(e.method, e.path, timed=True) for e in cfg.app.endpoints))
    expect(appl.endpoints_ok(list(zip(cfg.app.endpoints, probes)), app.base_url),
           appl.mcp_works(mcp.exchange(), cfg.app.mcp_tools))


@runbook("t+15m/critical-functionality-test/verify-database-operations", area="application", impact=DATA)
def test_verify_database_operations(db, app, cfg):
    """Verify database operations: the read query returns sane rows, and the app reports its database healthy."""
    d = cfg.database
    expect(appl.database_answers(db.query(d.read_query), d.read_query, db.tables(), d.expected_tables,
                                 db.source.where),
           appl.component_healthy(app.get("/health"), appl.DATABASE_COMPONENT, f"{app.base_url}/health"))


@runbook("t+15m/critical-functionality-test/test-s3-connectivity", area="application")
def test_s3_connectivity(aws, app, cfg):
    """Test S3 connectivity: both buckets answer and list a key, and the app reports its S3 healthy."""
    buckets = (cfg.s3.data_bucket, cfg.s3.backup_bucket)
    *answers, health = independently(*(lambda b=b: (aws.call("s3", "head_bucket", Bucket=b),
                                                    aws.call("s3", "list_objects_v2", Bucket=b, MaxKeys=1))
                                       for b in buckets), lambda: app.get("/health"))
    expect(appl.buckets_reachable(dict(zip(buckets, answers))),
           appl.component_healthy(health, appl.S3_COMPONENT, f"{app.base_url}/health"))


@runbook("t+15m/critical-functionality-test/confirm-external-integrations", area="application", impact=MINOR)
def test_confirm_external_integrations(integrations, cfg):
    """Confirm external integrations: each configured third-party URL answers (HTTP status below 500)."""
    expect(appl.integrations_answer(integrations.answers(), cfg.app.external_integrations))
