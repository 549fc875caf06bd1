"""The rehearsal sandbox: every stand-in on 127.0.0.1, started once, seeded like the target.

`up` is idempotent (a service already answering is left alone), `down` stops every process
group it started, `status` says what answers. State (pids, logs, data, kubeconfig, the AWS
credentials file the sandbox environment points at, the rendered seeds and provisioning) lives in
$GOLIVE_SANDBOX_DIR, else `.sandbox/`.

Everything is rendered from one environment (`sandbox_config()`, chosen by `config_choice()`): the
names seeded (sandbox/seed_kube.py, sandbox/seed_aws.py, the database), the stand-ins' provisioning
(sandbox/render.py) and the ports (`config_ports`: from the URLs by which the environment reaches each
stand-in; UNCONFIGURED_PORTS for those no URL names).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import requests

from sandbox.pki import Pki

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROVISIONING = HERE / "provisioning"
HOST = "127.0.0.1"
# Which configuration the sandbox is rendered from: these variables, else what `up --config/--env` recorded in the
# state folder (so later `load`, faults and `down` use the same), else golive.toml's [environments.sandbox].
CONFIG_VARIABLE, ENV_VARIABLE = "GOLIVE_SANDBOX_CONFIG", "GOLIVE_SANDBOX_ENV"
DEFAULT_CONFIG, DEFAULT_ENV = ROOT / "golive.toml", "sandbox"
# The ports no URL of the environment names: the API server's (the sandbox writes the kubeconfig that names it),
# the app's metrics port (the seeded Service's metrics port is proxied to it) and the emulator's kube-state-metrics
# (scraped by Prometheus as in-cluster).
UNCONFIGURED_PORTS = {"kubernetes": 18443, "app_metrics": 18001, "kube_state_metrics": 18081}


class SandboxError(Exception):
    """A one-line reason the sandbox cannot start."""


def state_dir() -> Path:
    return Path(os.environ.get("GOLIVE_SANDBOX_DIR", ROOT / ".sandbox")).resolve()


def _recorded_choice() -> Path:
    return state_dir() / "config.json"


def config_choice() -> tuple[Path, str]:
    """(configuration file, environment name) the sandbox is rendered from."""
    if os.environ.get(CONFIG_VARIABLE) or os.environ.get(ENV_VARIABLE):
        return (Path(os.environ.get(CONFIG_VARIABLE) or DEFAULT_CONFIG).resolve(),
                os.environ.get(ENV_VARIABLE) or DEFAULT_ENV)
    try:
        recorded = json.loads(_recorded_choice().read_text())
        return Path(recorded["config"]), recorded["env"]
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_CONFIG, DEFAULT_ENV


def sandbox_config():
    """The environment the sandbox is rendered from (config_choice): seeds, ports, provisioning, faults."""
    from golive import config

    path, env = config_choice()
    return config.load(env, path)


def _url_port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or {"http": 80, "https": 443}[parts.scheme]


def config_ports(cfg) -> dict[str, int]:
    """Each stand-in's port, from the URL (or port) by which the environment reaches it."""
    if not cfg.aws.endpoint_url:
        from golive.config import ConfigError

        raise ConfigError(f"{cfg.source}: environments.{cfg.name}.aws.endpoint_url is unset: the sandbox serves "
                           "AWS (moto) at that URL")
    return {"aws": _url_port(cfg.aws.endpoint_url), **UNCONFIGURED_PORTS,
            "prometheus": _url_port(cfg.prometheus.url), "alertmanager": _url_port(cfg.alertmanager.url),
            "grafana": _url_port(cfg.grafana.url), "app": _url_port(cfg.app.base_url),
            # The webhook sink stands in for PagerDuty's Events API (and the Slack and PagerDuty integrations).
            "webhook": _url_port(cfg.communications.pagerduty_events_url), "postgres": cfg.database.port}


