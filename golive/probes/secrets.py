"""Secrets probes: Secrets Manager metadata, IAM for External Secrets, ExternalSecret and Secret state.

Observed state in, one Finding out, no I/O. Secret values are never seen here: Secrets Manager
is read through DescribeSecret and Kubernetes Secrets arrive with their values redacted.
"""
from __future__ import annotations

import re
from datetime import datetime

from golive.check import Finding, failed, passed
from golive.probes import kube
from golive.probes.infrastructure import secrets_listed

ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"


_condition = kube.condition  # {} when absent


def _list(value) -> list:
    return value if isinstance(value, list) else [value] if value is not None else []


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcard match: `*` any run of characters, `?` one character."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def remote_keys(external_secret: dict | None) -> list[str]:
    """The Secrets Manager entries an ExternalSecret reads (data[].remoteRef.key, dataFrom[].extract.key)."""
    spec = (external_secret or {}).get("spec") or {}
    keys = [d["remoteRef"]["key"] for d in spec.get("data") or [] if (d.get("remoteRef") or {}).get("key")]
    keys += [d["extract"]["key"] for d in spec.get("dataFrom") or [] if (d.get("extract") or {}).get("key")]
    return list(dict.fromkeys(keys))


def secrets_described(described: dict[str, dict], prefix: str, keys: list[str],
                      rotation_required: list[str]) -> Finding:
    """Each expected secret answers DescribeSecret: exists, not scheduled for deletion, rotating where required."""
    errors = {name: r["Error"] for name, r in described.items()
              if "Error" in r and r["Error"].get("Code") != "ResourceNotFoundException"}
    if errors:
        return failed(f"Secrets Manager could not describe {len(errors)} secrets: "
                      + "; ".join(f"{n}: {e.get('Code')}: {e.get('Message', '')}" for n, e in errors.items()),
                      resource=prefix, observed=errors, expected="DescribeSecret answers for every expected secret",
                      hint="Grant secretsmanager:DescribeSecret on the secrets to the role golive runs as.")
    return secrets_listed([r for r in described.values() if "Error" not in r], prefix, keys, rotation_required)


def _statements(document) -> list[dict]:
    return _list((document or {}).get("Statement"))


def _matches(statement: dict, action: str, arn: str) -> bool:
    return (any(_glob(a, action, ignore_case=True) for a in _list(statement.get("Action")))
            and any(_glob(r, arn) for r in _list(statement.get("Resource"))))


