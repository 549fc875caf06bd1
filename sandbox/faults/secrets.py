"""Secrets faults: the External Secrets Operator, the ExternalSecret and its Secret, IRSA, IAM, the phase-2 deploy."""
from __future__ import annotations

import json

from sandbox import seed_aws
from sandbox.faults import Fault, register
from sandbox.faults.infrastructure import script_fault

APP_NS, ESO_NS = "nba-mcp-synthesis", "external-secrets-system"
EXTERNAL_SECRET = TARGET_SECRET = "nba-mcp-synthesis-secrets"
STORE = "aws-secrets-manager"
ROLE = seed_aws.EXTERNAL_SECRETS_ROLE
POLICY_ARN = f"arn:aws:iam::{seed_aws.ACCOUNT_ID}:policy/{seed_aws.EXTERNAL_SECRETS_POLICY}"
V = "t-0/phase2/verify-secrets/"
MISSING_KEY = "DEEPSEEK_API_KEY_NBA_MCP_SYNTHESIS_WORKFLOW"
UNKNOWN_KEY = "REDIS_PASSWORD_NBA_MCP_SYNTHESIS_WORKFLOW"


def _eso_unavailable(sb):
    sb.kube.patch("Deployment", "external-secrets", ESO_NS, status=True, body={"status": {
        "readyReplicas": 0, "availableReplicas": 0, "unavailableReplicas": 1, "conditions": [
            {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
             "message": "Deployment does not have minimum availability."}]}})


def _not_synced(sb):
    sb.kube.patch("ExternalSecret", EXTERNAL_SECRET, APP_NS, status=True, body={"status": {"conditions": [
        {"type": "Ready", "status": "False", "reason": "SecretSyncedError",
         "message": "could not get secret data from provider"}]}})


def _env_unknown_key(sb):
    deployment = sb.kube.get("Deployment", "nba-mcp-synthesis", APP_NS)
    containers = deployment["spec"]["template"]["spec"]["containers"]
    containers[0]["env"].append({"name": UNKNOWN_KEY, "valueFrom": {"secretKeyRef": {
        "name": TARGET_SECRET, "key": UNKNOWN_KEY}}})
    sb.kube.patch("Deployment", "nba-mcp-synthesis", APP_NS, body={"spec": {"template": {"spec": {
        "containers": containers}}}})


def _trust_subject(subject: str):
    def apply(sb):
        iam = sb.aws("iam")
        trust = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
        for statement in trust["Statement"]:
            equals = statement.get("Condition", {}).get("StringEquals", {})
            for key in [k for k in equals if k.endswith(":sub")]:
                equals[key] = subject
        iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps(trust))
    return apply


def _narrow_policy(sb):
    iam = sb.aws("iam")
    document = iam.get_policy_version(PolicyArn=POLICY_ARN, VersionId="v1")["PolicyVersion"]["Document"]
    for statement in document["Statement"]:
        statement["Resource"] = statement["Resource"].replace(":secret:nba-mcp-synthesis/*",
                                                              ":secret:nba-mcp-synthesis/staging/*")
    iam.create_policy_version(PolicyArn=POLICY_ARN, PolicyDocument=json.dumps(document), SetAsDefault=True)


def _restore_policy(sb):
    iam = sb.aws("iam")
    iam.set_default_policy_version(PolicyArn=POLICY_ARN, VersionId="v1")
    for version in iam.list_policy_versions(PolicyArn=POLICY_ARN)["Versions"]:
        if version["VersionId"] != "v1":
            iam.delete_policy_version(PolicyArn=POLICY_ARN, VersionId=version["VersionId"])


register(
    Fault("eso-unavailable", "the External Secrets Operator's Deployment has no available replica",
          breaks=("t-0/phase1/verify-infrastructure/confirm-external-secrets-operator",), expect="is not Available",
          inject=_eso_unavailable, heal=lambda sb: sb.kube.restore("Deployment", "external-secrets", ESO_NS)),
    script_fault("deploy-phase2-fails", "deploy_phase2_secrets",
                 "creating the Secrets Manager entries failed (AccessDeniedException)",
                 breaks=("t-0/phase2/migrate-secrets/deploy-phase2-secrets",)),
    Fault("eso-policy-narrowed", "the ESO role's policy now covers only nba-mcp-synthesis/staging/* secrets",
          breaks=(V + "confirm-aws-secrets-manager",), expect="not granted on 11 of 11 secrets",
          inject=_narrow_policy, heal=_restore_policy),
    Fault("external-secret-not-synced", f"ExternalSecret {EXTERNAL_SECRET} reports Ready=False (SecretSyncedError)",
          breaks=(V + "test-external-secrets-sync",), expect="SecretSyncedError",
          inject=_not_synced, heal=lambda sb: sb.kube.restore("ExternalSecret", EXTERNAL_SECRET, APP_NS)),
    Fault("secret-key-missing", f"key {MISSING_KEY} removed from Secret {TARGET_SECRET}",
          breaks=(V + "validate-kubernetes-secrets",), expect=f"lacks 1 of the 11 keys its ExternalSecret produces: "
                                                             f"{MISSING_KEY}",
          inject=lambda sb: sb.kube.patch("Secret", TARGET_SECRET, APP_NS, body={"data": {MISSING_KEY: None}}),
          heal=lambda sb: sb.kube.restore("Secret", TARGET_SECRET, APP_NS)),
    Fault("deployment-env-unknown-key", f"the app Deployment reads {UNKNOWN_KEY}, never written by the ExternalSecret",
          breaks=(V + "validate-kubernetes-secrets",), expect="its ExternalSecret does not produce it",
          inject=_env_unknown_key, heal=lambda sb: sb.kube.restore("Deployment", "nba-mcp-synthesis", APP_NS)),
    Fault("secret-store-wrong-account", f"SecretStore {STORE} authenticates as the app's service account",
          breaks=(V + "test-secret-access",), expect="authenticates as service account nba-mcp-synthesis",
          inject=lambda sb: sb.kube.patch("SecretStore", STORE, APP_NS, body={"spec": {"provider": {"aws": {"auth": {
              "jwt": {"serviceAccountRef": {"name": "nba-mcp-synthesis"}}}}}}}),
          heal=lambda sb: sb.kube.restore("SecretStore", STORE, APP_NS)),
    Fault("irsa-trust-subject-changed", f"role {ROLE} now trusts system:serviceaccount:{APP_NS}:default",
          breaks=(V + "test-secret-access",), expect="does not admit exactly",
          inject=_trust_subject(f"system:serviceaccount:{APP_NS}:default"),
          heal=_trust_subject(seed_aws.EXTERNAL_SECRETS_SA)),
)
