"""T-0 Phase 2: Secrets Migration / Verify Secrets (Security Lead, DevOps Lead).

Metadata only: Secrets Manager through ListSecrets (DescribeSecret for a name outside the prefix), Kubernetes
Secrets read by name with their values dropped.
"""

from golive.check import SECURITY, after_deploy, expect, independently, runbook, settle
from golive.probes import infrastructure as infra
from golive.probes import secrets as sec

from checks.t_zero.phase3.test_verify_application import secrets_named


@runbook("t-0/phase2/verify-secrets/confirm-aws-secrets-manager", area="secrets")
def test_confirm_aws_secrets_manager(aws, k8s, cfg):
    """Confirm AWS Secrets Manager: every expected secret is in place, and the ESO role may read what it syncs."""
    s = cfg.secrets
    read = sec.remote_keys(k8s.get("externalsecrets", s.external_secret, cfg.kubernetes.app_namespace))
    # One ListSecrets (the T-2h check's own call) carries what a DescribeSecret per secret would: name, ARN,
    # rotation, deletion. A secret the ExternalSecret reads from outside the prefix is described by name.
    listed = {e.get("Name"): e for e in aws.paginate("secretsmanager", "list_secrets", "SecretList", Filters=[
        {"Key": "name", "Values": [s.prefix]}], IncludePlannedDeletion=True)}
    outside = {n: aws.call("secretsmanager", "describe_secret", SecretId=n) for n in read
               if not n.startswith(s.prefix)}
    expect(infra.secrets_listed(list(listed.values()), s.prefix, s.keys, s.rotation_required),
           sec.role_grants(aws.role_policies(s.eso_role_name), "secretsmanager:GetSecretValue",
                           {n: outside.get(n) or listed.get(n) or {} for n in read}, s.eso_role_name,
                           s.external_secret))


@runbook("t-0/phase2/verify-secrets/test-external-secrets-sync", area="secrets")
def test_external_secrets_sync(k8s, cfg):
    """Test External Secrets sync: the ExternalSecret is SecretSynced and fresh, its SecretStore Ready."""
    s, ns, t = cfg.secrets, cfg.kubernetes.app_namespace, cfg.timeouts

    def synced(fresh):
        answer = k8s.get_dated("externalsecrets", s.external_secret, ns, fresh=fresh)
        return sec.external_secret_synced(answer.value, s.external_secret, answer.at, s.refresh_max_age_minutes)

    expect(settle(synced, deadline_s=t.settle_seconds, interval_s=t.settle_interval_seconds),
           sec.secret_store_ready(k8s.get("secretstores", s.secret_store, ns), s.secret_store))


@runbook("t-0/phase2/verify-secrets/validate-kubernetes-secrets", area="secrets", manifests=True)
def test_validate_kubernetes_secrets(k8s, cfg):
    """Validate Kubernetes secrets: every key the pods reference exists or its ExternalSecret writes it; the synced
    Secret holds every key."""
    s, kube = cfg.secrets, cfg.kubernetes
    external_secret = k8s.get("externalsecrets", s.external_secret, kube.app_namespace)
    deployment = k8s.get("deployments", kube.deployment, kube.app_namespace)
    expect(sec.deployment_secret_refs(deployment, kube.deployment, s.target_secret, external_secret,
                                      secrets_named(k8s, deployment, kube.app_namespace)),
           after_deploy("the synced Secret holding every key", lambda: sec.target_secret_complete(
               external_secret, k8s.get("secrets", s.target_secret, kube.app_namespace), s.target_secret)))


@runbook("t-0/phase2/verify-secrets/test-secret-access", area="secrets", impact=SECURITY, manifests=True)
def test_secret_access(k8s, iam, cfg):
    """Test secret access: the SecretStore's service account maps to the ESO role, whose trust admits only it and
    whose policies let it read what the ExternalSecret syncs. Before the deploy, IAM comes from the team's files
    (--golive-iam-policies: a Terraform plan, policy documents)."""
    s, ns = cfg.secrets, cfg.kubernetes.app_namespace
    store = k8s.get("secretstores", s.secret_store, ns)
    account = sec.store_service_account(store) or s.eso_service_account
    service_account, external_secret = independently(lambda: k8s.get("serviceaccounts", account, ns),
                                                     lambda: k8s.get("externalsecrets", s.external_secret, ns))
    role = sec.annotated_role(service_account) or s.eso_role_name
    reads = sec.remote_keys(external_secret)

    def role_admits_and_grants():
        found, policies, arns = independently(lambda: iam.get_role(role), lambda: iam.role_policies(role),
                                              lambda: iam.secret_arns(reads))
        return (sec.trust_admits_only(found, role, f"system:serviceaccount:{ns}:{account}"),
                sec.role_grants(policies, "secretsmanager:GetSecretValue", arns, role, s.external_secret))

    link = after_deploy("the ESO role's trust and permissions in IAM (no --golive-iam-policies)", role_admits_and_grants)
    expect(sec.store_identity(store, service_account, s.secret_store, s.eso_service_account, s.eso_role_name),
           *(role_admits_and_grants() if iam is not None else (link,)))