def role_grants(found: dict, action: str, described: dict[str, dict], role: str, reader: str) -> Finding:
    """The role's policies allow `action` on each secret's ARN (wildcards resolved), with no Deny overriding.

    Conservative where the policy cannot be evaluated here: an Allow with a Condition is not counted,
    a Deny with a Condition is.
    """
    resource = f"IAM role {role}"
    if "Error" in found["role"]:
        err = found["role"]["Error"]
        return failed(f"{resource}: {err.get('Code')}: {err.get('Message', '')}", resource=resource, observed=err,
                      expected=f"a role allowing {action}", hint="Create the role External Secrets assumes (IRSA).")
    unreadable = [f"{p['name']} ({p['error'].get('Code')})" for p in found["policies"] if p.get("error")]
    statements = [s for p in found["policies"] for s in _statements(p.get("document"))]
    arns = {name: r.get("ARN") for name, r in described.items()}
    denied, ungranted, conditional = [], [], 0
    for name, arn in arns.items():
        if arn is None:
            ungranted.append(f"{name} (does not exist)")
            continue
        if any(s.get("Effect") == "Deny" and _matches(s, action, arn) for s in statements):
            denied.append(name)
        elif not any(s.get("Effect") == "Allow" and not s.get("Condition") and _matches(s, action, arn)
                     for s in statements):
            ungranted.append(name)
            conditional += any(s.get("Effect") == "Allow" and s.get("Condition") and _matches(s, action, arn)
                               for s in statements)
    # Secret ARNs shortened to the name pattern after ":secret:" (what people compare, and not redacted as a value).
    granted_on = sorted({r.split(":secret:", 1)[-1] for s in statements if s.get("Effect") == "Allow"
                         and any(_glob(a, action, ignore_case=True) for a in _list(s.get("Action")))
                         for r in _list(s.get("Resource"))})
    observed = {"policies": [p["name"] for p in found["policies"]], "unreadable": unreadable,
                "allowed_on": granted_on, "not_granted": ungranted, "denied": denied}
    expected = f"{action} allowed on the {len(arns)} secrets ExternalSecret {reader} reads"
    if not arns:
        return failed(f"ExternalSecret {reader} reads no Secrets Manager entries (or does not exist): nothing to "
                      f"grant {resource}", resource=resource, observed=observed, expected=expected)
    if unreadable or denied or ungranted:
        problems = ([f"unreadable policies: {', '.join(unreadable)}"] if unreadable else []) \
            + ([f"explicitly denied on {', '.join(denied)}"] if denied else []) \
            + ([f"not granted on {len(ungranted)} of {len(arns)} secrets (it allows {action} only on "
                f"{', '.join(granted_on) or 'nothing'}): {', '.join(ungranted)}"] if ungranted else []) \
            + ([f"{conditional} of those allowed only under a Condition golive does not evaluate"]
               if conditional else [])
        return failed(f"{resource} does not allow {action} for ExternalSecret {reader}: " + "; ".join(problems),
                      resource=resource, observed=observed, expected=expected,
                      hint=f"Allow {action} on these secrets' ARNs (a wildcard over their prefix works) in one of "
                           "the role's policies, and remove any Deny on them.")
    return passed(f"{resource} allows {action} on all {len(arns)} secrets ExternalSecret {reader} reads "
                  f"(via {', '.join(observed['policies'])})", resource=resource, observed=observed, expected=expected)


def _age_minutes(stamp: str | None, now: datetime) -> float | None:
    if not stamp:
        return None
    return round((now - datetime.fromisoformat(stamp.replace("Z", "+00:00"))).total_seconds() / 60, 1)


def external_secret_synced(external_secret: dict | None, name: str, now: datetime, max_age_minutes: float) -> Finding:
    """The ExternalSecret is Ready=True (SecretSynced) and refreshed within the allowed age."""
    if external_secret is None:
        return failed(f"ExternalSecret {name} does not exist", resource=name, observed=None, expected="SecretSynced",
                      final=True, hint="Apply the phase-2 manifests (external-secret.yaml).")
    ready = _condition(external_secret, "Ready")
    age = _age_minutes((external_secret.get("status") or {}).get("refreshTime"), now)
    observed = {"ready": ready.get("status"), "reason": ready.get("reason"), "message": ready.get("message"),
                "refresh_age_minutes": age}
    expected = {"ready": "True", "reason": "SecretSynced", "refresh_age_minutes": f"<= {max_age_minutes:g}"}
    if ready.get("status") != "True" or ready.get("reason") != "SecretSynced":
        return failed(f"ExternalSecret {name} is not synced: Ready={ready.get('status', 'absent')} "
                      f"({ready.get('reason', 'no reason')}: {ready.get('message', '')})", resource=name,
                      observed=observed, expected=expected,
                      hint=f"kubectl describe externalsecret {name}; the events name the failing store or key.")
    if age is None or age > max_age_minutes:
        what = "never refreshed" if age is None else f"last refreshed {age:g} min ago"
        return failed(f"ExternalSecret {name} is SecretSynced but {what} (allowed {max_age_minutes:g} min)",
                      resource=name, observed=observed, expected=expected,
                      hint="Check the External Secrets Operator's logs: it stopped refreshing.")
    return passed(f"ExternalSecret {name} is Ready (SecretSynced), refreshed {age:g} min ago "
                  f"(allowed {max_age_minutes:g})", resource=name, observed=observed, expected=expected)


