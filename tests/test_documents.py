"""Helm values and IAM files before the deploy: the Grafana password, Alertmanager's routes, the IRSA link.

tests/data/helm/healthy holds the monitoring stack's values as the target keeps them (two files, merged as
`helm -f a -f b` merges them); each file in tests/data/helm/variants is merged over them and brings one defect.
tests/data/iam/healthy is a Terraform plan (`terraform show -json`) of the ESO role, healthy-documents the same
role as policy documents; each folder in tests/data/iam/variants brings one defect. No server runs here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures import documents
from golive.gather import BadData, Ledger
from tests.harness import ROOT, run_suite
from tests.test_manifests import healthy_documents, write_set

DATA = ROOT / "tests" / "data"
HELM, IAM = DATA / "helm", DATA / "iam"
ROLE = "nba-mcp-synthesis-prod-external-secrets"
GRAFANA = "t-0/phase4/verify-monitoring/verify-grafana-dashboards"
ALERTING = "t-24h/application-validation/test-monitoring-and-alerting"
ACCESS = "t-0/phase2/verify-secrets/test-secret-access"
SECRETS = "t-24h/application-validation/validate-secret-management"


@pytest.fixture(autouse=True)
def _no_sandbox_needed(monkeypatch, tmp_path):
    monkeypatch.setenv("GOLIVE_SANDBOX_DIR", str(tmp_path / "no-sandbox"))


@pytest.fixture(scope="module")
def k8s(tmp_path_factory) -> Path:
    return write_set(tmp_path_factory.mktemp("manifests") / "k8s", healthy_documents())


def run(k8s: Path, values=(HELM / "healthy",), iam=(IAM / "healthy",), items=(GRAFANA, ALERTING, ACCESS, SECRETS)):
    """Manifest mode against production's configuration: the target's receiver names and channel."""
    args = ["checks", "--golive-env", "production", "--golive-reports", "none", "--golive-manifests", str(k8s)]
    for path in values:
        args += ["--golive-helm-values", str(path)]
    for path in iam:
        args += ["--golive-iam-policies", str(path)]
    for item in items:
        args += ["--golive-item", item]
    return run_suite(*args)


@pytest.mark.parametrize("iam", [IAM / "healthy", IAM / "healthy-documents"])
def test_healthy_values_and_iam_decide_before_the_deploy(k8s, iam):
    result = run(k8s, iam=(iam,))
    failing = {i: f"{r.outcome}: {r.message}" for i, r in result.results.items() if r.outcome != "passed"}
    assert not failing, failing
    summaries = [f["summary"] for r in result.results.values() for f in r.findings()]
    assert any("comes from Secret grafana-admin" in s for s in summaries)
    assert any("routes critical alerts to pagerduty-critical and the rest to slack-warnings" in s for s in summaries)
    assert any(f"IAM role {ROLE} trust policy admits exactly" in s for s in summaries)
    assert any("allows secretsmanager:GetSecretValue on all 11 secrets" in s for s in summaries)
    assert result.exit_code == 0


@pytest.mark.parametrize("variant, item, words", [
    ("grafana-password-unset.yaml", GRAFANA, "the chart's well-known default password applies"),
    ("grafana-chart-default-password.yaml", GRAFANA, "set grafana.adminPassword to a well-known default"),
    ("alertmanager-wrong-channel.yaml", ALERTING, "slack-warnings posts to #general, not #nba-mcp-synthesis-alerts"),
])
def test_each_values_defect_fails_its_check(k8s, variant, item, words):
    result = run(k8s, values=(HELM / "healthy", HELM / "variants" / variant), items=(item,))
    assert result[item].outcome == "failed" and words in result[item].message, result[item].message


@pytest.mark.parametrize("variant, words", [
    ("trust-any-service-account", "trust policy does not admit exactly system:serviceaccount:nba-mcp-synthesis:"
                                  "external-secrets-sa: StringLike ['system:serviceaccount:*:*']"),
    ("policy-other-prefix", "not granted on 11 of 11 secrets (it allows secretsmanager:GetSecretValue only on "
                            "nba-mcp-synthesis/staging/*)"),
])
def test_each_iam_defect_fails_the_secret_access_check(k8s, variant, words):
    result = run(k8s, iam=(IAM / "variants" / variant,), items=(ACCESS, SECRETS))
    assert result[ACCESS].outcome == "failed" and words in result[ACCESS].message, result[ACCESS].message
    assert result[SECRETS].outcome == "failed" and ACCESS in result[SECRETS].message  # the T-24h criterion says it


def test_without_the_files_those_parts_are_not_applicable(k8s):
    """No values, no IAM files: what they would decide is not applicable; what the manifests decide still is."""
    result = run(k8s, values=(), iam=())
    assert result[GRAFANA].outcome == "not applicable"
    access = result[ACCESS]
    assert access.outcome == "passed" and any(e.get("not_applicable") for e in access.evidence)
    assert any("authenticates as service account external-secrets-sa" in f["summary"] for f in access.findings())


def test_a_missing_values_file_is_an_error_naming_it(k8s, tmp_path):
    result = run(k8s, values=(tmp_path / "nope.yaml",), items=(GRAFANA,))
    assert result[GRAFANA].outcome == "error" and "nope.yaml does not exist" in result[GRAFANA].message


# --- the readers ------------------------------------------------------------------------------------


def test_values_merge_as_helm_does(tmp_path):
    (tmp_path / "a.yaml").write_text("grafana: {adminUser: admin, admin: {existingSecret: s}}\nlist: [1, 2]\n")
    (tmp_path / "b.yaml").write_text("grafana: {admin: {existingSecret: t}}\nlist: [3]\n")
    values = documents.HelmValues([tmp_path / "a.yaml", tmp_path / "b.yaml"], Ledger())
    assert values.values() == {"grafana": {"adminUser": "admin", "admin": {"existingSecret": "t"}}, "list": [3]}
    assert values.at("grafana.admin") == {"existingSecret": "t"} and values.at("grafana.adminUser.x") == {}


@pytest.mark.parametrize("text, words", [("a: [unclosed\n", "is not valid YAML"), ("- a\n", "not a Helm values file")])
def test_bad_values_files_say_one_line(tmp_path, text, words):
    (tmp_path / "values.yaml").write_text(text)
    with pytest.raises(BadData, match=words):
        documents.read_values([tmp_path])


def test_the_terraform_plan_gives_the_role_its_trust_and_policies():
    iam = documents.IamDocuments([IAM / "healthy"], Ledger(), "us-east-1", "123456789012")
    role = iam.get_role(ROLE)["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:AssumeRoleWithWebIdentity"
    policies = iam.role_policies(ROLE)["policies"]
    assert [p["name"] for p in policies] == [f"managed policy {ROLE}-read"] and policies[0]["document"]
    assert iam.get_role("other")["Error"]["Code"] == "NoSuchEntity"
    assert iam.role_policies("other") == {"role": iam.get_role("other"), "policies": []}
    assert iam.secret_arns(["a/b"]) == {"a/b": {"ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:a/b-??????"}}


def _plan(resources: list[dict], configuration: list[dict] | None = None) -> dict:
    return {"format_version": "1.2", "terraform_version": "1.6.6",
            "planned_values": {"root_module": {"resources": resources}},
            "configuration": {"root_module": {"resources": configuration or []}}}


def test_a_plan_that_creates_the_policy_follows_the_attachment_reference(tmp_path):
    """At plan time a new policy's ARN is unknown: the attachment's configuration names the policy resource."""
    trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity"}]}
    plan = _plan([
        {"address": "aws_iam_role.r", "type": "aws_iam_role", "name": "r", "values": {"name": "r",
                                                                                      "assume_role_policy": json.dumps(trust)}},
        {"address": "aws_iam_policy.p", "type": "aws_iam_policy", "name": "p", "values": {"policy": "{\"Statement\": []}"}},
        {"address": "aws_iam_role_policy_attachment.a", "type": "aws_iam_role_policy_attachment", "values": {"role": "r"}},
        {"address": "aws_iam_role_policy_attachment.b", "type": "aws_iam_role_policy_attachment",
         "values": {"role": "r", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
        {"address": "aws_iam_role_policy.i", "type": "aws_iam_role_policy",
         "values": {"role": "r", "name": "inline", "policy": "{\"Statement\": [{\"Effect\": \"Deny\"}]}"}},
    ], [{"address": "aws_iam_role_policy_attachment.a", "type": "aws_iam_role_policy_attachment",
         "expressions": {"policy_arn": {"references": ["aws_iam_policy.p.arn", "aws_iam_policy.p"]}}}])
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    roles = documents.read_iam([tmp_path])
    policies = {p["name"]: p for p in roles["r"]["policies"]}
    assert policies["managed policy p"]["document"] == {"Statement": []}
    assert policies["managed policy arn:aws:iam::aws:policy/ReadOnlyAccess"]["error"]["Code"] == "NotInPlan"
    assert policies["inline policy inline"]["document"] == {"Statement": [{"Effect": "Deny"}]}
    assert roles["r"]["Role"]["AssumeRolePolicyDocument"] == trust


def test_cli_answers_are_read_as_aws_gives_them(tmp_path):
    (tmp_path / "role.json").write_text(json.dumps({"Role": {"RoleName": "r", "AssumeRolePolicyDocument": {"a": 1}}}))
    (tmp_path / "inline.json").write_text(json.dumps({"RoleName": "r", "PolicyName": "p",
                                                      "PolicyDocument": {"Statement": []}}))
    roles = documents.read_iam([tmp_path])
    assert roles["r"]["Role"]["AssumeRolePolicyDocument"] == {"a": 1}
    assert roles["r"]["policies"] == [{"name": "inline policy p", "error": None, "document": {"Statement": []}}]


@pytest.mark.parametrize("name, text, words", [
    ("x.json", "{", "is not valid JSON"),
    ("x.json", "[]", "not an IAM policy, a role or a Terraform plan"),
    ("policy.json", '{"Statement": []}', "a bare policy document is named <role>.trust.json"),
    ("plan.json", json.dumps(_plan([{"address": "aws_iam_role.r", "type": "aws_iam_role",
                                     "values": {"name": "r", "assume_role_policy": "{nope"}}])),
     "aws_iam_role.r: a policy that is not JSON"),
])
def test_bad_iam_files_say_one_line(tmp_path, name, text, words):
    (tmp_path / name).write_text(text)
    with pytest.raises(BadData, match=words):
        documents.read_iam([tmp_path])


def test_unreadable_iam_files_make_the_question_an_error(tmp_path):
    iam = documents.IamDocuments([tmp_path / "nowhere"], Ledger())
    with pytest.raises(BadData, match="does not exist"):
        iam.get_role(ROLE)
