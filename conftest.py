"""golive: the runbook's checks as pytest tests. The plugin and the gatherers load from here."""
pytest_plugins = [
    "golive.plugin",
    "golive.prefetch",
    "fixtures.session",
    "fixtures.kubernetes",
    "fixtures.aws",
    "fixtures.http",
    "fixtures.database",
    "fixtures.scripts",
    "fixtures.mcp",
    "fixtures.network",
    "fixtures.attestation",
]
