"""Per-environment configuration: every name and threshold a check uses comes from here.

`golive.toml` holds a `[defaults]` table merged under each `[environments.<name>]` table.
The merged table is validated by the schema below before any test runs; a bad file gives
one line naming the file and the key (`ConfigError`), never a traceback.
Credentials are never read from this file: AWS uses its credential chain (a profile or a
credentials-file *path* may be named), Kubernetes a kubeconfig, Grafana an env var or token file.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_CONFIG = "golive.toml"


class ConfigError(Exception):
    """A one-line, user-facing configuration problem."""


def _http_url(value: str) -> str:
    """An http(s) URL with a host, kept as written (a typo like `htp:/host` would only fail mid-run)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL with a host, e.g. https://host:port")
    try:
        parts.port  # a port that is not a number raises here
    except ValueError:
        raise ValueError(f"{value!r} has a port that is not a number") from None
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


class Section(BaseModel):
    # A mistyped key is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


_SERVICE_REF = re.compile(r"(?P<namespace>[a-z0-9]([-a-z0-9]*[a-z0-9])?)/(?:(?:http|https):)?"
                          r"(?P<name>[a-z0-9]([-a-z0-9]*[a-z0-9])?):(?P<port>[0-9]+|[a-z0-9-]+)")


def _service_ref(value: str) -> str:
    if not _SERVICE_REF.fullmatch(value):
        raise ValueError(f"{value!r} is not NAMESPACE/SERVICE:PORT (e.g. \"monitoring/prometheus:9090\")")
    return value


# An in-cluster Service reached through the Kubernetes API server's service proxy when golive runs
# outside the cluster: "NAMESPACE/[SCHEME:]SERVICE:PORT" (PORT a number or a port name).
ServiceRef = Annotated[str, AfterValidator(_service_ref)]


class Timeouts(Section):
    connect_seconds: float = Field(3.0, gt=0)
    read_seconds: float = Field(10.0, gt=0)
    # How long a check waits for a state that settles over time (ExternalSecret Ready, a rollout).
    settle_seconds: float = Field(30.0, ge=0)
    settle_interval_seconds: float = Field(2.0, gt=0)


class Aws(Section):
    region: str
    # Only for emulators (the sandbox's moto server); production uses AWS's own endpoints.
    endpoint_url: HttpUrl | None = None
    profile: str | None = None
    credentials_file: str | None = None
    account_id: str | None = None


class Eks(Section):
    cluster: str
    expected_version: str
    # Oldest Kubernetes minor version EKS still supports in standard support.
    min_supported_version: str = "1.28"
    nodegroup: str
    min_ready_nodes: int = Field(3, ge=1)


class LogAgent(Section):
    namespace: str
    daemonset: str


class Kubernetes(Section):
    kubeconfig: str | None = None
    context: str | None = None
    # None: in-cluster configuration when running in a pod (KUBERNETES_SERVICE_HOST and a mounted
    # service-account token), else the kubeconfig. True/False force either.
    in_cluster: bool | None = None
    # "eks": authenticate with an EKS token golive builds with botocore under aws.profile (presigned
    # STS GetCallerIdentity for eks.cluster, as `aws eks get-token`), instead of the kubeconfig user's.
    auth: Literal["kubeconfig", "eks"] = "kubeconfig"
    app_namespace: str
    monitoring_namespace: str
    eso_namespace: str
    deployment: str
    app_label: str  # label selector, e.g. "app=nba-mcp-synthesis"
    container: str
    expected_image: str | None = None  # full image reference, or None to accept any
    service: str
    headless_service: str | None = None  # documented target name; no check reads it yet
    ingress: str
    ingress_host: str | None = None  # the host the Ingress must route to the Service; None: any host
    hpa: str
    network_policy: str | None = None  # documented target name; no check reads it yet
    eso_deployment: str = "external-secrets"
    log_agent: LogAgent
    metrics_apiservice: str = "v1beta1.metrics.k8s.io"
    service_monitor: str
    prometheus_rule: str
    # Where the ServiceMonitor and PrometheusRule live; None: found by name in any namespace (the target's
    # ServiceMonitor lives in the app namespace, kube-prometheus-stack selects them from every namespace).
    service_monitor_namespace: str | None = None
    prometheus_rule_namespace: str | None = None
    # Workloads that must not be left in the production namespace (T-4h "clear staging").
    staging_label_selector: str = "environment=staging"
    # Labels the app namespace must carry (T-4h "prepare production environment").
    namespace_labels: dict[str, str] = {}
    # CustomResourceDefinitions the External Secrets Operator must serve.
    eso_crds: list[str] = ["externalsecrets.external-secrets.io", "secretstores.external-secrets.io"]


