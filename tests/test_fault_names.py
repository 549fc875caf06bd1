"""Faults take the names they act on from the sandbox environment (sandbox/faults/names.py), never spell them:
no fault module holds the target's names as string literals, and a fault given a renamed environment acts on
the renamed objects. No sandbox runs: the faults act on a stand-in Sandbox that records what they touch.
"""
from __future__ import annotations

import ast
import copy
import re
from pathlib import Path
from unittest.mock import MagicMock

import pytest

from golive import config, runbook
from sandbox.faults import all_faults
from sandbox.faults.names import Names, fill
from tests.harness import ROOT

# The modules whose code acts on the sandbox for faults.
FAULT_CODE = sorted((ROOT / "sandbox" / "faults").glob("*.py")) + [ROOT / "sandbox" / "control.py",
                                                                  ROOT / "sandbox" / "misbehave.py"]


def reference_names(cfg) -> set[str]:
    """The target's names as the sandbox environment spells them (golive.toml)."""
    k, s = cfg.kubernetes, cfg.secrets
    return {n for n in (
        k.app_namespace, k.monitoring_namespace, k.eso_namespace, k.deployment, k.app_label.partition("=")[2],
        k.container, k.service, k.headless_service, k.ingress, k.ingress_host, k.hpa, k.network_policy,
        k.eso_deployment, k.metrics_apiservice, k.service_monitor, k.prometheus_rule, k.log_agent.namespace,
        k.log_agent.daemonset, k.expected_image,
        s.prefix, s.secret_store, s.external_secret, s.target_secret, s.eso_service_account, s.eso_role_name,
        cfg.s3.data_bucket, cfg.s3.backup_bucket, cfg.database.dbname, cfg.database.user, cfg.database.rds_instance,
        cfg.backup.plan, cfg.backup.vault, cfg.load_balancer.name, cfg.eks.cluster, cfg.eks.nodegroup,
        cfg.aws.account_id, cfg.prometheus.app_job, *cfg.prometheus.rule_groups, *cfg.prometheus.alert_thresholds,
        *cfg.grafana.dashboards, cfg.alertmanager.paging_receiver, cfg.alertmanager.chat_receiver,
        cfg.alertmanager.slack_channel) if n}


def _compound(name: str) -> bool:
    """A name no plain word could be (nba-mcp-synthesis, NBAMCPHighErrorRate): found inside any string."""
    return bool(re.search(r"[-_/.:#0-9]|[a-z][A-Z]", name))


def code_strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal in a module's code: f-string parts included, docstrings not
    (comments are not in the syntax tree)."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def spelled(names: set[str], text: str) -> list[str]:
    return sorted(n for n in names if text == n or (_compound(n) and n in text))


def test_no_fault_spells_a_name_of_the_target():
    names = reference_names(config.load("sandbox", ROOT / "golive.toml"))
    assert "nba-mcp-synthesis" in names and "monitoring" in names
    ids = "\n".join(runbook.load().by_id)  # runbook item IDs (confirm-aws-secrets-manager) are the runbook's words
    found = [f"{path.relative_to(ROOT)}:{line}: {spelled(names, text)} in {text!r}"
             for path in FAULT_CODE for line, text in code_strings(path) if spelled(names, text) and text not in ids]
    assert not found, "faults take names from the sandbox environment (sandbox/faults/names.py):\n" + "\n".join(found)


def test_the_rule_sees_literals_and_not_prose(tmp_path):
    module = tmp_path / "fault.py"
    module.write_text('"""Acts on nba-mcp-synthesis."""\n# the monitoring namespace\n'
                      'NS = "monitoring"\nPOD = f"nba-mcp-synthesis-{1}"\nWORDS = "the monitoring stack"\n')
    names = {"nba-mcp-synthesis", "monitoring"}
    assert [(line, spelled(names, text)) for line, text in code_strings(module) if spelled(names, text)] == [
        (3, ["monitoring"]), (4, ["nba-mcp-synthesis"])]


# --- A renamed environment: the faults act on its names ------------------------------------------

SHOP_REPOSITORY = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/shop"


def renamed(cfg, **sections):
    """The configuration with some fields of some sections changed (a renamed environment, no file)."""
    return cfg.model_copy(update={section: getattr(cfg, section).model_copy(update=fields)
                                  for section, fields in sections.items()})