def service_backends(cfg) -> dict[str, str]:
    """The seeded Services ("NAMESPACE/NAME:PORT") whose service proxy reaches a stand-in, by stand-in."""
    app = f"{cfg.kubernetes.app_namespace}/{cfg.kubernetes.service}"
    backends = {f"{cfg.kubernetes.monitoring_namespace}/kube-prometheus-stack-grafana:80": "grafana",
                f"{app}:80": "app", f"{app}:9090": "app_metrics"}
    for name, service in (("prometheus", cfg.prometheus.service), ("alertmanager", cfg.alertmanager.service)):
        if service:
            backends[service.replace("http:", "", 1).replace("https:", "", 1)] = name
    return backends


_CONFIG = sandbox_config()  # as this process started: what its stand-ins were (or will be) rendered from
PORTS = config_ports(_CONFIG)
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": _CONFIG.aws.region}
PG_BIN = Path(os.environ.get("GOLIVE_PG_BIN", "/usr/lib/postgresql/15/bin"))
# The kubeconfig's server, and EKS's endpoint for the seeded cluster (sandbox/aws_server.py).
KUBE_URL = f"https://{HOST}:{PORTS['kubernetes']}"


# Every Python stand-in runs under sandbox/latency.py, which delays each request in latency mode (`up --latency`).
STAND_IN = [sys.executable, "-m", "sandbox.latency"]


def _bin(name: str) -> str:
    """A console script of this venv first (moto_server), then PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise SandboxError(f"{name} not found: run `make bootstrap` (Debian) or install it")
    return found


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((HOST, port)) == 0


def _http_ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


def _kube_ready() -> bool:
    """The emulator answers /readyz over HTTPS, with the CA and a token of this state folder."""
    pki = Pki(state_dir())
    if not pki.tokens_file.exists():
        return False
    try:
        return requests.get(f"{KUBE_URL}/readyz", timeout=1, verify=str(pki.ca),
                            headers={"Authorization": f"Bearer {pki.token('admin')}"}).status_code < 500
    except requests.RequestException:
        return False


@dataclass
class Service:
    name: str
    port: int
    command: Callable[[Path], list[str]]
    ready_url: str | None = None  # else: the port accepting connections
    env: dict = field(default_factory=dict)
    prepare: Callable[[Path], None] | None = None
    ready_check: Callable[[], bool] | None = None  # instead of ready_url

    def ready(self) -> bool:
        if self.ready_check:
            return self.ready_check()
        return _http_ok(self.ready_url) if self.ready_url else _port_open(self.port)


def _live_config(state: Path, service: str) -> Path:
    """Prometheus and Alertmanager run from a copy in the state dir: faults edit the copy, never the repo."""
    return state / "config" / service


def _copy_config(state: Path, service: str) -> None:
    """The shipped provisioning of `service`, rendered for the sandbox environment (sandbox/render.py)."""
    from sandbox import render

    render.copy_tree(PROVISIONING / service, _live_config(state, service), sandbox_config(), PORTS)


def _fresh_start(state: Path, service: str) -> None:
    """A stand-in that starts, starts clean: no metrics or alerts left over from an earlier run's faults."""
    shutil.rmtree(state / service, ignore_errors=True)
    (state / service).mkdir(parents=True)
    _copy_config(state, service)


def _kube_prepare(state: Path) -> None:
    Pki(state).ensure(HOST)
    # The emulator starts from its seed: what earlier `golive-sandbox load`s changed is gone, and so is their undo.
    (state / "loaded.json").unlink(missing_ok=True)


def _grafana_prepare(state: Path) -> None:
    (state / "grafana").mkdir(parents=True, exist_ok=True)
    _copy_config(state, "grafana")


def _app_command(state: Path) -> list[str]:
    """The stand-in app reads the environment's database (database.dbname) and books bucket (s3.data_bucket)."""
    cfg = sandbox_config()
    return [*STAND_IN, "sandbox.app", "--host", HOST, "--port", str(PORTS["app"]),
            "--metrics-port", str(PORTS["app_metrics"]),
            "--database-dsn", f"host={HOST} port={PORTS['postgres']} dbname={cfg.database.dbname} user=postgres "
                              "connect_timeout=2",
            "--s3-endpoint", f"http://{HOST}:{PORTS['aws']}", "--s3-bucket", cfg.s3.data_bucket]