class Secrets(Section):
    prefix: str  # Secrets Manager name prefix, e.g. "nba-mcp-synthesis/production/"
    keys: list[str] = Field(min_length=1)
    rotation_required: list[str] = []
    secret_store: str
    external_secret: str
    target_secret: str
    eso_service_account: str
    eso_role_name: str
    refresh_max_age_minutes: float = Field(90, gt=0)


class S3(Section):
    data_bucket: str
    backup_bucket: str


class Database(Section):
    host: str
    port: int = 5432
    dbname: str
    user: str
    # Password: libpq's standard places (PGPASSWORD, ~/.pgpass), never this file.
    sslmode: str = "prefer"
    expected_tables: list[str] = []
    read_query: str = "SELECT 1"
    rds_instance: str
    backup_retention_days: int = Field(7, ge=1)
    snapshot_max_age_hours: float = Field(26, gt=0)


class Backup(Section):
    plan: str
    vault: str
    dump_prefix: str = "postgres/"  # where s3.backup_bucket keeps the database dumps


class LoadBalancer(Section):
    name: str
    world_open_ports_allowed: list[int] = [80, 443]


class Endpoint(Section):
    name: str
    method: Literal["GET", "HEAD"] = "GET"
    path: str
    expect_status: int = 200
    budget_ms: float = Field(500, gt=0)
    # What a 2xx GET must carry to count: a JSON document (the app is a JSON API), with these keys. A web
    # server's welcome page or a default backend's 200 is not the app answering.
    expect_json: bool = True
    expect_keys: list[str] = []


class ToolCall(Section):
    name: str
    arguments: dict = {}


class SqlTool(Section):
    name: str
    argument: str  # the argument that carries the SQL text


class App(Section):
    base_url: HttpUrl
    service: ServiceRef | None = None  # base_url's Service, for runs outside the cluster (service proxy)
    # Public URL through the ingress / load balancer; None when not reachable from the runner.
    ingress_url: HttpUrl | None = None
    endpoints: list[Endpoint] = Field(min_length=1)
    mcp_path: str = "/mcp"
    mcp_tools: list[str] = Field(min_length=1)
    mcp_tool_call: ToolCall
    # URLs that must answer (any HTTP status < 500); [] says there are none, unset means nobody said.
    external_integrations: list[HttpUrl] | None = None
    mcp_workflow: list[ToolCall] = []  # an end-to-end user workflow: tool calls that must each return data
    # The read-only SQL tool, to compare its answers with the database's.
    mcp_sql_tool: SqlTool = SqlTool(name="query_database", argument="sql")


class Prometheus(Section):
    url: HttpUrl
    service: ServiceRef | None = None  # outside the cluster: through the API server's service proxy
    app_job: str
    rule_groups: list[str] = Field(min_length=1)
    key_metrics: list[str] = Field(min_length=1)
    optional_metrics: list[str] = []
    scrape_interval_seconds: float = Field(30, gt=0)  # windowed checks' rate() spans at least 10 scrapes
    fresh_within_scrapes: int = Field(3, ge=1)  # a sample older than this many scrape intervals is stale
    # Alert name -> the Thresholds field its rule's comparison constant must equal.
    alert_thresholds: dict[str, str] = {}

    @model_validator(mode="after")
    def _known_thresholds(self) -> "Prometheus":
        unknown = sorted(set(self.alert_thresholds.values()) - set(Thresholds.model_fields))
        if unknown:
            raise ValueError(f"alert_thresholds names unknown thresholds {unknown}")
        return self