@pytest.fixture(scope="module")
def renamed_sandbox():
    """A stand-in Sandbox of a renamed environment: its stand-ins record what the faults ask of them."""
    cfg = renamed(config.load("sandbox", ROOT / "golive.toml"),
                  kubernetes={"app_namespace": "shop-prod", "service": "shop-web",
                              "monitoring_namespace": "observability", "expected_image": f"{SHOP_REPOSITORY}:v2.0.0"},
                  secrets={"prefix": "shop/prod/"}, database={"rds_instance": "shop-db"},
                  prometheus={"app_job": "shop-api"}, eks={"cluster": "shop-eks", "nodegroup": "shop-nodes"})
    sb = MagicMock(name="sandbox")
    sb.config, sb.names = cfg, Names(cfg)
    sb.wait_for = lambda condition, what, **_: condition()
    # The Kubernetes API answers with the seed as rendered for the environment.
    sb.kube.get.side_effect = lambda kind, name, namespace=None: copy.deepcopy(next(
        d for d in sb.names._seed if (d["kind"], d["metadata"]["name"], d["metadata"].get("namespace")) ==
        (kind, name, namespace)))
    sb.prometheus.return_value = [{"value": [0, "0"]}]
    return sb


def _run(sb, name):
    for part in (sb.kube, sb.aws, sb.prometheus):
        part.reset_mock()
    all_faults()[name].inject(sb)


def test_a_kubernetes_fault_acts_on_the_configured_service(renamed_sandbox):
    sb = renamed_sandbox
    _run(sb, "service-without-endpoints")
    sb.kube.patch.assert_called_once_with("Endpoints", "shop-web", "shop-prod", body={"subsets": []})
    all_faults()["service-without-endpoints"].heal(sb)
    sb.kube.restore.assert_called_once_with("Endpoints", "shop-web", "shop-prod")


def test_a_seed_only_name_is_found_in_the_seed_rendered_for_the_environment(renamed_sandbox):
    sb = renamed_sandbox
    _run(sb, "previous-replicaset-deleted")
    kind, name, namespace = sb.kube.delete.call_args.args
    assert (kind, namespace) == ("ReplicaSet", "shop-prod") and name == sb.names.previous_replicaset
    assert sb.names.app_pods and sb.names.node  # the seed's pods moved with the app namespace
    _run(sb, "pod-wrong-image")  # the previous revision's image, in the configured repository
    images = {c["image"] for call in sb.kube.patch.call_args_list
              for c in call.kwargs["body"].get("spec", {}).get("containers", [])}
    assert images == {f"{SHOP_REPOSITORY}:v1.3.2"}


def test_aws_faults_act_on_the_configured_resources(renamed_sandbox):
    sb = renamed_sandbox
    _run(sb, "rds-backup-retention-zero")
    sb.aws.assert_called_with("rds")
    assert sb.aws.return_value.modify_db_instance.call_args.kwargs["DBInstanceIdentifier"] == "shop-db"
    _run(sb, "secret-scheduled-for-deletion")
    sb.aws.return_value.delete_secret.assert_called_once_with(SecretId="shop/prod/database-password",
                                                              RecoveryWindowInDays=7)
    _run(sb, "nodegroup-deleted")
    sb.aws.return_value.delete_nodegroup.assert_called_once_with(clusterName="shop-eks", nodegroupName="shop-nodes")


def test_a_prometheus_fault_waits_on_the_configured_job(renamed_sandbox):
    sb = renamed_sandbox
    _run(sb, "scrape-target-down")
    assert [c.args[0] for c in sb.prometheus.call_args_list] == ['up{job="shop-api"} == 0']


def test_descriptions_and_expected_words_name_the_environment(renamed_sandbox):
    names, faults = renamed_sandbox.names, all_faults()
    assert fill(faults["scrape-target-down"].template, names) == (
        "the app's /metrics answers 503: Prometheus marks job shop-api down")
    assert fill(faults["metrics-collection-stopped"].expect_template, names) == "metrics of job shop-api are stale"
    assert fill(faults["pod-wrong-image"].expect_template, names) == "shop:v1.3.2"
    assert fill(faults["secret-scheduled-for-deletion"].template, names) == (
        "secret shop/prod/database-password scheduled for deletion")
    # Read without a Names, they are the sandbox environment's (docs/faults.md).
    job = config.load("sandbox", ROOT / "golive.toml").prometheus.app_job
    assert faults["scrape-target-down"].description.endswith(f"marks job {job} down")