SERVICES = [
    # moto, with EKS's cluster endpoint the sandbox's Kubernetes API (sandbox/aws_server.py).
    Service("aws", PORTS["aws"], lambda s: [*STAND_IN, "sandbox.aws_server", "--eks-endpoint", KUBE_URL,
                                            "--eks-ca", str(Pki(s).ensure(HOST).ca), "-H", HOST, "-p", str(PORTS["aws"])],
            f"http://{HOST}:{PORTS['aws']}/moto-api/"),
    Service("kubernetes", PORTS["kubernetes"], lambda s: _kube_command(s), ready_check=_kube_ready,
            prepare=_kube_prepare),
    Service("webhook", PORTS["webhook"],
            lambda s: [*STAND_IN, "sandbox.webhook_sink", "--host", HOST, "--port", str(PORTS["webhook"]),
                       "--log", str(s / "webhook.jsonl")],
            f"http://{HOST}:{PORTS['webhook']}/_sandbox/received"),
    Service("alertmanager", PORTS["alertmanager"],
            lambda s: [_bin("prometheus-alertmanager"),
                       f"--config.file={_live_config(s, 'alertmanager') / 'alertmanager.yml'}",
                       f"--storage.path={s / 'alertmanager'}", f"--web.listen-address={HOST}:{PORTS['alertmanager']}",
                       "--cluster.listen-address=", f"--web.external-url=http://{HOST}:{PORTS['alertmanager']}"],
            f"http://{HOST}:{PORTS['alertmanager']}/-/ready", prepare=lambda s: _fresh_start(s, "alertmanager")),
    Service("prometheus", PORTS["prometheus"],
            lambda s: [_bin("prometheus"), f"--config.file={_live_config(s, 'prometheus') / 'prometheus.yml'}",
                       f"--storage.tsdb.path={s / 'prometheus'}", f"--web.listen-address={HOST}:{PORTS['prometheus']}",
                       "--web.enable-lifecycle", f"--web.external-url=http://{HOST}:{PORTS['prometheus']}"],
            f"http://{HOST}:{PORTS['prometheus']}/-/ready", prepare=lambda s: _fresh_start(s, "prometheus")),
    Service("grafana", PORTS["grafana"],
            lambda s: [*STAND_IN, "sandbox.grafana_api", "--host", HOST, "--port", str(PORTS["grafana"]),
                       "--provisioning", str(_live_config(s, "grafana")), "--admin-password", "sandbox-not-default",
                       "--token-file", str(s / "grafana" / "token")],
            f"http://{HOST}:{PORTS['grafana']}/api/health", prepare=_grafana_prepare),
    Service("app", PORTS["app"], _app_command, f"http://{HOST}:{PORTS['app']}/ready", env=AWS_ENV),
]


def _kube_command(state: Path) -> list[str]:
    """HTTPS with the state folder's CA, bearer tokens (and EKS tokens for the seeded cluster, checked
    against moto's STS), and the service proxy to the stand-ins behind the seeded Services. The seed is
    rendered from the sandbox environment (sandbox/seed_kube.py)."""
    from sandbox import seed_kube

    pki = Pki(state)
    cfg = sandbox_config()
    seed = seed_kube.write(cfg, state / "seed" / "kubernetes.yaml")
    command = [*STAND_IN, "sandbox.kube_api", "--host", HOST, "--port", str(PORTS["kubernetes"]),
               "--seed", str(seed), "--tls-cert", str(pki.cert), "--tls-key", str(pki.key),
               "--tokens", str(pki.tokens_file), "--eks-cluster", cfg.eks.cluster,
               "--sts-endpoint", f"http://{HOST}:{PORTS['aws']}", "--metrics-port", str(PORTS["kube_state_metrics"])]
    for service, backend in service_backends(cfg).items():
        command += ["--proxy", f"{service}={HOST}:{PORTS[backend]}"]
    return command