def secret_store_ready(store: dict | None, name: str) -> Finding:
    """The SecretStore is Ready=True (its provider and credentials validated)."""
    if store is None:
        return failed(f"SecretStore {name} does not exist", resource=name, observed=None, expected="Ready",
                      hint="Apply the phase-2 manifests (secret-store.yaml).")
    ready = _condition(store, "Ready")
    observed = {"ready": ready.get("status"), "reason": ready.get("reason"), "message": ready.get("message")}
    if ready.get("status") != "True":
        return failed(f"SecretStore {name} is not Ready ({ready.get('reason', 'no Ready condition')}: "
                      f"{ready.get('message', '')})", resource=name, observed=observed, expected="Ready=True",
                      hint=f"kubectl describe secretstore {name}: usually the IRSA role or region is wrong.")
    return passed(f"SecretStore {name} is Ready ({ready.get('reason')})", resource=name, observed=observed,
                  expected="Ready=True")


def produced_keys(external_secret: dict | None) -> list[str]:
    """The keys the ExternalSecret writes into its target Secret (data[].secretKey)."""
    return [d["secretKey"] for d in ((external_secret or {}).get("spec") or {}).get("data") or [] if d.get("secretKey")]


def target_secret_complete(external_secret: dict | None, secret: dict | None, name: str) -> Finding:
    """The target Secret exists and holds every key the ExternalSecret produces (names only)."""
    produced = produced_keys(external_secret)
    if external_secret is None or not produced:
        return failed(f"ExternalSecret for Secret {name} is missing or produces no keys (expected keys, found 0)",
                      resource=name, observed=produced, expected="> 0 keys")
    if secret is None:
        return failed(f"Secret {name} does not exist (ExternalSecret produces {len(produced)} keys into it)",
                      resource=name, observed=None, expected=produced,
                      hint="The External Secrets Operator has not created it: check the ExternalSecret's status.")
    held = sorted(secret.get("data") or {})
    missing = [k for k in produced if k not in held]
    observed = {"keys": held, "missing": missing}
    if missing:
        return failed(f"Secret {name} lacks {len(missing)} of the {len(produced)} keys its ExternalSecret produces: "
                      + ", ".join(missing), resource=name, observed=observed, expected=produced,
                      hint="Force a refresh (annotate the ExternalSecret force-sync=$(date +%s)) and check its status.")
    return passed(f"Secret {name} holds all {len(produced)} keys its ExternalSecret produces", resource=name,
                  observed=observed, expected=produced)


def deployment_secret_refs(deployment: dict | None, name: str, target: str, external_secret: dict | None,
                           secrets: list[dict]) -> Finding:
    """Every secretKeyRef / envFrom secretRef in the pod template resolves: keys of the target Secret are ones
    the ExternalSecret produces; other Secrets exist with the key."""
    if deployment is None:
        return failed(f"Deployment {name} does not exist", resource=name, observed=None,
                      expected="a Deployment whose secret references resolve")
    produced = set(produced_keys(external_secret))
    held = {(s.get("metadata") or {}).get("name"): set(s.get("data") or {}) for s in secrets}
    pod = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    refs, broken = [], []
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        for env in container.get("env") or []:
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                refs.append(f"{ref.get('name')}/{ref.get('key')}")
                keys = produced if ref.get("name") == target else held.get(ref.get("name"))
                if not ref.get("optional") and (keys is None or ref.get("key") not in keys):
                    source = "its ExternalSecret does not produce it" if ref.get("name") == target else (
                        "the Secret does not exist" if keys is None else "the Secret lacks that key")
                    broken.append(f"{container.get('name')} env {env.get('name')} needs {ref.get('name')}/"
                                  f"{ref.get('key')}: {source}")
        for source in container.get("envFrom") or []:
            ref = source.get("secretRef")
            if ref:
                refs.append(f"{ref.get('name')}/*")
                if not ref.get("optional") and ref.get("name") not in held:
                    broken.append(f"{container.get('name')} envFrom needs Secret {ref.get('name')}: it does not exist")
    observed = {"references": refs, "broken": broken}
    if broken:
        return failed(f"Deployment {name} references secrets that will not resolve (pods fail with "
                      f"CreateContainerConfigError): " + "; ".join(broken), resource=name, observed=observed,
                      expected="every reference resolves",
                      hint="Add the key to the ExternalSecret (and Secrets Manager) or fix the reference.")
    return passed(f"Deployment {name}: all {len(refs)} secret references resolve", resource=name, observed=observed,
                  expected="every reference resolves")