class Grafana(Section):
    url: HttpUrl
    # Not through the service proxy: Grafana's token rides in the Authorization header, which the API
    # server takes for its own authentication and never forwards. Reach Grafana directly or in-cluster.
    service: None = Field(None, description="not supported")
    dashboards: list[str] = Field(min_length=1)  # dashboard uids
    token_env: str = "GRAFANA_TOKEN"
    token_file: str | None = None
    # Well-known logins ("user:password") Grafana must refuse: its own default and the charts' defaults.
    # Grafana locks a user out after 5 failed logins in 5 minutes, counting every run: each login is tried at
    # most once per `lockout_minutes` from one machine (a refusal within them is recalled: fixtures/logins.py),
    # and at most 3 of them, leaving Grafana's other tries to people.
    weak_logins: list[str] = Field(["admin:admin", "admin:prom-operator"], max_length=3)
    lockout_minutes: float = Field(5, gt=0)  # Grafana's brute-force window (5 minutes, not configurable there)
    # In the Helm values (`--golive-helm-values`): where Grafana's settings are ("grafana" in kube-prometheus-stack,
    # "" for the grafana chart itself), and the password the chart sets when the values set none (None: random).
    values_key: str = "grafana"
    chart_default_password: str | None = "prom-operator"

    @model_validator(mode="after")
    def _logins_have_users(self) -> "Grafana":
        bad = [entry for entry in self.weak_logins if ":" not in entry or not entry.split(":", 1)[0]]
        if bad:
            raise ValueError(f"weak_logins entries must be user:password, not {bad}")
        return self

    @model_validator(mode="before")
    @classmethod
    def _no_service_proxy(cls, data):
        if isinstance(data, dict) and data.get("service"):
            raise ValueError("service: Grafana cannot be reached through the Kubernetes API's service proxy (its "
                             "token rides in Authorization, which the API server keeps): use url, or run golive "
                             "in-cluster (deploy/)")
        return data


class Peer(Section):
    """One end of a connection NetworkPolicies must allow: pods (a namespace, their labels) or addresses (cidr)."""
    namespace: str | None = None  # pods in this namespace (None on a pod peer: kubernetes.monitoring_namespace)
    pod_labels: dict[str, str] = {}
    cidr: str | None = None  # addresses outside the cluster, or the pods' own IP range (for ipBlock rules)

    @model_validator(mode="after")
    def _valid_cidr(self) -> "Peer":
        if self.cidr is not None:
            ipaddress.ip_network(self.cidr, strict=False)  # ValueError names the bad value
        return self


class Wiring(Section):
    """What the wiring checks need beyond object names: who must reach the app, where the app must reach,
    which ports those are, and which image tags are mutable."""
    # kube-prometheus-stack's Prometheus pods (namespace: kubernetes.monitoring_namespace unless given).
    prometheus: Peer = Peer(pod_labels={"app.kubernetes.io/name": "prometheus"})
    # The load balancer's side: an ALB with IP targets connects from the VPC's addresses.
    load_balancer: Peer = Peer(cidr="10.0.0.0/16")
    # Where the database answers (RDS subnets); None: database.host when it is an IP address, else undecided.
    database_cidr: str | None = None
    database_port: int | None = None  # the port the app's pods reach it on; None: database.port
    dns: Peer = Peer(namespace="kube-system", pod_labels={"k8s-app": "kube-dns"})
    metrics_port: str = "metrics"  # the container port Prometheus scrapes (name or number)
    serving_port: str = "http"  # the container port the load balancer sends requests to
    mutable_tags: list[str] = ["latest"]  # image tags that move (an image without a tag is :latest)


class Manifests(Section):
    """Manifest mode (`--golive-manifests PATH`, or these paths): the Kubernetes gatherer reads these files
    instead of the API. A folder is read recursively (*.yaml, *.yml, *.json); a folder holding a
    kustomization.yaml is rendered with `kubectl kustomize`."""
    paths: list[str] = []
    namespace: str | None = None  # for objects that name none, as `kubectl apply -n`; None: kubernetes.app_namespace
    # After the deploy (`--golive-drift PATH`, or these paths): the reviewed manifests the live objects must match.
    drift: list[str] = []
    # Objects that are never drift (`Kind/name`, shell wildcards): what the API server and Helm create themselves.
    drift_ignore: list[str] = ["ConfigMap/kube-root-ca.crt", "ServiceAccount/default", "Secret/sh.helm.release.v1.*"]
    # The monitoring stack's Helm values files (`--golive-helm-values`): Grafana's admin password, Alertmanager's routes.
    helm_values: list[str] = []
    # IAM roles and policies as JSON (`--golive-iam-policies`), for the SecretStore-to-IRSA link before the deploy.
    iam_policies: list[str] = []


class Alertmanager(Section):
    url: HttpUrl
    service: ServiceRef | None = None
    paging_receiver: str
    chat_receiver: str
    slack_channel: str
    values_key: str = "alertmanager.config"  # its configuration in the Helm values (kube-prometheus-stack)


