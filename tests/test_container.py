"""The image builds, and its smoke Job's pod runs green inside a container against the sandbox with
in-cluster configuration: KUBERNETES_SERVICE_HOST/PORT, the service-account token and CA mounted where
a pod has them, golive.toml and the runbook from the ConfigMap, credentials from Secrets read back from
the sandbox's Kubernetes API, a read-only root filesystem, a non-root user; its reports land in S3.

The pod comes from the rendered sandbox overlay (deploy/overlays/sandbox, CronJob golive-smoke); this
test does what the kubelet would with it, using podman with the flags this kind of machine needs.
"""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time

import pytest
import requests

from sandbox import stack
from sandbox.pki import Pki
from tests.harness import ROOT
from tests.test_deploy import render

pytestmark = pytest.mark.container
IMAGE = "localhost/golive:sandbox"
PODMAN = ["podman", "--storage-driver", "vfs", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
BUCKET = "golive-artifacts"


@pytest.fixture(scope="module")
def image():
    if not shutil.which("podman"):
        pytest.skip("podman is not installed (apt-get install podman buildah runc debootstrap; "
                    "scripts/bootstrap.sh does it as root): the image cannot be built or run here")
    start = time.monotonic()
    built = subprocess.run([str(ROOT / "scripts" / "build-image.sh"), IMAGE], capture_output=True, text=True,
                           timeout=900)
    assert built.returncode == 0, built.stderr[-3000:]
    print(f"image {IMAGE} built in {time.monotonic() - start:.0f} s")
    return IMAGE


class Kubelet:
    """Just enough of a kubelet: a pod spec's volumes, env and security context as podman options,
    ConfigMaps from the rendered overlay, Secrets from the sandbox's Kubernetes API."""

    def __init__(self, objects, api, tmp):
        self.configmaps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"}
        self.api, self.tmp = api, tmp

    def secret(self, name):
        r = self.api.get(f"{stack.KUBE_URL}/api/v1/namespaces/golive/secrets/{name}", timeout=5)
        r.raise_for_status()
        return {k: base64.b64decode(v) for k, v in r.json()["data"].items()}

    def volume(self, volume):
        folder = self.tmp / "volumes" / volume["name"]
        folder.mkdir(parents=True)
        if "emptyDir" in volume:
            return None
        if "configMap" in volume:
            source = self.configmaps[volume["configMap"]["name"]]["data"]
            data, items = {k: v.encode() for k, v in source.items()}, volume["configMap"].get("items")
        else:
            data, items = self.secret(volume["secret"]["secretName"]), volume["secret"].get("items")
        for item in items or [{"key": k, "path": k} for k in data]:
            (folder / item["path"]).parent.mkdir(parents=True, exist_ok=True)
            (folder / item["path"]).write_bytes(data[item["key"]])
        return folder

    def run_options(self, pod):
        container = pod["containers"][0]
        options = ["--rm", "--network", "host", *LIMITS]
        context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
        options += ["--user", f"{context['runAsUser']}:{context['runAsGroup']}"]
        if context.get("readOnlyRootFilesystem"):
            options.append("--read-only")
        if context.get("capabilities", {}).get("drop") == ["ALL"]:
            options += ["--cap-drop", "ALL"]
        folders = {v["name"]: self.volume(v) for v in pod["volumes"]}
        for mount in container["volumeMounts"]:
            folder = folders[mount["name"]]
            if folder is None:
                options += ["--tmpfs", f"{mount['mountPath']}:rw,mode=1777"]
                continue
            source = folder / mount["subPath"] if mount.get("subPath") else folder
            options += ["-v", f"{source}:{mount['mountPath']}:{'ro' if mount.get('readOnly') else 'rw'}"]
        # The service account, as the kubelet mounts it, and the API server's address, as the kubelet sets it.
        options += ["-v", f"{Pki(stack.state_dir()).service_account}:{SERVICE_ACCOUNT_DIR}:ro",
                    "-e", f"KUBERNETES_SERVICE_HOST={stack.HOST}", "-e", f"KUBERNETES_SERVICE_PORT={stack.PORTS['kubernetes']}"]
        for env in container["env"]:
            if "value" in env:
                options += ["-e", f"{env['name']}={env['value']}"]
                continue
            ref = env["valueFrom"]["secretKeyRef"]
            value = self.secret(ref["name"]).get(ref["key"])
            assert value is not None or ref.get("optional"), f"Secret {ref['name']} has no key {ref['key']}"
            if value is not None:
                options += ["-e", f"{env['name']}={value.decode()}"]
        return options, container["image"], container["args"]


@pytest.fixture
def cluster_side(sandbox):
    """The overlay applied, and the two Secrets an operator creates for it, in the sandbox's API."""
    pki = Pki(stack.state_dir())
    api = requests.Session()
    api.trust_env = False  # REQUESTS_CA_BUNDLE would win over verify
    api.verify, api.headers["Authorization"] = str(pki.ca), f"Bearer {pki.token('admin')}"
    objects = render("overlays/sandbox")
    state = stack.state_dir()

    def put(path, body):
        r = api.post(f"{stack.KUBE_URL}{path}", json=body, timeout=5)
        assert r.status_code in (201, 409), r.text

    put("/api/v1/namespaces", {"metadata": {"name": "golive"}})
    secret = lambda name, data: put("/api/v1/namespaces/golive/secrets", {
        "metadata": {"name": name}, "type": "Opaque", "data": {k: base64.b64encode(v).decode() for k, v in data.items()}})
    secret("golive-credentials", {"grafana-token": (state / "grafana" / "token").read_bytes().strip(),
                                  "attestation-key": (state / "attestation.key").read_bytes().strip()})
    secret("golive-sandbox-state", {"aws-credentials": (state / "aws" / "credentials").read_bytes(),
                                    "attestations.json": (state / "attestations.json").read_bytes()})
    sandbox.aws("s3").create_bucket(Bucket=BUCKET)
    yield objects, api
    api.delete(f"{stack.KUBE_URL}/api/v1/namespaces/golive", timeout=5)
    s3 = sandbox.aws("s3")
    for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=obj["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def test_the_smoke_job_runs_green_in_the_container_with_in_cluster_config(image, cluster_side, sandbox, tmp_path):
    objects, api = cluster_side
    cron = next(o for o in objects if o["kind"] == "CronJob" and o["metadata"]["name"] == "golive-smoke")
    options, ref, args = Kubelet(objects, api, tmp_path).run_options(cron["spec"]["jobTemplate"]["spec"]["template"]["spec"])
    assert ref == image
    start = time.monotonic()
    done = subprocess.run([*PODMAN, "run", *options, ref, *args], capture_output=True, text=True, timeout=600)
    took = time.monotonic() - start
    print(f"in-container smoke run: {took:.0f} s")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "golive verdict: GO (exit 0) environment=sandbox selection=smoke: 13 passed" in done.stdout, output[-2000:]
    # The reports left the pod: HTML, its .sha256, JUnit and JSONL under runs/sandbox/<run>/.
    keys = [o["Key"] for o in sandbox.aws("s3").list_objects_v2(Bucket=BUCKET, Prefix="runs/sandbox/").get("Contents", [])]
    assert {k.rsplit(".", 1)[-1] for k in keys} >= {"html", "sha256", "xml", "jsonl"}, keys
    stream = next(k for k in keys if k.endswith(".jsonl"))
    lines = [json.loads(line) for line in sandbox.aws("s3").get_object(Bucket=BUCKET, Key=stream)["Body"].read().splitlines()]
    run = lines[0]
    assert run["config_file"] == "/etc/golive/golive.toml" and run["runbook_file"].endswith("sandbox/runbook/GO_LIVE_RUNBOOK.md")
    # No kubeconfig is in the container: the Kubernetes checks passed on the mounted service-account token.
    ledger = {row["source"] for row in lines[-1]["ledger"]}
    assert "Kubernetes API" in ledger, ledger
