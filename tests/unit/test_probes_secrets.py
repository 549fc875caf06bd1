"""golive.probes.secrets, one table per probe: recorded answer -> variant -> verdict and sentence.

Inputs are built as checks/t_zero/phase2/test_verify_secrets.py builds them; each row's `change`
mutates the recorded inputs in place.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from golive.probes import secrets as sec
from tests.unit.recorded import FAIL, NOW, PASS, verdict, aws, condition, k8s, row, same

M = "secrets"
NS, APP = "nba-mcp-synthesis", "nba-mcp-synthesis"
PREFIX = "nba-mcp-synthesis/production/"
KEYS = ["google-api-key", "anthropic-api-key", "openai-api-key", "deepseek-api-key", "slack-webhook-url",
        "linear-api-key", "linear-team-id", "linear-project-id", "database-password", "aws-access-key-id",
        "aws-secret-access-key"]  # golive.toml [defaults.secrets]
STORE, EXTERNAL_SECRET, TARGET = "aws-secrets-manager", "nba-mcp-synthesis-secrets", "nba-mcp-synthesis-secrets"
SA, ROLE = "external-secrets-sa", "nba-mcp-synthesis-prod-external-secrets"
SUBJECT = f"system:serviceaccount:{NS}:{SA}"
GET = "secretsmanager:GetSecretValue"


# --- remote_keys / produced_keys: what the ExternalSecret reads and writes ---------------------

def extract(es):  # dataFrom.extract pulls a whole JSON secret; its key is read too
    es["spec"]["dataFrom"] = [{"extract": {"key": PREFIX + "feature-flags"}}]


def duplicate_entry(es):
    es["spec"]["data"].append({"secretKey": "DB_PASSWORD_AGAIN", "remoteRef": {"key": PREFIX + "database-password"}})


@pytest.mark.parametrize("change, remote, produced", [
    pytest.param(same, 11, 11, id="recorded"),
    pytest.param(extract, 12, 11, id="dataFrom-extract-read-not-produced"),
    pytest.param(duplicate_entry, 11, 12, id="same-remote-key-read-once"),
    pytest.param(lambda es: es["spec"].pop("data"), 0, 0, id="no-data"),
])
def test_remote_and_produced_keys(change, remote, produced):
    es = k8s(M, "external_secret")
    change(es)
    assert (len(sec.remote_keys(es)), len(sec.produced_keys(es))) == (remote, produced)


def test_remote_and_produced_keys_of_a_missing_external_secret():
    assert (sec.remote_keys(None), sec.produced_keys(None)) == ([], [])


# --- secrets_described (DescribeSecret per expected secret) ----------------------------------

@pytest.mark.parametrize("change, outcome, fragment", [
    row("all-described", same, PASS,
        f"Secrets Manager holds all 11 expected secrets under {PREFIX}, none scheduled for deletion, rotation on for 1"),
    row("none-configured", lambda a: a.update(described={}, keys=[], rotation_required=[]), FAIL,
        f"expected secrets to verify under {PREFIX}, found 0 configured"),
    row("not-found-is-missing", lambda a: a["described"].update({PREFIX + "linear-team-id": aws(M, "describe_secret_not_found")}),
        FAIL, f"missing {PREFIX}linear-team-id"),
    row("access-denied", lambda a: a["described"].update({PREFIX + "openai-api-key": aws(M, "describe_secret_denied")}),
        FAIL, f"Secrets Manager could not describe 1 secrets: {PREFIX}openai-api-key: AccessDeniedException: User:"),
    row("scheduled-for-deletion",
        lambda a: a["described"].update({PREFIX + "linear-team-id": aws(M, "describe_secret_scheduled_for_deletion")}),
        FAIL, f"scheduled for deletion: {PREFIX}linear-team-id"),
])
def test_secrets_described(change, outcome, fragment):
    a = {"described": aws(M, "describe_secret"), "prefix": PREFIX, "keys": list(KEYS),
         "rotation_required": ["database-password"]}
    change(a)
    verdict(sec.secrets_described(**a), outcome, fragment)


# --- role_grants (the ESO role may GetSecretValue on what the ExternalSecret reads) ---------------

def statements(a):
    return a["found"]["policies"][0]["document"]["Statement"]


def allow(a, **fields):
    statements(a)[0].update(fields)


def arn(a, key):
    return a["described"][PREFIX + key]["ARN"]


def deny_one(a):
    statements(a).append({"Effect": "Deny", "Action": GET, "Resource": arn(a, "database-password")})


def narrow_to_one(a):  # the common mistake: the policy names one secret's ARN pattern, not the prefix
    allow(a, Resource=arn(a, "database-password").rsplit("-", 1)[0] + "-*")


def unreadable(a):  # what fixtures.aws.role_policies records when get_policy_version is denied
    a["found"]["policies"][0].update(error={"Code": "AccessDenied", "Message": "not authorized to perform "
                                            "iam:GetPolicyVersion"}, document=None)


def single_statement(a):  # IAM accepts Statement as one object instead of a list
    document = a["found"]["policies"][0]["document"]
    document["Statement"] = document["Statement"][0]


ROLE_IS = f"IAM role {ROLE} allows {GET} on all 11 secrets ExternalSecret {EXTERNAL_SECRET} reads"
NOT_ALLOWED = f"IAM role {ROLE} does not allow {GET} for ExternalSecret {EXTERNAL_SECRET}: "


@pytest.mark.parametrize("change, outcome, fragment", [
    row("allowed-on-prefix", same, PASS, ROLE_IS + " (via managed policy nba-mcp-synthesis-external-secrets)"),
    row("service-wildcard-action", lambda a: allow(a, Action="secretsmanager:*"), PASS, ROLE_IS),
    row("action-case-insensitive", lambda a: allow(a, Action="SecretsManager:getSecretValue"), PASS, ROLE_IS),
    row("resource-star", lambda a: allow(a, Resource="*"), PASS, ROLE_IS),
    row("statement-as-object", single_statement, PASS, ROLE_IS),
    row("role-missing", lambda a: a.update(found=aws(M, "role_policies_no_role"), role="no-such-role"), FAIL,
        "IAM role no-such-role: NoSuchEntity: Role no-such-role not found"),
    row("reads-nothing", lambda a: a["described"].clear(), FAIL,
        f"ExternalSecret {EXTERNAL_SECRET} reads no Secrets Manager entries (or does not exist): nothing to grant "
        f"IAM role {ROLE}"),
    row("read-secret-does-not-exist",
        lambda a: a["described"].update({PREFIX + "linear-team-id": aws(M, "describe_secret_not_found")}), FAIL,
        NOT_ALLOWED + f"not granted on 1 of 11 secrets (it allows {GET} only on nba-mcp-synthesis/*): "
                      f"{PREFIX}linear-team-id (does not exist)"),
    row("explicit-deny", deny_one, FAIL, NOT_ALLOWED + f"explicitly denied on {PREFIX}database-password"),
    row("narrowed-to-one-secret", narrow_to_one, FAIL,
        f"not granted on 10 of 11 secrets (it allows {GET} only on {PREFIX}database-password-*)"),
    row("other-action-only", lambda a: allow(a, Action="secretsmanager:DescribeSecret"), FAIL,
        f"not granted on 11 of 11 secrets (it allows {GET} only on nothing)"),
    row("allowed-under-condition",
        lambda a: allow(a, Condition={"StringEquals": {"aws:ResourceTag/Environment": "production"}}), FAIL,
        "11 of those allowed only under a Condition golive does not evaluate"),
    row("policy-unreadable", unreadable, FAIL,
        NOT_ALLOWED + "unreadable policies: managed policy nba-mcp-synthesis-external-secrets (AccessDenied)"),
    row("no-policies", lambda a: a["found"]["policies"].clear(), FAIL, "only on nothing"),
])
def test_role_grants(change, outcome, fragment):
    # As the check builds it: DescribeSecret for each key the ExternalSecret reads.
    described = aws(M, "describe_secret")
    a = {"found": aws(M, "role_policies"), "action": GET,
         "described": {key: described[key] for key in sec.remote_keys(k8s(M, "external_secret"))},
         "role": ROLE, "reader": EXTERNAL_SECRET}
    change(a)
    verdict(sec.role_grants(**a), outcome, fragment)


# --- external_secret_synced -------------------------------------------------------------------
# Recorded: Ready=True (SecretSynced), refreshed 10 minutes before NOW.

@pytest.mark.parametrize("change, outcome, fragment", [
    row("synced-and-fresh", same, PASS,
        f"ExternalSecret {EXTERNAL_SECRET} is Ready (SecretSynced), refreshed 10 min ago (allowed 90)"),
    row("missing", lambda a: a.update(external_secret=None), FAIL, f"ExternalSecret {EXTERNAL_SECRET} does not exist"),
    row("sync-error", lambda a: condition(a["external_secret"], "Ready", status="False", reason="SecretSyncedError",
                                          message="could not get secret data from provider"), FAIL,
        f"ExternalSecret {EXTERNAL_SECRET} is not synced: Ready=False (SecretSyncedError: could not get secret data "
        "from provider)"),
    row("no-status-yet", lambda a: a["external_secret"].pop("status"), FAIL,
        f"ExternalSecret {EXTERNAL_SECRET} is not synced: Ready=absent (no reason: )"),
    row("stale", lambda a: a.update(now=NOW + timedelta(hours=2)), FAIL,
        f"ExternalSecret {EXTERNAL_SECRET} is SecretSynced but last refreshed 130 min ago (allowed 90 min)"),
    row("never-refreshed", lambda a: a["external_secret"]["status"].pop("refreshTime"), FAIL,
        f"ExternalSecret {EXTERNAL_SECRET} is SecretSynced but never refreshed (allowed 90 min)"),
])
def test_external_secret_synced(change, outcome, fragment):
    a = {"external_secret": k8s(M, "external_secret"), "name": EXTERNAL_SECRET, "now": NOW, "max_age_minutes": 90}
    change(a)
    verdict(sec.external_secret_synced(**a), outcome, fragment)


# --- secret_store_ready -----------------------------------------------------------------------

@pytest.mark.parametrize("change, outcome, fragment", [
    row("ready", same, PASS, f"SecretStore {STORE} is Ready (Valid)"),
    row("missing", lambda a: a.update(store=None), FAIL, f"SecretStore {STORE} does not exist"),
    row("invalid-provider", lambda a: condition(a["store"], "Ready", status="False", reason="InvalidProviderConfig",
                                                message="unable to validate store"), FAIL,
        f"SecretStore {STORE} is not Ready (InvalidProviderConfig: unable to validate store)"),
    row("no-conditions", lambda a: a["store"].pop("status"), FAIL, f"SecretStore {STORE} is not Ready (no Ready condition"),
])
def test_secret_store_ready(change, outcome, fragment):
    a = {"store": k8s(M, "secret_store"), "name": STORE}
    change(a)
    verdict(sec.secret_store_ready(**a), outcome, fragment)


# --- target_secret_complete -------------------------------------------------------------------

def only_data_from(a):  # an ExternalSecret that extracts a whole secret: golive cannot know its keys
    a["external_secret"]["spec"].pop("data")
    extract(a["external_secret"])


@pytest.mark.parametrize("change, outcome, fragment", [
    row("all-keys", same, PASS, f"Secret {TARGET} holds all 11 keys its ExternalSecret produces"),
    row("no-external-secret", lambda a: a.update(external_secret=None), FAIL,
        f"ExternalSecret for Secret {TARGET} is missing or produces no keys (expected keys, found 0)"),
    row("external-secret-lists-no-keys", only_data_from, FAIL, f"ExternalSecret for Secret {TARGET} is missing or produces no keys"),
    row("secret-missing", lambda a: a.update(secret=None), FAIL,
        f"Secret {TARGET} does not exist (ExternalSecret produces 11 keys into it)"),
    row("key-missing", lambda a: a["secret"]["data"].pop("LINEAR_TEAM_ID_NBA_MCP_SYNTHESIS_WORKFLOW"), FAIL,
        f"Secret {TARGET} lacks 1 of the 11 keys its ExternalSecret produces: LINEAR_TEAM_ID_NBA_MCP_SYNTHESIS_WORKFLOW"),
    row("secret-empty", lambda a: a["secret"].pop("data"), FAIL, f"Secret {TARGET} lacks 11 of the 11 keys"),
])
def test_target_secret_complete(change, outcome, fragment):
    a = {"external_secret": k8s(M, "external_secret"), "secret": k8s(M, "secret"), "name": TARGET}
    change(a)
    verdict(sec.target_secret_complete(**a), outcome, fragment)


# --- deployment_secret_refs -------------------------------------------------------------------

def app_container(a):
    return a["deployment"]["spec"]["template"]["spec"]["containers"][0]


def env_ref(secret, key, name="EXTRA", optional=None, where=app_container):
    def change(a):
        ref = {"name": secret, "key": key, **({"optional": optional} if optional is not None else {})}
        where(a).setdefault("env", []).append({"name": name, "valueFrom": {"secretKeyRef": ref}})
    return change


def env_from(secret, optional=None):
    def change(a):
        ref = {"name": secret, **({"optional": optional} if optional is not None else {})}
        app_container(a)["envFrom"].append({"secretRef": ref})
    return change


def other_secret(name, *keys):
    def change(a):
        secret = k8s(M, "secret")
        secret["metadata"]["name"] = name
        secret["data"] = {k: "<redacted>" for k in keys}  # as the gatherer redacts values
        a["secrets"].append(secret)
    return change


def init_container(a):
    pod = a["deployment"]["spec"]["template"]["spec"]
    pod["initContainers"] = [{"name": "migrate", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/nba-mcp-synthesis:v1.4.0"}]
    return pod["initContainers"][0]


def both(*changes):
    return lambda a: [c(a) for c in changes]


BROKEN = f"Deployment {APP} references secrets that will not resolve (pods fail with CreateContainerConfigError): "


@pytest.mark.parametrize("change, outcome, fragment", [
    row("all-resolve", same, PASS, f"Deployment {APP}: all 5 secret references resolve"),
    row("plain-env-value-ignored", lambda a: app_container(a)["env"].append({"name": "LOG_LEVEL", "value": "info"}),
        PASS, "all 5 secret references resolve"),
    row("optional-key-not-produced", env_ref(TARGET, "REDIS_PASSWORD", optional=True), PASS, "all 6 secret references"),
    row("other-secret-with-key", both(other_secret("db-credentials", "password"), env_ref("db-credentials", "password")),
        PASS, "all 6 secret references resolve"),
    row("envFrom-existing-secret", env_from(TARGET), PASS, "all 6 secret references resolve"),
    row("envFrom-optional-missing", env_from("app-extra-env", optional=True), PASS, "all 6 secret references resolve"),
    row("missing", lambda a: a.update(deployment=None), FAIL, f"Deployment {APP} does not exist"),
    row("key-not-produced", env_ref(TARGET, "REDIS_PASSWORD", name="REDIS_PASSWORD"), FAIL,
        BROKEN + f"nba-mcp-synthesis env REDIS_PASSWORD needs {TARGET}/REDIS_PASSWORD: its ExternalSecret does not produce it"),
    row("no-external-secret", lambda a: a.update(external_secret=None), FAIL,
        f"needs {TARGET}/DATABASE_PASSWORD_NBA_MCP_SYNTHESIS_WORKFLOW: its ExternalSecret does not produce it"),
    row("other-secret-missing", env_ref("db-credentials", "password"), FAIL,
        "env EXTRA needs db-credentials/password: the Secret does not exist"),
    row("other-secret-lacks-key", both(other_secret("db-credentials", "username"), env_ref("db-credentials", "password")),
        FAIL, "env EXTRA needs db-credentials/password: the Secret lacks that key"),
    row("envFrom-missing-secret", env_from("app-extra-env"), FAIL,
        "nba-mcp-synthesis envFrom needs Secret app-extra-env: it does not exist"),
    row("init-container-broken", env_ref("db-credentials", "password", name="DB_PASSWORD", where=init_container), FAIL,
        "migrate env DB_PASSWORD needs db-credentials/password: the Secret does not exist"),
])
def test_deployment_secret_refs(change, outcome, fragment):
    a = {"deployment": k8s(M, "deployment"), "name": APP, "target": TARGET, "external_secret": k8s(M, "external_secret"),
         "secrets": k8s(M, "secrets")}
    change(a)
    verdict(sec.deployment_secret_refs(**a), outcome, fragment)


# --- store_identity ---------------------------------------------------------------------------

def aws_auth(a):
    return a["store"]["spec"]["provider"]["aws"]["auth"]


def static_credentials(a):  # auth by an access key Secret instead of IRSA
    aws_auth(a).clear()
    aws_auth(a)["secretRef"] = {"accessKeyIDSecretRef": {"name": "awssm-secret", "key": "access-key"},
                                "secretAccessKeySecretRef": {"name": "awssm-secret", "key": "secret-access-key"}}


def annotate(a, value):
    annotations = a["service_account"]["metadata"]["annotations"]
    if value is None:
        annotations.pop(sec.ROLE_ANNOTATION)
    else:
        annotations[sec.ROLE_ANNOTATION] = value


@pytest.mark.parametrize("change, outcome, fragment", [
    row("irsa-as-expected", same, PASS, f"SecretStore {STORE} authenticates as service account {SA}, annotated with IAM "
                                        f"role {ROLE}"),
    row("store-missing", lambda a: a.update(store=None), FAIL, f"SecretStore {STORE} does not exist"),
    row("static-credentials", static_credentials, FAIL,
        f"SecretStore {STORE} names no service account (spec.provider.aws.auth.jwt)"),
    row("other-service-account", lambda a: aws_auth(a)["jwt"]["serviceAccountRef"].update(name="default"), FAIL,
        f"SecretStore {STORE} authenticates as service account default, not {SA}"),
    row("service-account-missing", lambda a: a.update(service_account=None), FAIL,
        f"SecretStore {STORE} uses service account {SA}, which does not exist"),
    row("no-role-annotation", lambda a: annotate(a, None), FAIL,
        f"uses service account {SA}, which has no eks.amazonaws.com/role-arn annotation"),
    row("other-role", lambda a: annotate(a, "arn:aws:iam::123456789012:role/other-role"), FAIL,
        f"uses service account {SA}, annotated with role other-role, not {ROLE}"),
])
def test_store_identity(change, outcome, fragment):
    a = {"store": k8s(M, "secret_store"), "service_account": k8s(M, "service_account"), "store_name": STORE,
         "expected_sa": SA, "expected_role": ROLE}
    change(a)
    verdict(sec.store_identity(**a), outcome, fragment)


# --- trust_admits_only ------------------------------------------------------------------------

def trust(a):
    return a["response"]["Role"]["AssumeRolePolicyDocument"]["Statement"][0]


def sub_condition(a, operator="StringEquals", value=None):
    """Replace the statement's :sub condition (value None: drop it, leaving only :aud)."""
    conditions = trust(a)["Condition"]
    key = next(k for k in conditions["StringEquals"] if k.endswith(":sub"))
    conditions["StringEquals"].pop(key)
    if value is not None:
        conditions.setdefault(operator, {})[key] = value


