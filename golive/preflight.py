"""Preflight: before any check, can golive itself get in, and is it looking at the right target?

Each endpoint the selection uses is asked its cheapest authenticated question, all at once (none waits for
another's answer), through the gatherers' own clients (the same session, kubeconfig, token and conninfo the
checks will use):

    AWS             STS GetCallerIdentity, and EKS DescribeCluster of `eks.cluster`
    Kubernetes API  GET /version, and GET the app namespace (authorization, not just reach)
    HTTP endpoints  each one's health path (Grafana: /api/org, with its token)
    PostgreSQL      a connection and `SELECT 1` (the session is READ ONLY, as the checks')

Identity binding: the STS account must be `aws.account_id`, and the Kubernetes API server the one
EKS names for `eks.cluster` (the kubeconfig's server is its endpoint; in-cluster, its CA is the
cluster's). A run against another account or another cluster stops.

A failure is classified (`Answer.status`): credentials (none, expired SSO), unauthorized (401/403,
rejected keys), unresolvable (DNS), refused, timeout, identity (wrong account or cluster), error.
golive's own missing access blocks the run (COULD NOT RUN, exit 4, one line per endpoint saying what
to fix): credentials, unauthorized (where golive presents credentials), an in-cluster name not
resolvable from outside the cluster, and identity. Anything else (a refused port, a timeout, a 500,
a public name that does not resolve, a missing cluster) is the target's to answer for: the run goes
on, the checks that need the endpoint say so, and the report carries the preflight's hint.

Only what the selection uses is asked (`uses(items)`: the endpoints the selected checks' fixtures reach,
and those of the checks a success criterion summarises; every endpoint when that cannot be told): an endpoint
reached through the Kubernetes API's service proxy brings the Kubernetes API in, and the Kubernetes API brings
AWS (its server is bound to `eks.cluster` through EKS).

Read-only: it asks, it never writes. `run(env)` returns a `Preflight`, whose `record()` goes into the
run record (`preflight` in docs/results-schema.md).
"""
from __future__ import annotations

import base64
import inspect
import ipaddress
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from types import ModuleType
from typing import Callable, Iterable
from urllib.parse import urlsplit

OK, CREDENTIALS, UNAUTHORIZED, UNRESOLVABLE, REFUSED, TIMEOUT, IDENTITY, ERROR = (
    "ok", "credentials", "unauthorized", "unresolvable", "refused", "timeout", "identity", "error")
STATUS_TEXT = {OK: "answered", CREDENTIALS: "no usable credentials", UNAUTHORIZED: "golive was refused",
               UNRESOLVABLE: "name not resolvable from here", REFUSED: "connection refused",
               TIMEOUT: "no answer in time", IDENTITY: "wrong target", ERROR: "unexpected answer"}

# botocore's words for "no credentials" and "the SSO session is gone" (class names, so no import is needed
# to recognise them), and the AWS error codes that mean "these credentials are not accepted".
AWS_NO_CREDENTIALS = {"NoCredentialsError", "PartialCredentialsError", "ProfileNotFound", "SSOTokenLoadError",
                      "UnauthorizedSSOTokenError", "TokenRetrievalError", "SSOError", "CredentialRetrievalError",
                      "InvalidConfigError", "NoAuthTokenError"}
AWS_REJECTED = {"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
                "UnrecognizedClientException", "AccessDenied", "AccessDeniedException", "AuthFailure",
                "InvalidAccessKeyId", "RequestExpired", "UnauthorizedOperation"}
IN_CLUSTER_SUFFIXES = (".svc", ".svc.cluster.local", ".cluster.local")

# The endpoints the preflight can ask (golive.toml's sections), and the gatherers' fixtures that reach each.
ENDPOINTS = ("aws", "kubernetes", "app", "ingress", "prometheus", "alertmanager", "grafana", "database")
ENDPOINT_OF_FIXTURE = {"aws": "aws", "iam": "aws", "k8s": "kubernetes", "app": "app", "mcp": "app",
                       "ingress_http": "ingress", "prom": "prometheus", "alertmanager": "alertmanager",
                       "grafana": "grafana", "db": "database"}
# Fixtures that ask none of them: configuration, the ledger, files, attestations, unauthenticated reach (DNS and
# TCP), the external integrations. The two clients count only when a check names them itself: other gatherers
# take them to route through the service proxy, which `run` decides from the configuration.
NO_ENDPOINT = {"request", "cfg", "ledger", "timeout", "leaf", "scripts", "attestation", "attestation_ledger",
               "incident", "helm_values", "reviewed", "network", "integrations", "kube_client", "aws_session"}
