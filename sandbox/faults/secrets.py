"""Secrets faults: the External Secrets Operator, the ExternalSecret and its Secret, IRSA, IAM, the phase-2 deploy."""
from __future__ import annotations

import json
import re

from sandbox.faults import Fault, register
from sandbox.faults.infrastructure import restore_deployment, script_fault

V = "t-0/phase2/verify-secrets/"
UNKNOWN_KEY = "REDIS_PASSWORD_GOLIVE_FAULT"  # read by the app, written by no ExternalSecret


def _ns(sb) -> str:
    return sb.config.kubernetes.app_namespace


def _eso(sb) -> tuple[str, str, str]:
    return "Deployment", sb.config.kubernetes.eso_deployment, sb.config.kubernetes.eso_namespace


def _eso_unavailable(sb):
    sb.kube.patch(*_eso(sb), status=True, body={"status": {
        "readyReplicas": 0, "availableReplicas": 0, "unavailableReplicas": 1, "conditions": [
            {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
             "message": "Deployment does not have minimum availability."}]}})


def _not_synced(sb):
    failing = {"type": "Ready", "status": "False", "reason": "SecretSyncedError",
               "message": "could not get secret data from provider"}
    sb.kube.patch("ExternalSecret", sb.config.secrets.external_secret, _ns(sb), status=True,
                  body={"status": {"conditions": [failing]}})


def _env_unknown_key(sb):
    name = sb.config.kubernetes.deployment
    deployment = sb.kube.get("Deployment", name, _ns(sb))
    containers = deployment["spec"]["template"]["spec"]["containers"]
    containers[0]["env"].append({"name": UNKNOWN_KEY, "valueFrom": {"secretKeyRef": {
        "name": sb.config.secrets.target_secret, "key": UNKNOWN_KEY}}})
    sb.kube.patch("Deployment", name, _ns(sb), body={"spec": {"template": {"spec": {"containers": containers}}}})


def _trust_subject(subject: str | None):
    """Make the ESO role trust this service account (None: the one it should)."""
    def apply(sb):
        iam, role = sb.aws("iam"), sb.config.secrets.eso_role_name
        trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        for statement in trust["Statement"]:
            equals = statement.get("Condition", {}).get("StringEquals", {})
            for key in [k for k in equals if k.endswith(":sub")]:
                equals[key] = subject or sb.names.eso_trust_subject
        iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(trust))
    return apply


def _policy_arn(sb) -> str:
    """The customer-managed policy attached to the ESO role (what grants it the secrets)."""
    attached = sb.aws("iam").list_attached_role_policies(RoleName=sb.config.secrets.eso_role_name)["AttachedPolicies"]
    return next(p["PolicyArn"] for p in attached if p["PolicyArn"].startswith(sb.names.policy_arn_prefix))


def _narrow_policy(sb):
    iam, arn = sb.aws("iam"), _policy_arn(sb)
    document = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    for statement in document["Statement"]:
        statement["Resource"] = re.sub(r":secret:.*$", f":secret:{sb.names.narrowed_secret_scope}*",
                                       statement["Resource"])
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document), SetAsDefault=True)


def _restore_policy(sb):
    iam, arn = sb.aws("iam"), _policy_arn(sb)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if version["VersionId"] != "v1":
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])


def _secret_store(sb) -> tuple[str, str, str]:
    return "SecretStore", sb.config.secrets.secret_store, _ns(sb)


def _store_as_app(sb):
    sb.kube.patch(*_secret_store(sb), body={"spec": {"provider": {"aws": {"auth": {"jwt": {"serviceAccountRef": {
        "name": sb.names.app_service_account}}}}}}})


register(
    Fault("eso-unavailable", "the External Secrets Operator's Deployment has no available replica",
          breaks=("t-0/phase1/verify-infrastructure/confirm-external-secrets-operator",), expect="is not Available",
          inject=_eso_unavailable, heal=lambda sb: sb.kube.restore(*_eso(sb))),
    script_fault("deploy-phase2-fails", "deploy_phase2_secrets",
                 "creating the Secrets Manager entries failed (AccessDeniedException)",
                 breaks=("t-0/phase2/migrate-secrets/deploy-phase2-secrets",)),
    Fault("eso-policy-narrowed", "the ESO role's policy now covers only {narrowed_secret_scope}* secrets",
          breaks=(V + "confirm-aws-secrets-manager",), expect="not granted on 11 of 11 secrets",
          inject=_narrow_policy, heal=_restore_policy),
    Fault("external-secret-not-synced",
          "ExternalSecret {secrets.external_secret} reports Ready=False (SecretSyncedError)",
          breaks=(V + "test-external-secrets-sync",), expect="SecretSyncedError",
          inject=_not_synced,
          heal=lambda sb: sb.kube.restore("ExternalSecret", sb.config.secrets.external_secret, _ns(sb))),
    Fault("secret-key-missing", "key {dropped_secret_key} removed from Secret {secrets.target_secret}",
          breaks=(V + "validate-kubernetes-secrets",),
          expect="lacks 1 of the 11 keys its ExternalSecret produces: {dropped_secret_key}",
          inject=lambda sb: sb.kube.patch("Secret", sb.config.secrets.target_secret, _ns(sb),
                                          body={"data": {sb.names.dropped_secret_key: None}}),
          heal=lambda sb: sb.kube.restore("Secret", sb.config.secrets.target_secret, _ns(sb))),
    Fault("deployment-env-unknown-key", f"the app Deployment reads {UNKNOWN_KEY}, never written by the ExternalSecret",
          breaks=(V + "validate-kubernetes-secrets",), expect="its ExternalSecret does not produce it",
          inject=_env_unknown_key, heal=restore_deployment),
    Fault("secret-store-wrong-account", "SecretStore {secrets.secret_store} authenticates as the app's service account",
          breaks=(V + "test-secret-access",), expect="authenticates as service account {app_service_account}",
          inject=_store_as_app, heal=lambda sb: sb.kube.restore(*_secret_store(sb))),
    Fault("irsa-trust-subject-changed",
          "role {secrets.eso_role_name} now trusts system:serviceaccount:{kubernetes.app_namespace}:default",
          breaks=(V + "test-secret-access",), expect="does not admit exactly",
          inject=lambda sb: _trust_subject(f"system:serviceaccount:{_ns(sb)}:default")(sb),
          heal=_trust_subject(None)),
)