class Communications(Section):
    # The Slack incoming-webhook URL is a secret: it comes from this environment variable, never from
    # here. Messages are posted only with --golive-mutating; otherwise they are written under reports/.
    slack_webhook_env: str = "GOLIVE_SLACK_WEBHOOK_URL"
    # `golive incident --golive-mutating` opens a PagerDuty incident through the Events API v2; the routing key
    # (the service's integration key) is a secret too, read from this variable.
    pagerduty_routing_key_env: str = "GOLIVE_PAGERDUTY_ROUTING_KEY"
    pagerduty_events_url: HttpUrl = "https://events.pagerduty.com/v2/enqueue"


def _minutes_range(value: list[float]) -> list[float]:
    if len(value) != 2 or not 0 < value[0] <= value[1]:
        raise ValueError(f"{value!r} is not [least, most] minutes, e.g. [5, 10]")
    return value


MinutesRange = Annotated[list[float], AfterValidator(_minutes_range)]


class Incident(Section):
    """`golive incident`: how long each rollback scope takes, and how long `verify` keeps re-running."""

    rollback_minutes: dict[Literal["application", "secrets", "infrastructure", "full"], MinutesRange] = {
        "application": [5, 10], "secrets": [10, 15], "infrastructure": [30, 60], "full": [120, 240]}
    verify_deadline_minutes: float = Field(15, gt=0)
    verify_interval_seconds: float = Field(15, gt=0)


class Thresholds(Section):
    p95_latency_warn_ms: float = 500
    p95_latency_rollback_ms: float = 100
    error_rate_target: float = 0.01
    error_rate_critical: float = 0.05
    cpu_warn_percent: float = 80
    cpu_critical_percent: float = 95
    memory_percent: float = 90
    disk_percent: float = 85
    performance_loss_rollback_percent: float = 50
    performance_window_minutes: float = 15
    rollout_wait_seconds: float = 600
    pods_ready_wait_seconds: float = 300
    restart_window_minutes: float = Field(15, gt=0)  # a container that restarted this recently is restarting
    # Post-launch review: the T+24h window, and the share of it p95 and error ratio must meet their SLO.
    review_window_hours: float = Field(24, gt=0)
    slo_compliance_percent: float = Field(99, gt=0, le=100)
    # A window judged with less data than this (share of its steps with samples) is "not enough data".
    window_min_coverage_percent: float = Field(50, gt=0, le=100)
    escalation_p1_minutes: float = Field(15, gt=0)


class Watch(Section):
    """`golive watch`: the target's rollback rule over rounds (golive/persistence.py) and its metrics."""

    # A high-severity failure becomes a rollback only when it holds longer than this (the target's 15 minutes).
    rollback_after_minutes: float = Field(15, gt=0)
    # Flapping: this many changes between passing and not passing within a check's last `flapping_rounds` rounds.
    flapping_changes: int = Field(3, ge=2)
    flapping_rounds: int = Field(10, ge=3)
    # Serve the watch's Prometheus metrics on this port (None: only with `golive watch --metrics-port`).
    metrics_port: int | None = Field(None, ge=1, le=65535)
    metrics_address: str = "0.0.0.0"


class Quota(Section):
    service_code: str
    quota_code: str
    name: str
    # What the quota limits, counted region-wide (ec2_vcpus: running On-Demand standard-family vCPUs;
    # load_balancers: Application Load Balancers).
    usage: Literal["eks_clusters", "ec2_vcpus", "load_balancers", "elastic_ips", "secrets", "vpcs"]
    headroom: int = Field(1, ge=0)


class Scripts(Section):
    workdir: str = "."
    deploy_phases: list[str] = []
    validator: str | None = None
    timeout_seconds: float = 600


class Attestations(Section):
    ledger: str
    # The signing key: GOLIVE_ATTESTATION_KEY, or this file (never the key itself in config).
    key_file: str | None = None
    max_age_hours: float = Field(72, gt=0)