NAMED_CLIENTS = {"kube_client": "kubernetes", "aws_session": "aws"}


@dataclass
class Answer:
    """What one endpoint said to its preflight question."""

    endpoint: str  # "AWS", "EKS", "Kubernetes API", "App", "Prometheus", ...
    target: str  # URL, region or host:port
    question: str  # "sts GetCallerIdentity", "GET /version", ...
    status: str = OK
    detail: str = ""  # what happened, one sentence (ok: what answered)
    fix: str = ""  # what to do, for anything but ok
    blocks: bool = False  # golive cannot get in, or is looking at the wrong target: the run stops
    ms: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK

    def line(self) -> str:
        """One line: the endpoint, what happened and what to fix."""
        return f"golive: {self.endpoint} ({self.target}): {self.detail}" + (f"; {self.fix}" if self.fix else "")


@dataclass
class Preflight:
    answers: list[Answer] = field(default_factory=list)
    identity: dict = field(default_factory=dict)
    seconds: float = 0.0
    skipped: str = ""  # why it did not run (--golive-no-preflight)
    uses: list[str] | None = None  # the endpoints the selection uses (ENDPOINTS), or None: every one was asked

    @property
    def blocking(self) -> list[Answer]:
        return [a for a in self.answers if a.blocks]

    def dead(self) -> dict[str, str]:
        """Endpoint address -> why it is dead (refused, or silent past the deadline): golive.gather's memory for the
        run, so the checks that need it fail at once with this cause instead of waiting for it again."""
        return {a.target: f"preflight {a.question or 'reach'}: {a.detail}" for a in self.answers
                if a.status in (REFUSED, TIMEOUT)}

    def lines(self) -> list[str]:
        return [a.line() for a in self.blocking]

    def record(self) -> dict:
        return {"skipped": self.skipped or None, "seconds": round(self.seconds, 3), "blocking": len(self.blocking),
                "uses": self.uses, "identity": self.identity, "answers": [asdict(a) for a in self.answers]}


def skipped(why: str) -> Preflight:
    return Preflight(skipped=why)


# --- what the selection uses ---------------------------------------------------------------------


def uses(items: Iterable) -> set[str] | None:
    """The endpoints (ENDPOINTS) the collected pytest `items` reach through their fixtures, with those of the checks
    a success criterion summarises (`golive.check.summarise`); None (ask every endpoint) when a fixture is not one
    golive knows or what a check summarises cannot be told."""
    used: set[str] = set()
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            return None
        for name in info.names_closure:
            if name in NAMED_CLIENTS and name in info.argnames:
                used.add(NAMED_CLIENTS[name])
            elif name in ENDPOINT_OF_FIXTURE:
                used.add(ENDPOINT_OF_FIXTURE[name])
            elif name not in NO_ENDPOINT and not _pytests_own(info.name2fixturedefs.get(name)):
                return None
        summarised = _summarised(getattr(item, "obj", None), set())
        if summarised is None:
            return None
        for check in summarised:
            try:
                names = inspect.signature(check).parameters
            except (TypeError, ValueError):
                return None
            found = _closure(item, names)
            if found is None:
                return None
            used |= found
    return used


def _pytests_own(defs) -> bool:
    """pytest's own fixtures (request, pytestconfig, tmp_path, ...)."""
    return bool(defs) and getattr(defs[-1].func, "__module__", "").startswith(("_pytest.", "pytest"))


def _summarised(fn, seen: set) -> set | None:
    """The checks `fn` summarises (golive.check.summarise and outcomes take them as arguments), found among the
    names its code uses, and theirs in turn; None when it summarises something that is not a golive check."""
    fn = inspect.unwrap(fn) if callable(fn) else fn
    code = getattr(fn, "__code__", None)
    if code is None or id(fn) in seen:
        return set()
    seen.add(id(fn))
    names = set(code.co_names)
    if not names & {"summarise", "outcomes"}:
        return set()
    found: set = set()
    space = getattr(fn, "__globals__", {})
    for name in names:
        value = space.get(name)
        values = [getattr(value, n, None) for n in names] if isinstance(value, ModuleType) else \
            list(value) if isinstance(value, (tuple, list)) else [value]
        for check in values:
            if getattr(check, "golive_spec", None) is not None and check not in found:
                found.add(check)
                more = _summarised(check, seen)
                if more is None:
                    return None
                found |= more
    return found