# --- PostgreSQL: a real server, run by its own unprivileged user as initdb requires -------------

def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _postgres_up(state: Path, log) -> None:
    data = state / "postgres"
    if _port_open(PORTS["postgres"]):
        return
    if not (PG_BIN / "pg_ctl").exists():
        raise SandboxError(f"PostgreSQL server not found in {PG_BIN}: run `make bootstrap` (apt install postgresql)")
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
            state.chmod(0o755)
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                     "-E", "UTF8"]), check=True, stdout=log, stderr=log)
    subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w",
                                 "-o", f"-p {PORTS['postgres']} -k {data} -c listen_addresses={HOST}", "start"]),
                   check=True, stdout=log, stderr=log)


def _postgres_seed() -> None:
    """The environment's database (database.dbname) with the NBA tables, and the login golive uses."""
    import psycopg
    from psycopg import sql

    database = sandbox_config().database
    with psycopg.connect(host=HOST, port=PORTS["postgres"], user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database.dbname,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database.dbname)))
    with psycopg.connect(host=HOST, port=PORTS["postgres"], user="postgres", dbname=database.dbname) as conn:
        conn.execute((HERE / "seed" / "nba_simulator.sql").read_text())
        # golive connects as a role that cannot write (database.user), as production must.
        conn.execute((HERE / "seed" / "readonly_role.sql").read_text()
                     .replace("{role}", database.user).replace("{database}", database.dbname))


def _postgres_down(state: Path) -> bool:
    data = state / "postgres"
    if not (data / "postmaster.pid").exists():
        return False
    stopped = subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return stopped.returncode == 0


# --- Files the sandbox environment in golive.toml points at -------------------------------------

