"""golive: the runbook's checks as pytest tests, run from this repository."""
from golive.plugin import GATHERERS


def pytest_addoption(parser, pluginmanager):
    # Installed with its pytest11 entry point, pytest has loaded the plugin as `golive` before any conftest
    # (or `-p no:golive` blocked it); an install that predates the entry point (or
    # PYTEST_DISABLE_PLUGIN_AUTOLOAD) gets it here, under the same name, so it is never registered twice.
    if not pluginmanager.has_plugin("golive") and not pluginmanager.is_blocked("golive"):
        from golive import plugin

        pluginmanager.register(plugin, "golive")
    # golive's own tests use the gatherers without naming an environment. Imported here, not named in
    # `pytest_plugins`: pytest looks each name given there up among every installed package's entry points
    # (a scan of all their metadata per name, a tenth of a second for the eleven).
    for name in GATHERERS:
        pluginmanager.import_plugin(name)
