"""deploy/: every overlay and the recipes render with kustomize (kubectl's), every object validates against
the Kubernetes 1.28 schemas (kubernetes-validate, strict), and the manifests apply to the sandbox's
Kubernetes API with kubectl, as `kubectl apply -k deploy/overlays/<env>` would to a cluster.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from golive import config
from sandbox import stack
from sandbox.pki import Pki
from tests.harness import ROOT
from tests.harness import kubectl

DEPLOY = ROOT / "deploy"
OVERLAYS = ["production", "staging", "sandbox"]
KUBERNETES_VERSION = "1.28"  # the target's EKS version (golive.toml eks.expected_version)
PHASES = {"pre_go_live", "t_minus_24", "t_minus_4", "t_minus_2", "t_minus_1", "smoke", "t_zero", "t_plus_15",
          "t_plus_1h", "t_plus_24", "post_go_live"}




def render(folder: str) -> list[dict]:
    done = subprocess.run([kubectl(), "kustomize", str(DEPLOY / folder)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.fixture(scope="module", params=OVERLAYS + ["recipes"])
def rendered(request):
    return request.param, render(f"overlays/{request.param}" if request.param in OVERLAYS else request.param)


def test_every_rendered_object_validates_against_the_kubernetes_schemas(rendered):
    folder, objects = rendered
    for obj in objects:
        if obj["kind"] == "AnalysisTemplate":  # a CRD the schemas lack: its Job is what Kubernetes will validate
            for metric in obj["spec"]["metrics"]:
                job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": metric["name"]},
                       "spec": metric["provider"]["job"]["spec"]}
                kubernetes_validate.validate(job, KUBERNETES_VERSION, strict=True)
            continue
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_an_overlay_holds_a_job_template_per_phase_and_the_post_launch_cronjob(rendered):
    folder, objects = rendered
    if folder == "recipes":
        pytest.skip("recipes hold no phase templates")
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert {("ServiceAccount", "golive"), ("ClusterRole", "golive-readonly"), ("ClusterRoleBinding", "golive-runner-readonly"),
            ("Role", "golive-named-secrets"), ("RoleBinding", "golive-named-secrets"),
            ("ConfigMap", "golive-config"), ("Namespace", "golive")} <= kinds
    crons = {o["metadata"]["name"]: o for o in objects if o["kind"] == "CronJob"}
    args = {c["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][0]: c for c in crons.values()}
    assert PHASES <= set(args), PHASES - set(args)
    assert all(args[p]["spec"]["suspend"] for p in PHASES)  # templates: run with kubectl create job --from
    assert crons["golive-post-launch"]["spec"]["suspend"] is (folder == "sandbox")
    for cron in crons.values():
        pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert pod["serviceAccountName"] == "golive" and pod["securityContext"]["runAsNonRoot"]
        assert container["securityContext"]["readOnlyRootFilesystem"] and cron["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 0
        env = {e["name"]: e for e in container["env"]}
        assert env["GOLIVE_ENV"]["value"] == folder and env["GOLIVE_ARTIFACTS_S3"]["value"].startswith("s3://")
        assert all("valueFrom" in env[k] for k in ("GRAFANA_TOKEN", "GOLIVE_ATTESTATION_KEY", "PGPASSWORD"))
    binding = next(o for o in objects if o["kind"] == "ClusterRoleBinding")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "golive", "namespace": "golive"}]
    role_arn = next(o for o in objects if o["kind"] == "ServiceAccount")["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role_arn.startswith("arn:aws:iam::123456789012:role/golive-")


def test_the_clusterrole_only_reads_and_grants_no_secrets():
    role = yaml.safe_load((DEPLOY / "base" / "clusterrole.yaml").read_text())
    verbs = {v for rule in role["rules"] for v in rule["verbs"]}
    assert verbs == {"get", "list"}, verbs
    assert any(rule.get("resources") == ["services/proxy"] and rule["verbs"] == ["get"] for rule in role["rules"])
    assert not any({"secrets", "*"} & set(rule.get("resources") or []) for rule in role["rules"]), role["rules"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_read_by_name_only_in_the_apps_namespace_from_config(overlay):
    """The only grant on Secrets: get on the configured target Secret, in the configured app namespace."""
    env = config.load(overlay, ROOT / "golive.toml")
    objects = render(f"overlays/{overlay}")
    secret_rules = [(o["kind"], o["metadata"].get("namespace"), rule) for o in objects if o["kind"] in ("Role", "ClusterRole")
                    for rule in o["rules"] if {"secrets", "*"} & set(rule.get("resources") or [])]
    assert secret_rules == [("Role", env.kubernetes.app_namespace, {
        "apiGroups": [""], "resources": ["secrets"], "resourceNames": [env.secrets.target_secret], "verbs": ["get"]})]
    binding = next(o for o in objects if o["kind"] == "RoleBinding" and o["metadata"]["name"] == "golive-named-secrets")
    assert binding["metadata"]["namespace"] == env.kubernetes.app_namespace
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "golive", "namespace": "golive"}]
    people = [d for d in yaml.safe_load_all((DEPLOY / "rbac.yaml").read_text()) if d["kind"] == "RoleBinding"]
    assert [b["metadata"]["namespace"] for b in people] == [config.load("production", ROOT / "golive.toml").kubernetes.app_namespace]


def test_the_artifacts_policy_only_writes_under_its_prefix():
    policy = json.loads((DEPLOY / "iam-artifacts-policy.json").read_text())
    (statement,) = policy["Statement"]
    assert statement["Action"] == ["s3:PutObject"] and statement["Resource"].endswith("/runs/*")
    read_only = json.loads((DEPLOY / "iam-policy.json").read_text())
    assert not any("Put" in a for s in read_only["Statement"] if s["Effect"] == "Allow" for a in s["Action"])


@pytest.mark.parametrize("copy, original", [
    ("base/golive.toml", "golive.toml"),
    ("base/GO_LIVE_RUNBOOK.md", "golive/runbook/GO_LIVE_RUNBOOK.md"),
    ("overlays/sandbox/sandbox-runbook.md", "sandbox/runbook/GO_LIVE_RUNBOOK.md"),
])
def test_the_configmaps_files_are_the_repositorys(copy, original):
    assert (DEPLOY / copy).read_bytes() == (ROOT / original).read_bytes(), f"run: cp {original} deploy/{copy}"


# --- apply to the sandbox's Kubernetes API -------------------------------------------------------

@pytest.fixture
def admin_kubeconfig(sandbox, tmp_path):
    """The sandbox's kubeconfig with the admin token: applying is an operator's job, not golive's."""
    config = json.loads((stack.state_dir() / "kubeconfig").read_text())
    config["users"][0]["user"]["token"] = Pki(stack.state_dir()).token("admin")
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config))
    return path


