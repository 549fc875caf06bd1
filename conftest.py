"""golive: the runbook's checks as pytest tests. The plugin and the gatherers load from here."""
pytest_plugins = [
    "golive.plugin",
    "fixtures.session",
    "fixtures.kubernetes",
    "fixtures.documents",
    "fixtures.aws",
    "fixtures.http",
    "fixtures.database",
    "fixtures.scripts",
    "fixtures.mcp",
    "fixtures.network",
    "fixtures.attestation",
]