def _write_client_files(state: Path) -> None:
    (state / "aws").mkdir(parents=True, exist_ok=True)
    creds = state / "aws" / "credentials"
    creds.write_text("[golive-sandbox]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    creds.chmod(0o600)
    pki = Pki(state).ensure(HOST)
    kubeconfig = {
        "apiVersion": "v1", "kind": "Config", "current-context": "golive-sandbox",
        "clusters": [{"name": "golive-sandbox", "cluster": {
            "server": KUBE_URL, "certificate-authority-data": base64.b64encode(pki.ca.read_bytes()).decode()}}],
        "users": [{"name": "golive-sandbox", "user": {"token": pki.token("golive")}}],
        "contexts": [{"name": "golive-sandbox", "context": {"cluster": "golive-sandbox", "user": "golive-sandbox"}}],
    }
    (state / "kubeconfig").write_text(json.dumps(kubeconfig, indent=2))
    (state / "kubeconfig").chmod(0o600)


# --- Lifecycle ----------------------------------------------------------------------------------

def _pidfile(state: Path, name: str) -> Path:
    return state / "pids" / f"{name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie has exited: an init that does not reap orphans (containers) leaves them behind.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _wait(service: Service, proc: subprocess.Popen, log_path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.ready():
            return
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise SandboxError(f"{service.name} exited with {proc.returncode}: {' | '.join(tail)}")
        time.sleep(0.1)
    raise SandboxError(f"{service.name} not ready on {HOST}:{service.port} after {timeout:.0f} s (see {log_path})")


def up(echo=print) -> dict:
    state = state_dir()
    for sub in ("pids", "logs"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    _record_choice()
    _write_client_files(state)
    timings = {}
    start_all = time.monotonic()
    with open(state / "logs" / "postgres.log", "ab") as log:
        t = time.monotonic()
        _postgres_up(state, log)
        _postgres_seed()
        timings["postgres"] = round(time.monotonic() - t, 2)
    for service in SERVICES:
        t = time.monotonic()
        if service.ready():
            timings[service.name] = "already running"
            continue
        if service.prepare:
            service.prepare(state)
        log_path = state / "logs" / f"{service.name}.log"
        env = {**os.environ, **service.env, "PYTHONPATH": str(ROOT)}
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(service.command(state), stdout=log, stderr=subprocess.STDOUT, env=env,
                                    cwd=ROOT, start_new_session=True, stdin=subprocess.DEVNULL)
        _pidfile(state, service.name).write_text(str(proc.pid))
        _wait(service, proc, log_path)
        if service.name == "aws":
            _seed_aws(state)
        timings[service.name] = round(time.monotonic() - t, 2)
    _wait_until_scraped()
    _seed_attestations(state)
    timings["total"] = round(time.monotonic() - start_all, 2)
    path, env = config_choice()
    rendered = "" if (path, env) == (DEFAULT_CONFIG, DEFAULT_ENV) else f" (rendered from {path}, environment {env})"
    echo(f"sandbox up in {timings['total']} s{rendered}: "
         + ", ".join(f"{k} {v}" for k, v in timings.items() if k != "total"))
    return timings


def _record_choice() -> None:
    """A sandbox started from another configuration keeps it until `down`: later commands render from it too."""
    path, env = config_choice()
    if (path, env) != (DEFAULT_CONFIG, DEFAULT_ENV):
        _recorded_choice().write_text(json.dumps({"config": str(path), "env": env}))


def _wait_until_scraped(timeout: float = 30) -> None:
    """Up means working: Prometheus has scraped the app and kube-state-metrics (a fresh Prometheus needs a few
    seconds for that)."""
    url = f"http://{HOST}:{PORTS['prometheus']}/api/v1/query"
    targets = {f"{HOST}:{PORTS[name]}": name for name in ("app_metrics", "kube_state_metrics")}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = requests.get(url, params={"query": "up == 1"}, timeout=2).json()["data"]["result"]
            if set(targets) <= {r["metric"].get("instance") for r in result}:
                return
        except (requests.RequestException, KeyError, ValueError):
            pass
        time.sleep(0.25)
    raise SandboxError(f"Prometheus has not scraped {' and '.join(f'{n} on {t}' for t, n in targets.items())} "
                       f"after {timeout:.0f} s")


def _seed_attestations(state: Path) -> None:
    """The sandbox plays a team that has signed everything off: a key and one entry per sign-off.

    Items already in the ledger are left alone, so `up` only adds sign-offs for new attested items.
    """
    from sandbox import signoffs

    try:
        signoffs.sign_all(state / "attestation.key", state / "attestations.json")
    except signoffs.LedgerUnreadable as exc:
        raise SandboxError(str(exc)) from None


def _seed_aws(state: Path) -> None:
    from sandbox import seed_aws

    ids = seed_aws.seed(f"http://{HOST}:{PORTS['aws']}", sandbox_config().aws.region)
    (state / "aws" / "seeded.json").write_text(json.dumps(ids, indent=2, default=str))


def stop(name: str) -> bool:
    """Stop one started service by its process group; True if it was running."""
    pidfile = _pidfile(state_dir(), name)
    if not pidfile.exists():
        return False
    pid = int(pidfile.read_text())
    running = _alive(pid)
    if running:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        for _ in range(50):
            if not _alive(pid):
                break
            time.sleep(0.1)
        else:
            os.killpg(pid, signal.SIGKILL)
    pidfile.unlink()
    return running


def down(echo=print) -> None:
    from sandbox import latency, mcp_era

    latency.set_latency(state_dir(), 0)
    mcp_era.set_era(state_dir(), mcp_era.DEFAULT)
    stopped = [service.name for service in reversed(SERVICES) if stop(service.name)]
    if _postgres_down(state_dir()):
        stopped.append("postgres")
    _recorded_choice().unlink(missing_ok=True)
    echo(f"sandbox down ({state_dir()}): stopped " + (", ".join(stopped) or "nothing: none of it was started here"))


def status() -> list[tuple[str, int, bool]]:
    rows = [("postgres", PORTS["postgres"], _port_open(PORTS["postgres"]))]
    rows += [(s.name, s.port, s.ready()) for s in SERVICES]
    return rows