def kubectl_on(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([kubectl(), "--kubeconfig", str(kubeconfig), "--cache-dir", str(kubeconfig.parent / "cache"),
                           *args], capture_output=True, text=True, timeout=120)


def test_the_overlays_apply_to_the_sandboxs_kubernetes_api(admin_kubeconfig, sandbox):
    # The emulator serves no OpenAPI (client-side validation off: kubernetes-validate did it above).
    try:
        done = kubectl_on(admin_kubeconfig, "apply", "--validate=false", "-k", str(DEPLOY / "overlays" / "sandbox"))
        assert done.returncode == 0, done.stderr
        # Staging's app namespace (its Role on the named Secrets lives there) is not the sandbox's: make it.
        staging_app = config.load("staging", ROOT / "golive.toml").kubernetes.app_namespace
        namespace = admin_kubeconfig.parent / "namespace.json"
        namespace.write_text(json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": staging_app}}))
        made = kubectl_on(admin_kubeconfig, "create", "--validate=false", "-f", str(namespace))
        assert made.returncode == 0, made.stderr
        for overlay in ("production", "staging"):  # server-side dry runs, into the namespace the sandbox's made
            dry = kubectl_on(admin_kubeconfig, "apply", "--validate=false", "--dry-run=server", "-k",
                             str(DEPLOY / "overlays" / overlay))
            assert dry.returncode == 0, dry.stderr
        again = kubectl_on(admin_kubeconfig, "apply", "--validate=false", "-k", str(DEPLOY / "overlays" / "sandbox"))
        assert again.returncode == 0 and "unchanged" in again.stdout, again.stdout + again.stderr
        listed = kubectl_on(admin_kubeconfig, "get", "cronjobs", "-n", "golive", "-o", "name")
        assert "cronjob.batch/golive-smoke" in listed.stdout.split()
        job = next(o for o in render("recipes") if o["kind"] == "Job")
        (admin_kubeconfig.parent / "job.json").write_text(json.dumps(job))
        created = kubectl_on(admin_kubeconfig, "create", "--validate=false", "--dry-run=server", "-f",
                             str(admin_kubeconfig.parent / "job.json"))
        assert created.returncode == 0, created.stderr
    finally:
        for kind, name in (("namespace", "golive"), ("clusterrolebinding", "golive-runner-readonly"),
                           ("clusterrole", "golive-readonly")):
            kubectl_on(admin_kubeconfig, "delete", kind, name, "--ignore-not-found", "--wait=false")
        kubectl_on(admin_kubeconfig, "delete", "namespace", config.load("staging", ROOT / "golive.toml").kubernetes
                   .app_namespace, "--ignore-not-found", "--wait=false")
        for kind in ("rolebinding", "role"):  # in the app's namespace, beside the app
            kubectl_on(admin_kubeconfig, "delete", kind, "golive-named-secrets", "-n",
                       config.load("sandbox", ROOT / "golive.toml").kubernetes.app_namespace, "--ignore-not-found")