def _closure(item, names) -> set[str] | None:
    """The endpoints fixtures `names` reach, through pytest's fixture definitions visible from `item`."""
    manager = getattr(getattr(item, "session", None), "_fixturemanager", None)
    if manager is None:
        return None
    used: set[str] = set()
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in ENDPOINT_OF_FIXTURE:
            used.add(ENDPOINT_OF_FIXTURE[name])
        elif name in NAMED_CLIENTS and name in names:
            used.add(NAMED_CLIENTS[name])
        try:
            defs = manager.getfixturedefs(name, item)
        except Exception:  # noqa: BLE001 - another pytest's signature: ask everything
            return None
        if not defs:
            if name == "request":  # pytest's own, defined by no fixture
                continue
            return None
        if name not in ENDPOINT_OF_FIXTURE and name not in NO_ENDPOINT and not _pytests_own(defs):
            return None
        todo.extend(defs[-1].argnames)
    return used


# --- classification ------------------------------------------------------------------------------


def inside(env) -> bool:
    """Whether golive runs inside the cluster (in-cluster configuration, or a pod with a service account)."""
    configured = getattr(env.kubernetes, "in_cluster", None)
    return bool(configured) if configured is not None else bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


def in_cluster_name(host: str | None, env) -> bool:
    """A Kubernetes Service name (`svc`, `svc.namespace`, `*.svc[.cluster.local]`), resolvable only in the cluster."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        pass
    if "." not in host or host.endswith(IN_CLUSTER_SUFFIXES):
        return host != "localhost"
    k = env.kubernetes
    namespaces = {k.app_namespace, k.monitoring_namespace, k.eso_namespace}
    return host.rsplit(".", 1)[1] in namespaces


def unreached(name: str, url: str, reach: dict, env, section: str, seconds: float, error: str = "") -> Answer:
    """An endpoint that gave no usable answer, classified by where the connection stopped (fixtures/network.py).

    `error`: what the client said (empty when it was still waiting at the deadline).
    """
    host = reach.get("host")
    if reach.get("stage") == "dns":
        if in_cluster_name(host, env) and not inside(env):
            hint = (f"{host} is a name inside the cluster: reach it through the Kubernetes API's service proxy "
                    f"({section}.service = \"NAMESPACE/NAME:PORT\") or run golive in-cluster (deploy/)")
            if section == "grafana":  # its token rides in Authorization, which the API server keeps for itself
                hint = (f"{host} is a name inside the cluster: point grafana.url at an address reachable from "
                        "here (Grafana's token cannot pass the Kubernetes API's service proxy), or run golive "
                        "in-cluster (deploy/)")
            return Answer(name, url, "", UNRESOLVABLE, f"{host} does not resolve from here", hint, blocks=True)
        return Answer(name, url, "", UNRESOLVABLE, f"{host} does not resolve ({reach.get('error')})",
                      f"check the name in {section} (the checks that need {name} will fail on it)")
    stopped = reach.get("error") or ""
    if reach.get("stage") == "tcp" and "timed out" in stopped:
        return Answer(name, url, "", TIMEOUT, stopped,
                      f"a firewall or private network between this runner and {name}? run golive in-cluster "
                      f"(deploy/), or reach it through a tunnel")
    if reach.get("stage") == "tcp":
        return Answer(name, url, "", REFUSED, stopped,
                      f"is {name} running at {host}:{reach.get('port')}? (its checks will say it is unreachable)")
    if reach.get("stage") == "config":
        return Answer(name, url, "", ERROR, f"no host and port in {url}", f"fix {section} in golive.toml",
                      blocks=True)
    if "timed out" in error.lower():  # it connects, then says nothing within the read timeout
        return Answer(name, url, "", TIMEOUT, f"connected, but no answer within the read timeout ({error[:160]})",
                      f"{name} accepts connections but does not answer: is it overloaded or stuck?")
    if error:  # it connects, then the exchange failed (TLS, a protocol error, a server that hangs up)
        return Answer(name, url, "", ERROR, error[:300], f"{name} accepts connections but the exchange failed: "
                      "see the error (a certificate? the wrong port?)")
    return Answer(name, url, "", TIMEOUT, f"connected, but no answer within {seconds:g} s",
                  f"{name} accepts connections but does not answer: is it overloaded or stuck?")


def aws_failure(exc: BaseException, env) -> Answer:
    """An exception of STS GetCallerIdentity, classified."""
    name = type(exc).__name__
    profile = env.aws.profile
    login = (f"log in: `aws sso login --profile {profile}` (or `aws configure --profile {profile}`)" if profile else
             "give golive AWS credentials (a profile in aws.profile or AWS_PROFILE, then `aws sso login`; the "
             "environment's keys; or a role: IRSA in-cluster, OIDC in CI)")
    where = env.aws.endpoint_url or f"sts.{env.aws.region}"
    first = (str(exc).splitlines() or [name])[0][:240]
    if name in AWS_NO_CREDENTIALS:
        what = "the SSO session has expired" if "SSO" in name or "Token" in name else f"no AWS credentials ({first})"
        return Answer("AWS", where, "sts GetCallerIdentity", CREDENTIALS, what, login, blocks=True)
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = (response.get("Error") or {}).get("Code", "")
        message = (response.get("Error") or {}).get("Message", "")
        if code in AWS_REJECTED or (response.get("ResponseMetadata") or {}).get("HTTPStatusCode") in (401, 403):
            return Answer("AWS", where, "sts GetCallerIdentity", UNAUTHORIZED,
                          f"AWS rejected the credentials ({code}: {message[:160]})",
                          "refresh them or choose another profile: " + login, blocks=True)
        return Answer("AWS", where, "sts GetCallerIdentity", ERROR, f"STS answered {code}: {message[:160]}",
                      "see the AWS error; the AWS checks will meet it too")
    return Answer("AWS", where, "sts GetCallerIdentity", ERROR, f"{name}: {first}",
                  "see the error; the AWS checks will meet it too")


def server_key(url: str | None) -> tuple | None:
    """(scheme, host, port) of an API server URL, for comparison (`https://X/` == `https://x:443`)."""
    if not url:
        return None
    parts = urlsplit(url if "://" in url else f"https://{url}")
    try:
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        return None
    return (parts.scheme.lower(), (parts.hostname or "").lower(), port)


def same_pem(a: bytes, b: bytes) -> bool:
    return re.sub(rb"\s", b"", a) == re.sub(rb"\s", b"", b)


# --- the questions ---------------------------------------------------------------------------------


class _Ask:
    """Runs each question in its own thread and stops waiting at the deadline: a silent endpoint is a timeout."""

    def __init__(self):
        self.threads: list[tuple[str, str, threading.Thread, dict]] = []

    def start(self, name: str, target: str, fn: Callable[[], object]) -> None:
        box: dict = {}

        def run():
            start = time.monotonic()
            try:
                box["value"] = fn()
            except BaseException as exc:  # noqa: BLE001 - every failure becomes an answer
                box["error"] = exc
            box["ms"] = round((time.monotonic() - start) * 1000, 1)

        thread = threading.Thread(target=run, name=f"golive-preflight-{name}", daemon=True)
        thread.start()
        self.threads.append((name, target, thread, box))

    def wait(self, deadline: float) -> dict[str, dict]:
        out = {}
        for name, target, thread, box in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            out[name] = dict(box) if not thread.is_alive() else {"late": True}
        return out


class Asking:
    """The preflight on its way, in a thread of its own (`run`), while the run goes on with what does not need its
    answer (collection's end, the first check's fixtures, the prefetch); `answer()` waits for it."""

    def __init__(self, env, uses: Iterable[str] | None = None):
        self._box: dict = {}
        self._thread = threading.Thread(target=self._ask, args=(env, uses), name="golive-preflight", daemon=True)
        self._thread.start()

    def _ask(self, env, uses) -> None:
        try:
            self._box["value"] = run(env, uses=uses)
        except BaseException as exc:  # noqa: BLE001 - raised where the answer is awaited
            self._box["error"] = exc

    def answer(self) -> Preflight:
        self._thread.join()
        if "error" in self._box:
            raise self._box["error"]
        return self._box["value"]


def run(env, *, deadline_s: float | None = None, uses: Iterable[str] | None = None) -> Preflight:
    """Ask each configured endpoint the selection `uses` (every one: None) once, classify, and bind the identity."""
    from fixtures.aws import Aws, make_session
    from fixtures.http import _grafana_auth, route
    from fixtures.kubernetes import in_cluster
    from golive.gather import Ledger, Source

    started = time.monotonic()
    t = env.timeouts
    timeout = (t.connect_seconds, t.read_seconds)
    seconds = deadline_s if deadline_s is not None else 2 * t.connect_seconds + 2
    ledger = Ledger()
    ask = _Ask()
    answers: list[Answer] = []
    wanted = set(ENDPOINTS if uses is None else uses)

    # HTTP endpoints, routed as the fixtures route them (fixtures/http.py: through the Kubernetes API's service
    # proxy where a Service is named and golive runs outside), each asked its health path.
    health = env.app.endpoints[0].path
    http = [("App", "app", env.app, health, False)]
    if env.app.ingress_url and env.app.ingress_url.rstrip("/") != env.app.base_url.rstrip("/"):
        http.append(("Ingress", "ingress", env.app, health, False))
    http += [("Prometheus", "prometheus", env.prometheus, "/-/healthy", True),
             ("Alertmanager", "alertmanager", env.alertmanager, "/-/healthy", True),
             ("Grafana", "grafana", env.grafana, "/api/org", True)]
    http = [h for h in http if h[1] in wanted]
    proxied = any(h[1] in ("app", "prometheus", "alertmanager") and h[2].service and not in_cluster(env) for h in http)
    kube_wanted = "kubernetes" in wanted or proxied
    aws_wanted = "aws" in wanted or kube_wanted  # the API server is bound to the cluster EKS names

    # AWS: who am I, and where is the cluster's API server? Asked together (neither waits for the other's
    # answer; EKS's is used only when STS's says the account is the right one).
    aws_made: list = []
    aws_making = threading.Lock()

    def aws():
        with aws_making:
            if not aws_made:
                aws_made.append(Aws(make_session(env), env, ledger, timeout))
            return aws_made[0]

    if aws_wanted:
        ask.start("aws", env.aws.region, lambda: aws().client("sts").get_caller_identity())
        ask.start("eks", env.aws.region, lambda: aws().client("eks").describe_cluster(name=env.eks.cluster)["cluster"])

    # Kubernetes: the kubeconfig's (or the pod's) credentials, then an authorized read.
    loaded: dict = {}  # the client's configuration as soon as it loads (a silent server is still bound)

    kube_session = None  # for an EKS token (kubernetes.auth = "eks"); other kubeconfigs do not use it
    if kube_wanted and env.kubernetes.auth == "eks":  # (the AWS question above is making the session meanwhile)
        try:
            kube_session = make_session(env)
        except Exception as exc:  # noqa: BLE001 - the AWS answer above says why
            kube_session = f"no AWS session ({type(exc).__name__})"

    def ask_kube():
        from fixtures.kubernetes import Kubernetes, make_api_client

        try:
            api = make_api_client(env, kube_session)
        except Exception as exc:  # noqa: BLE001 - no kubeconfig, no such context, an exec plugin that failed
            return {"load_error": exc}
        loaded["configuration"] = api.configuration
        kube = Kubernetes(api, Source("Kubernetes API", api.configuration.host, ledger), timeout)
        # /version and the namespace together; a failure of /version (reach, a server that is not Kubernetes)
        # says more than the namespace's, so it is the one classified.
        with ThreadPoolExecutor(1, thread_name_prefix="golive-preflight-namespace") as pool:
            namespace = pool.submit(kube.get, "namespaces", env.kubernetes.app_namespace)
            try:
                version = kube.version()
                namespace.result()
            except Exception as exc:  # noqa: BLE001 - classified below; the server it points at is still bound
                return {"configuration": api.configuration, "error": exc}
        return {"configuration": api.configuration, "version": version}

    if kube_wanted:
        ask.start("kube", env.kubernetes.context or env.kubernetes.kubeconfig or "kubeconfig", ask_kube)

    proxy_api = None
    if proxied:
        from fixtures.kubernetes import make_api_client

        try:
            proxy_api = make_api_client(env, kube_session)
        except Exception as exc:  # noqa: BLE001 - the Kubernetes answer says why; proxied endpoints fail with it
            proxy_api = f"cannot load the kubeconfig ({type(exc).__name__})"
    grafana_headers = _grafana_auth(env) if "grafana" in wanted else {}
    http = [(name, "app" if key == "ingress" else key, _http_client(name, env, ledger, timeout, route, proxy_api,
                                                                    grafana_headers), path, credentialed)
            for name, key, _, path, credentialed in http]
    # A route that cannot be used (fixtures/http.py says why: the service proxy while the Kubernetes API
    # cannot be used) is not asked: the Kubernetes line says what to fix (one root cause, one stop).
    for name, _section, client, path, _ in http:
        if client.route.unusable is None:
            ask.start(name, client.base_url, lambda client=client, path=path: client.request("GET", path))

    db = None
    if "database" in wanted:
        from fixtures.database import Database

        db = Database(env, ledger, timeout)
        ask.start("db", db.source.where, lambda: db.query("SELECT 1", fresh=True))

    got = ask.wait(started + seconds)
    from fixtures.network import Network

    network = Network(env, ledger, timeout)

    def late_or_unreached(name, url, section, error=""):
        return unreached(name, url, network.reach(name, url, fresh=True), env, section, seconds, error)

    # --- AWS and identity
    identity = {"account": None, "arn": None, "expected_account": env.aws.account_id, "cluster": env.eks.cluster,
                "cluster_endpoint": None, "api_server": None, "context": env.kubernetes.context, "binding": None}
    aws_box, cluster = got.get("aws"), None
    where = env.aws.endpoint_url or f"sts.{env.aws.region}"
    if aws_box is None:
        identity["account"] = None  # not asked: the selection uses neither AWS nor the Kubernetes API
    elif aws_box.get("late"):
        answers.append(Answer("AWS", where, "sts GetCallerIdentity", TIMEOUT, f"no answer within {seconds:g} s",
                              "is this runner allowed out to AWS (proxy, firewall)?"))
    elif "error" in aws_box:
        exc = aws_box["error"]
        answer = aws_failure(exc, env)
        if answer.status == ERROR and type(exc).__name__ in ("EndpointConnectionError", "ConnectTimeoutError",
                                                              "ConnectionClosedError", "ReadTimeoutError"):
            answer = late_or_unreached("AWS", env.aws.endpoint_url or f"https://sts.{env.aws.region}.amazonaws.com",
                                       "aws")
            answer.question = "sts GetCallerIdentity"
        answer.ms = aws_box.get("ms")
        answers.append(answer)
    else:
        me, cluster = aws_box["value"], _eks_answer(got["eks"], seconds)
        identity.update(account=me.get("Account"), arn=me.get("Arn"))
        want = env.aws.account_id
        if want and me.get("Account") != want:
            answers.append(Answer(
                "AWS", where, "sts GetCallerIdentity", IDENTITY,
                f"the credentials are for account {me.get('Account')} ({me.get('Arn')}), but {env.name} is account "
                f"{want} (aws.account_id)",
                f"choose {env.name}'s profile (aws.profile or AWS_PROFILE"
                + (f", now {env.aws.profile}" if env.aws.profile else "") + ")", blocks=True, ms=aws_box.get("ms")))
            cluster = None  # another account's cluster says nothing about this one
        else:
            answers.append(Answer("AWS", where, "sts GetCallerIdentity", OK,
                                  f"account {me.get('Account')} as {me.get('Arn')}"
                                  + ("" if want else " (aws.account_id not set: the account is not checked)"),
                                  ms=aws_box.get("ms")))
    eks_where = f"eks {env.eks.cluster} ({env.aws.region})"
    if isinstance(cluster, BaseException):
        code = ((getattr(cluster, "response", None) or {}).get("Error") or {}).get("Code", type(cluster).__name__)
        if code in AWS_REJECTED:
            answers.append(Answer("EKS", eks_where, "eks DescribeCluster", UNAUTHORIZED,
                                  f"golive may not describe the cluster ({code})",
                                  "grant golive eks:DescribeCluster (deploy/iam-policy.json)", blocks=True))
        else:
            answers.append(Answer("EKS", eks_where, "eks DescribeCluster", ERROR,
                                  f"DescribeCluster answered {code}: the cluster's identity cannot be checked",
                                  f"does EKS cluster {env.eks.cluster} exist in {env.aws.region}? (eks.cluster; its "
                                  "checks will say)"))
        cluster = None
    elif isinstance(cluster, dict):
        identity["cluster_endpoint"] = cluster.get("endpoint")

    # --- Kubernetes
    if kube_wanted:
        kube_box = got["kube"]
        kube = kube_box.get("value") or {}
        configuration = kube.get("configuration") or loaded.get("configuration")
        kube_where = configuration.host if configuration is not None else (
            env.kubernetes.context or env.kubernetes.kubeconfig or "kubeconfig")
        if configuration is not None:
            identity["api_server"] = configuration.host
        if kube_box.get("late"):
            answer = late_or_unreached("Kubernetes API", kube_where, "kubernetes") if configuration is not None else \
                Answer("Kubernetes API", kube_where, "", TIMEOUT, f"the kubeconfig did not load within {seconds:g} s "
                       "(an exec credential plugin that hangs?)", "run its command by hand to see why")
            answer.question = "GET /version"
            answers.append(answer)
        elif "error" in kube_box or "load_error" in kube:
            answers.append(_kube_failure(kube_box.get("error") or kube["load_error"], env, kube_where))
        elif "error" in kube:
            answer = _kube_failure(kube["error"], env, kube_where)
            if answer is None:
                answer = late_or_unreached("Kubernetes API", configuration.host, "kubernetes", _said(kube))
                answer.question = "GET /version"
            answer.ms = kube_box.get("ms")
            answers.append(answer)
        else:
            answers.append(Answer("Kubernetes API", kube_where, "GET /version", OK,
                                  f"Kubernetes {kube['version'].get('gitVersion', '?')}; namespace "
                                  f"{env.kubernetes.app_namespace} readable", ms=kube_box.get("ms")))
        bound = _bind(env, cluster, configuration, identity)
        if bound is not None:
            answers.append(bound)
    else:
        identity["binding"] = "not checked (the selection uses no Kubernetes API)"

    # --- HTTP and the database
    for name, section, client, path, credentialed in http:
        if client.route.unusable is not None:
            answers.append(Answer(name, f"service {client.route.service}", f"GET {path}", ERROR,
                                  client.route.unusable, "fix golive's access to the Kubernetes API (above)"))
            continue
        box = got[name]
        if box.get("late") or "error" in box:
            answer = late_or_unreached(name, client.base_url, section, _said(box))
        else:
            answer = _http_answer(name, section, box["value"], credentialed, env, grafana_headers)
        answer.question, answer.ms = f"GET {path}", box.get("ms")
        answers.append(answer)
    if db is not None:
        answers.append(_db_answer(got["db"], env, db.source.where, late_or_unreached))

    return Preflight(answers=answers, identity=identity, seconds=time.monotonic() - started,
                     uses=None if uses is None else sorted(wanted))


def _http_client(name: str, env, ledger, timeout, route, proxy_api, grafana_headers: dict):
    """The client the fixtures use for endpoint `name` (fixtures/http.py), routed as they route it."""
    from fixtures.http import Http

    if name == "Ingress":
        return Http("Ingress", env.app.ingress_url, ledger, timeout)
    if name == "Grafana":
        return Http("Grafana", env.grafana.url, ledger, timeout, headers=grafana_headers)
    section = {"App": env.app, "Prometheus": env.prometheus, "Alertmanager": env.alertmanager}[name]
    return Http(name, route(env, section, proxy_api), ledger, timeout)


def _eks_answer(box: dict, seconds: float):
    """EKS DescribeCluster's cluster, or the exception it raised (a silent EKS: a timeout)."""
    if box.get("late"):
        return TimeoutError(f"no answer within {seconds:g} s")
    return box["error"] if "error" in box else box["value"]