def store_service_account(store: dict | None) -> str | None:
    """The service account a SecretStore authenticates as (spec.provider.aws.auth.jwt.serviceAccountRef)."""
    aws = (((store or {}).get("spec") or {}).get("provider") or {}).get("aws") or {}
    return (((aws.get("auth") or {}).get("jwt") or {}).get("serviceAccountRef") or {}).get("name")


def annotated_role(service_account: dict | None) -> str | None:
    """The IAM role name an IRSA service account is annotated with."""
    arn = (((service_account or {}).get("metadata") or {}).get("annotations") or {}).get(ROLE_ANNOTATION)
    return arn.rsplit("/", 1)[-1] if arn else None


def store_identity(store: dict | None, service_account: dict | None, store_name: str, expected_sa: str,
                   expected_role: str) -> Finding:
    """The SecretStore authenticates as the expected service account, which exists and names the expected role."""
    used, role = store_service_account(store), annotated_role(service_account)
    observed = {"store": store_name, "service_account": used, "exists": service_account is not None, "role": role}
    expected = {"service_account": expected_sa, "role": expected_role}
    problem = ("does not exist" if store is None else
               "names no service account (spec.provider.aws.auth.jwt)" if not used else
               f"authenticates as service account {used}, not {expected_sa}" if used != expected_sa else
               f"uses service account {used}, which does not exist" if service_account is None else
               f"uses service account {used}, which has no {ROLE_ANNOTATION} annotation" if not role else
               f"uses service account {used}, annotated with role {role}, not {expected_role}"
               if role != expected_role else "")
    if problem:
        return failed(f"SecretStore {store_name} {problem}", resource=store_name, observed=observed, expected=expected,
                      hint="Point the SecretStore at the IRSA service account and annotate it with the role ARN.")
    return passed(f"SecretStore {store_name} authenticates as service account {used}, annotated with IAM role {role}",
                  resource=store_name, observed=observed, expected=expected)


def trust_admits_only(response: dict, role: str, subject: str) -> Finding:
    """The role's trust policy lets exactly one service account assume it through the cluster's OIDC provider."""
    resource = f"IAM role {role}"
    if "Error" in response:
        err = response["Error"]
        return failed(f"{resource}: {err.get('Code')}: {err.get('Message', '')}", resource=resource, observed=err,
                      expected=f"trust admitting only {subject}")
    trust = (response.get("Role") or {}).get("AssumeRolePolicyDocument")
    web = [s for s in _statements(trust) if s.get("Effect") == "Allow"
           and any(_glob(a, "sts:AssumeRoleWithWebIdentity", ignore_case=True) for a in _list(s.get("Action")))]
    admitted, loose = [], []
    for s in web:
        conditions = s.get("Condition") or {}
        exact, like = ([v for k, vals in (conditions.get(operator) or {}).items() if k.endswith(":sub")
                        for v in _list(vals)] for operator in ("StringEquals", "StringLike"))
        admitted += exact + like
        if like or not exact:
            loose.append(f"StringLike {like}" if like else "no :sub condition (any service account in the cluster)")
    observed = {"web_identity_statements": len(web), "subjects": admitted, "loose": loose}
    if not web:
        return failed(f"{resource} trust policy has no sts:AssumeRoleWithWebIdentity statement: {subject} cannot "
                      "assume it", resource=resource, observed=observed, expected=[subject],
                      hint="Add the IRSA trust statement for the cluster's OIDC provider.")
    if loose or set(admitted) != {subject}:
        what = "; ".join(loose) if loose else f"admits {', '.join(admitted)}"
        return failed(f"{resource} trust policy does not admit exactly {subject}: {what}", resource=resource,
                      observed=observed, expected=[subject],
                      hint=f"Set the trust condition StringEquals <oidc>:sub = {subject} (and nothing else).")
    return passed(f"{resource} trust policy admits exactly {subject}", resource=resource, observed=observed,
                  expected=[subject])
