"""Bad input gets one clear line and a usage-error exit, never a traceback or a silent pass."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from golive import config
from tests.harness import ROOT, config_copy


def pytest_run(*args, config=None, env_name="sandbox"):
    argv = [sys.executable, "-m", "pytest", "checks", "-p", "no:cacheprovider", "--golive-item", "t-2h/", *args]
    if env_name:
        argv += ["--golive-env", env_name]
    if config:
        argv += ["--golive-config", str(config)]
    # A bare environment (no credentials, no GOLIVE_ENV), reports kept in the self-tests' folder.
    env = {"PATH": "/usr/bin:/bin", "GOLIVE_REPORTS_DIR": os.environ["GOLIVE_REPORTS_DIR"]}
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env)


@pytest.mark.parametrize("change, words", [
    (lambda t: t + "\n[environments.sandbox.oops\n", "not valid TOML"),
    (lambda t: t.replace('cluster = "nba-mcp-synthesis-prod"\n', "").replace('eks = { cluster = "nba-mcp-synthesis-sandbox" }\n', ""),
     "environments.sandbox.eks.cluster is required"),
    (("min_ready_nodes = 3", 'min_ready_nodes = "three"'), "environments.sandbox.eks.min_ready_nodes"),
    (("[defaults.s3]", "[defaults.s3]\nbuckett = 1"), "environments.sandbox.s3.buckett is not a known key"),
    (('rotation_required = ["database-password"]', 'rotation_required = ["nope"]'),
     "rotation_required names unknown keys"),
    (('sandbox/runbook/GO_LIVE_RUNBOOK.md}"', 'nowhere/RUNBOOK.md}"'), "runbook: no file at"),
    # Each weak login is a failed login: four would risk Grafana's lockout (5 in 5 minutes).
    (('weak_logins = ["admin:admin", "admin:prom-operator"]', 'weak_logins = ["admin:admin", "admin:prom-operator", "admin:a", "admin:b"]'),
     "environments.sandbox.grafana.weak_logins"),
    (('weak_logins = ["admin:admin", "admin:prom-operator"]', 'weak_logins = ["prom-operator"]'),
     "weak_logins entries must be user:password"),
    (('load_balancer = { cidr = "10.0.0.0/16" }', 'load_balancer = { cidr = "10.0.0.0/33" }'),
     "environments.sandbox.wiring.load_balancer"),
])
def test_a_broken_config_is_one_line_naming_file_and_key(tmp_path, change, words):
    config = config_copy(tmp_path, change)
    done = pytest_run(config=config)
    output = done.stdout + done.stderr
    assert done.returncode == 4, output
    assert words in output and str(config) in output
    assert "Traceback" not in output


def test_an_unknown_environment_lists_the_known_ones():
    done = pytest_run(env_name="prod")
    assert done.returncode == 4
    assert "unknown environment 'prod' (known: production, sandbox, staging)" in done.stdout + done.stderr


def test_no_environment_is_a_usage_error_not_a_guess():
    done = pytest_run(env_name=None)
    assert done.returncode == 4
    assert "no environment selected: pass --golive-env NAME or set GOLIVE_ENV" in done.stdout + done.stderr


def test_the_cli_reports_a_bad_config_in_one_line(tmp_path):
    config = tmp_path / "golive.toml"
    config.write_text("not toml [")
    done = subprocess.run([sys.executable, "-m", "golive.cli", "--golive-config", str(config), "--golive-env",
                           "sandbox", "attest", "x", "--role", "r", "--by", "b"], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 4  # the usage-error code of a run: one contract for `golive` and pytest
    assert done.stderr.count("\n") == 1 and "not valid TOML" in done.stderr


@pytest.mark.parametrize("args, words", [
    (["waivers"], "no environment selected"),
    (["--golive-env", "prod", "waivers"], "unknown environment 'prod'"),
    (["no-such-command"], "invalid choice: 'no-such-command'"),
    (["--golive-env", "sandbox", "attest", "x", "--role", "r", "--by", "b", "--valid-for", "3y"], "'3y': use a number"),
    (["report"], "the following arguments are required: stream"),
    (["report", "/nonexistent/run.jsonl"], "/nonexistent/run.jsonl"),
])
def test_every_golive_usage_error_exits_4_in_one_line(args, words):
    """The README's exit-code table and `golive waivers --help` say 4; argparse alone would say 2."""
    done = subprocess.run([sys.executable, "-m", "golive.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 4, done.stderr
    assert done.stderr.count("\n") == 1 and words in done.stderr and "usage:" not in done.stderr, done.stderr


@pytest.mark.parametrize("key, value", [
    ("app.base_url", "htp:/nba-mcp-synthesis.example.com"),
    ("app.ingress_url", "nba-mcp-synthesis.example.com"),
    ("prometheus.url", "http//127.0.0.1:18090"),
    ("grafana.url", "https://"),
    ("alertmanager.url", "ftp://127.0.0.1:18093"),
    ("aws.endpoint_url", "127.0.0.1:18500"),
    ("app.external_integrations.1", "api.linear.app"),
])
def test_a_malformed_url_is_refused_naming_file_and_key(tmp_path, key, value):
    table, field = key.split(".", 1)

    def malformed(text: str) -> str:
        if field.startswith("external_integrations"):
            return text.replace('"http://127.0.0.1:18055/pagerduty"', f'"{value}"')
        # The sandbox's own inline table sets the key: replace its value there.
        line = next(l for l in text.splitlines() if l.startswith(f"{table} = {{") and f"{field} = " in l
                    and "127.0.0.1" in l)
        old = line.split(f"{field} = ", 1)[1].split('"')[1]
        return text.replace(line, line.replace(f'{field} = "{old}"', f'{field} = "{value}"'))

    path = config_copy(tmp_path, malformed)
    with pytest.raises(config.ConfigError) as caught:
        config.load("sandbox", path)
    message = str(caught.value)
    assert message.startswith(f"{path}: environments.sandbox.{key} ") and value in message, message
    assert "\n" not in message


def test_an_unwritable_reports_folder_is_one_line_exit_4(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a folder cannot be made inside a file, even by root
    done = pytest_run("--golive-reports", str(blocker / "reports"))
    said = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 4, said
    assert len(said) == 1 and "--golive-reports" in said[0] and str(blocker / "reports") in said[0], said
    assert "INTERNALERROR" not in done.stdout + done.stderr


def test_an_unreachable_endpoint_is_an_error_with_a_pointer_not_a_hang(tmp_path):
    """The whole T-2h phase against closed ports: every check errors fast, naming the endpoint."""
    # The state folder left as written: beside this copy, where no credentials, kubeconfig or token sit.
    config = config_copy(tmp_path, ("127.0.0.1:18500", "127.0.0.1:9"), ("127.0.0.1:18090", "127.0.0.1:9"),
                         ('kubeconfig = "${GOLIVE_SANDBOX_DIR:-.sandbox}/kubeconfig"', f'kubeconfig = "{tmp_path}/none"'),
                         pin_state=False)
    # The gatherers' own path (past the preflight): each check errors at once, pointing at the first failure.
    done = pytest_run("-rA", "--golive-no-preflight", config=config)
    output = done.stdout
    assert done.returncode == 1
    assert "is unreachable" in output and "Traceback" not in output
    assert "cannot load kubeconfig" in output
    # With the preflight: no AWS profile, no kubeconfig and no Grafana token (none sits beside this copy of the
    # config) are golive's own missing access (COULD NOT RUN, a line each); Prometheus's closed port is the
    # target's to answer for (no line).
    done = pytest_run(config=config)
    said = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 4, done.stdout[-2000:] + done.stderr
    named = [line.split(" (", 1)[0].removeprefix("ERROR: ").removeprefix("golive: ") for line in said]
    # Grafana's missing token shows when a sandbox answers on its port (else its port is closed, like Prometheus's).
    assert named[:2] == ["AWS", "Kubernetes API"] and set(named) <= {"AWS", "Kubernetes API", "Grafana"}, said


def test_every_required_key_is_read_by_the_product():
    """A key the user must set is one some check, gatherer or reporter reads (else it is optional)."""
    import inspect
    import re

    from pydantic import BaseModel

    from golive import config as configuration
    from tests.harness import ROOT

    code = "\n".join(p.read_text() for folder in ("golive", "fixtures", "checks") for p in (ROOT / folder).rglob("*.py")
                     if p.name != "config.py")
    models = [m for m in vars(configuration).values()
              if inspect.isclass(m) and issubclass(m, BaseModel) and m.__module__ == configuration.__name__]
    unread = [f"{m.__name__}.{name}" for m in models for name, field in m.model_fields.items()
              if field.is_required() and not re.search(rf"\.{re.escape(name)}\b", code)]
    assert not unread, f"required but read by nothing: {unread}"

@pytest.mark.parametrize("value, environ, expanded", [
    ("$HOME_DIR/x", {"HOME_DIR": "/h"}, "/h/x"),
    ("${HOME_DIR}x", {"HOME_DIR": "/h"}, "/hx"),
    ("${STATE:-.state}/key", {"STATE": "/srv/s"}, "/srv/s/key"),
    ("${STATE:-.state}/key", {}, ".state/key"),
    ("${STATE:-.state}/key", {"STATE": ""}, ".state/key"),  # empty counts as unset, as in a shell
    ("$MISSING/key", {}, "$MISSING/key"),  # left as written: the error about the path names it
    ("${MISSING}/key", {}, "${MISSING}/key"),
    ("cost$$", {}, "cost$"),
])
def test_config_values_expand_variables_with_defaults(value, environ, expanded):
    assert config.expand(value, environ) == expanded


def test_the_sandbox_state_folder_defaults_beside_the_config_file(tmp_path, monkeypatch):
    """Unset, ${GOLIVE_SANDBOX_DIR:-.sandbox} resolves like any relative path: against the config's folder."""
    copy = config_copy(tmp_path / "elsewhere", pin_state=False)
    monkeypatch.chdir(ROOT)  # not the config's folder: the default must not follow the working directory
    monkeypatch.delenv("GOLIVE_SANDBOX_DIR", raising=False)
    env = config.load("sandbox", copy)
    assert env.path(env.kubernetes.kubeconfig) == copy.parent / ".sandbox" / "kubeconfig"
    monkeypatch.setenv("GOLIVE_SANDBOX_DIR", str(tmp_path / "mine"))
    assert env.path(env.attestations.ledger) == tmp_path / "mine" / "attestations.json"