def _said(box: dict) -> str:
    """What a question's client said when it failed ("" when it was still waiting)."""
    error = box.get("error")
    return "" if error is None else (str(error).splitlines() or [type(error).__name__])[0][:300]


def _kube_failure(exc: BaseException, env, where: str) -> Answer | None:
    """A failure of the kubeconfig or of the API server's answer; None: no answer at all (classify the reach)."""
    from golive.gather import BadData, SourceUnavailable

    text = (str(exc).splitlines() or [type(exc).__name__])[0][:240]
    cluster, region = env.eks.cluster, env.aws.region
    context = (f"`aws eks update-kubeconfig --name {cluster} --region {region}`, then kubernetes.context"
               if not inside(env) else "check the pod's service account (deploy/)")
    if isinstance(exc, SourceUnavailable) and " denied " in text:
        if "HTTP 401" in text:
            return Answer("Kubernetes API", where, "GET /version", UNAUTHORIZED,
                          "the API server rejected the kubeconfig's credentials (HTTP 401)",
                          f"refresh them (`aws sso login`, {context})", blocks=True)
        return Answer("Kubernetes API", where, f"GET namespace {env.kubernetes.app_namespace}", UNAUTHORIZED,
                      f"golive's identity may not read the cluster ({text.split(' denied ', 1)[-1]})",
                      "bind it to golive's read-only ClusterRole (deploy/rbac.yaml)", blocks=True)
    if isinstance(exc, SourceUnavailable):
        return None
    if isinstance(exc, BadData):
        return Answer("Kubernetes API", where, "GET /version", ERROR, text,
                      "the server answers, but not as a Kubernetes API: is the kubeconfig's server right?")
    # make_api_client could not load the configuration: no kubeconfig, no such context, an exec plugin failed.
    return Answer("Kubernetes API", where, "load kubeconfig", CREDENTIALS,
                  f"cannot load the cluster's credentials ({type(exc).__name__}: {text})",
                  f"choose the cluster's context: {context}", blocks=True)