class Environment(Section):
    name: str
    description: str = ""
    timeouts: Timeouts = Timeouts()
    aws: Aws
    eks: Eks
    kubernetes: Kubernetes
    secrets: Secrets
    s3: S3
    database: Database
    backup: Backup
    load_balancer: LoadBalancer
    app: App
    prometheus: Prometheus
    grafana: Grafana
    alertmanager: Alertmanager
    communications: Communications = Communications()
    incident: Incident = Incident()
    thresholds: Thresholds = Thresholds()
    quotas: list[Quota] = []
    scripts: Scripts = Scripts()
    attestations: Attestations
    wiring: Wiring = Wiring()
    manifests: Manifests = Manifests()
    watch: Watch = Watch()
    runbook: str = ""  # path of the team's runbook; empty = the copy shipped with golive
    waivers: str = ""  # waiver file (golive/waivers.py); empty or absent file = nothing waived
    # Extra regexes whose matches never reach an artifact (golive/redact.py), e.g. the sandbox's canaries.
    redact_patterns: list[str] = []
    source: str = ""  # the config file this came from, for messages and the report
    digest: str = ""  # SHA-256 of the effective configuration

    @model_validator(mode="after")
    def _rotation_keys_exist(self) -> "Environment":
        unknown = sorted(set(self.secrets.rotation_required) - set(self.secrets.keys))
        if unknown:
            raise ValueError(f"secrets.rotation_required names unknown keys {unknown}")
        return self

    def path(self, value: str) -> Path:
        """A path from the config after `expand()` and `~`; a relative one is relative to the config file's folder."""
        p = Path(os.path.expanduser(expand(value)))
        return p if p.is_absolute() else Path(self.source).parent / p


_VARIABLE = re.compile(r"\$(?:(?P<name>[A-Za-z_]\w*)|\{(?P<braced>[A-Za-z_]\w*)(?::-(?P<default>[^}]*))?\}|(?P<dollar>\$))")


def expand(value: str, environ: dict[str, str] | None = None) -> str:
    """`$VAR`, `${VAR}` and `${VAR:-default}` from the environment, as a shell does; `$$` is one `$`.

    The default applies when VAR is unset or empty. A variable unset without a default stays as
    written, so whatever then cannot find the path names the variable.
    """
    environ = os.environ if environ is None else environ

    def one(match: re.Match) -> str:
        if match["dollar"]:
            return "$"
        name = match["name"] or match["braced"]
        if match["default"] is not None:
            return environ.get(name) or match["default"]
        return environ.get(name, match.group(0))

    return _VARIABLE.sub(one, value)


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError, file: Path, env: str) -> str:
    first = error.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(top level)"
    kinds = {"missing": "is required but missing", "extra_forbidden": "is not a known key"}
    what = kinds.get(first["type"], first["msg"].removeprefix("Value error, "))
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{file}: environments.{env}.{key} {what}{more}"


def load(env_name: str | None, config_path: str | os.PathLike | None = None) -> Environment:
    """Load and validate one environment; raise ConfigError with one line on any problem."""
    file = Path(config_path or os.environ.get("GOLIVE_CONFIG") or DEFAULT_CONFIG).resolve()
    env_name = env_name or os.environ.get("GOLIVE_ENV")
    try:
        raw = file.read_bytes()
        data = tomllib.loads(raw.decode())
    except FileNotFoundError:
        raise ConfigError(f"{file}: configuration file not found (use --golive-config PATH)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    environments = data.get("environments")
    if not isinstance(environments, dict) or not environments:
        raise ConfigError(f"{file}: no [environments.<name>] tables")
    if not env_name:
        raise ConfigError(f"no environment selected: pass --golive-env NAME or set GOLIVE_ENV "
                          f"(known in {file.name}: {', '.join(sorted(environments))})")
    if env_name not in environments:
        raise ConfigError(f"{file}: unknown environment {env_name!r} "
                          f"(known: {', '.join(sorted(environments))})")
    merged = _merge(data.get("defaults", {}), environments[env_name])
    merged.update(name=env_name, source=str(file))
    merged["digest"] = hashlib.sha256(json.dumps(merged, sort_keys=True, default=str).encode()).hexdigest()
    try:
        env = Environment.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, file, env_name)) from None
    if env.runbook and not env.path(env.runbook).is_file():
        raise ConfigError(f"{file}: environments.{env_name}.runbook: no file at {env.path(env.runbook)}")
    return env


def environment_names(config_path: str | os.PathLike | None = None) -> list[str]:
    file = Path(config_path or os.environ.get("GOLIVE_CONFIG") or DEFAULT_CONFIG)
    try:
        return sorted(tomllib.loads(file.read_text()).get("environments", {}))
    except (OSError, tomllib.TOMLDecodeError):
        return []