def service_trust(a):  # a role for an AWS service, not for a service account
    a["response"]["Role"]["AssumeRolePolicyDocument"]["Statement"] = [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]


@pytest.mark.parametrize("change, outcome, fragment", [
    row("exactly-the-service-account", same, PASS, f"IAM role {ROLE} trust policy admits exactly {SUBJECT}"),
    row("action-as-list", lambda a: trust(a).update(Action=["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]), PASS,
        f"admits exactly {SUBJECT}"),
    row("role-missing", lambda a: a.update(response=aws(M, "role_policies_no_role")["role"], role="no-such-role"), FAIL,
        "IAM role no-such-role: NoSuchEntity: Role no-such-role not found"),
    row("no-web-identity-statement", service_trust, FAIL,
        f"IAM role {ROLE} trust policy has no sts:AssumeRoleWithWebIdentity statement: {SUBJECT} cannot assume it"),
    row("wildcard-subject", lambda a: sub_condition(a, "StringLike", f"system:serviceaccount:{NS}:*"), FAIL,
        f"trust policy does not admit exactly {SUBJECT}: StringLike ['system:serviceaccount:{NS}:*']"),
    row("no-sub-condition", lambda a: sub_condition(a), FAIL, "no :sub condition (any service account in the cluster)"),
    row("two-subjects", lambda a: sub_condition(a, value=[SUBJECT, "system:serviceaccount:default:default"]), FAIL,
        f"admits {SUBJECT}, system:serviceaccount:default:default"),
    row("other-subject", lambda a: sub_condition(a, value="system:serviceaccount:default:default"), FAIL,
        f"does not admit exactly {SUBJECT}: admits system:serviceaccount:default:default"),
])
def test_trust_admits_only(change, outcome, fragment):
    a = {"response": aws(M, "get_role"), "role": ROLE, "subject": SUBJECT}
    change(a)
    verdict(sec.trust_admits_only(**a), outcome, fragment)