def _bind(env, cluster: dict | None, configuration, identity: dict) -> Answer | None:
    """The Kubernetes API golive talks to must be `eks.cluster`'s: by endpoint (kubeconfig) or CA (in-cluster)."""
    if cluster is None or configuration is None:
        identity["binding"] = "not checked (no answer from " + ("EKS" if cluster is None else "the kubeconfig") + ")"
        return None
    endpoint, server = cluster.get("endpoint"), configuration.host
    where = f"{env.kubernetes.context or 'kubeconfig'} -> {server}"
    fix = (f"choose {env.eks.cluster}'s context (`aws eks update-kubeconfig --name {env.eks.cluster} --region "
           f"{env.aws.region}`, then kubernetes.context)")
    if inside(env):
        ca = (cluster.get("certificateAuthority") or {}).get("data")
        try:
            theirs = base64.b64decode(ca or "", validate=True)
            ours = open(configuration.ssl_ca_cert, "rb").read() if configuration.ssl_ca_cert else b""
        except (ValueError, OSError):
            theirs, ours = b"", b""
        if b"BEGIN CERTIFICATE" not in theirs or not ours:
            identity["binding"] = "not checked (no CA to compare in-cluster)"
            return None
        if not same_pem(theirs, ours):
            identity["binding"] = "MISMATCH"
            return Answer("Kubernetes API", server, "eks DescribeCluster", IDENTITY,
                          f"this pod's cluster is not EKS cluster {env.eks.cluster} (their CAs differ)",
                          f"run the Job in {env.eks.cluster}, or fix eks.cluster", blocks=True)
        identity["binding"] = "bound (in-cluster CA is the cluster's)"
        return None
    if server_key(endpoint) != server_key(server):
        identity["binding"] = "MISMATCH"
        return Answer("Kubernetes API", where, "eks DescribeCluster", IDENTITY,
                      f"the kubeconfig points at {server}, but EKS cluster {env.eks.cluster}"
                      + (f" (account {identity['account']})" if identity.get("account") else "")
                      + f" answers at {endpoint}", fix, blocks=True)
    identity["binding"] = "bound (the kubeconfig's server is the cluster's endpoint)"
    return None


def _http_answer(name: str, section: str, response, credentialed: bool, env, headers: dict) -> Answer:
    status = response.status
    if status in (401, 403) and credentialed:
        if name == "Grafana":
            token = env.grafana.token_file or env.grafana.token_env
            fix = (f"give golive a Grafana Viewer service-account token ({env.grafana.token_env}"
                   + (f" or grafana.token_file, now {env.grafana.token_file}" if env.grafana.token_file else
                      " or grafana.token_file") + ")")
            what = (f"Grafana rejected golive's token (HTTP {status})" if headers else
                    f"no Grafana token ({token} is empty or missing): Grafana answered HTTP {status}")
            return Answer(name, response.url, "", UNAUTHORIZED, what, fix, blocks=True)
        return Answer(name, response.url, "", UNAUTHORIZED,
                      f"{name} refused golive (HTTP {status}): it wants credentials golive does not have",
                      f"reach it in-cluster (deploy/) or through the Kubernetes API's service proxy "
                      f"({section}.service)", blocks=True)
    if status >= 400:
        return Answer(name, response.url, "", ERROR, f"{name} answered HTTP {status}",
                      f"{name} is reachable but unwell: its checks will say more")
    return Answer(name, response.url, "", OK, f"HTTP {status} in {response.ms:.0f} ms")


def _db_answer(box: dict, env, where: str, late_or_unreached) -> Answer:
    url = f"postgresql://{env.database.host}:{env.database.port}"
    if not box.get("late") and "error" not in box:
        return Answer("PostgreSQL", where, "connect, SELECT 1", OK, "connected (read only)", ms=box.get("ms"))
    text = _said(box)
    rejected = ("password authentication failed", "no password supplied", "role \"", "pg_hba.conf",
                "authentication failed")
    if any(words in text for words in rejected):
        reason = re.sub(r"^.*?FATAL:\s*", "", text).strip()[:200]
        answer = Answer("PostgreSQL", where, "", CREDENTIALS if "no password" in text else UNAUTHORIZED,
                        f"the database refused golive's login ({reason})",
                        f"set PGPASSWORD or ~/.pgpass for user {env.database.user} (database.user)", blocks=True)
    else:
        answer = late_or_unreached("PostgreSQL", url, "database", text)
        if answer.status in (REFUSED, TIMEOUT) and not inside(env):
            answer.fix += ("; from outside the cluster the database is not reachable through the Kubernetes API: "
                           "run golive in-cluster, or point database.host and database.port at a tunnel")
    answer.question, answer.ms = "connect, SELECT 1", box.get("ms")
    return answer
