"""Table-driven tests of golive/probes/performance.py: windows of Prometheus data, alert tuning and user
acceptance, over recorded answers.

Each table row: id, the input (a recorded base, or a variant derived from it), PASS/FAIL, and the
fragments the Finding's summary must contain (which resource, and why).
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import yaml

from fixtures.mcp import Step, Transcript
from golive.attest import Entry
from golive.config import Thresholds
from golive.probes import performance as perf
from tests.unit.recorded import DROP, FAIL, PASS, derive, load, prometheus_result, row, verdict

JOB, HPA, CONTAINER = "nba-mcp-synthesis", "nba-mcp-synthesis-hpa", "nba-mcp-synthesis"
PROM, AM, MCP_URL = "http://127.0.0.1:18090", "http://127.0.0.1:18093", "http://127.0.0.1:18000/mcp"
T = Thresholds()  # golive's defaults (golive.toml keeps them)
W = perf.window(T.performance_window_minutes, 30, T.window_min_coverage_percent)  # T+1h: 15 min, a sample / 15 s
REVIEW = perf.window(T.review_window_hours * 60, 30, T.window_min_coverage_percent)  # T+24h: a sample / 1440 s


def result(name: str) -> list[dict]:
    return prometheus_result("performance", name)


def remap(series: list[dict], value) -> list[dict]:
    """The series with each sample's value replaced by value(index, old value), written as Prometheus does."""
    def edit(s):
        s[0]["values"] = [[t, str(value(i, float(v)))] for i, (t, v) in enumerate(s[0]["values"])]
    return derive(series, edit=edit)


def last(series: list[dict], n: int) -> list[dict]:
    """Only the newest n samples: a target that has just started."""
    return derive(series, edit=lambda s: s[0].update(values=s[0]["values"][-n:]))


def instant(value: str) -> list[dict]:
    return derive(result("latency_overall"), {"0.value.1": value})


# --- windows and their queries -----------------------------------------------------------------

CFG = SimpleNamespace(thresholds=T, prometheus=SimpleNamespace(scrape_interval_seconds=30))


@pytest.mark.parametrize("w, seconds, step, rate, needed, label", [
    row("t+1h", perf.monitoring_window(CFG), 900, 15, 300, 31, "the last 15 min"),  # rate: 10 scrapes of 30 s
    row("t+24h", perf.review_window(CFG), 86400, 1440, 1440, 31, "the last 24 h"),
    row("half-a-minute", perf.window(0.5, 1, 100), 30, 1, 10, 31, "the last 30 s"),
])
def test_window(w, seconds, step, rate, needed, label):
    assert (w.seconds, w.step, w.rate, w.needed, w.label, w.step_param, w.minutes) == \
        (seconds, step, rate, needed, label, f"{step}s", seconds / 60)


@pytest.mark.parametrize("query, promql", [
    row("p95", perf.p95_latency(JOB, 300),
        'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="nba-mcp-synthesis"}'
        '[300s])))'),
    row("error-ratio", perf.error_ratio(JOB, 300),
        'sum(rate(http_requests_total{job="nba-mcp-synthesis", status=~"5.."}[300s])) / '
        'sum(rate(http_requests_total{job="nba-mcp-synthesis"}[300s]))'),
    row("busiest", perf.busiest(perf.CPU, JOB), 'max(cpu_usage_percent{job="nba-mcp-synthesis"})'),
    row("hpa", perf.hpa_replicas(JOB, HPA), 'kube_horizontalpodautoscaler_status_current_replicas{namespace='
                                            '"nba-mcp-synthesis", horizontalpodautoscaler="nba-mcp-synthesis-hpa"}'),
    row("alerts", perf.firing_alerts(1440), 'max_over_time(ALERTS{alertstate="firing"}[1440s])'),
])
def test_queries(query, promql):
    assert query == promql


# --- window_filled, response_times, error_rates ----------------------------------------------

LATENCY, LATENCY_ALL = result("latency_window"), result("latency_overall")  # p95 per step; p95 of the window
LATENCY_Q = perf.p95_latency(JOB, W.seconds)


@pytest.mark.parametrize("series, expected, fragments", [
    row("filled", LATENCY, PASS, "61 samples over the last 15 min (need 31)"),
    row("young-target", last(LATENCY, 10), FAIL,
        f"not enough data for the window of {LATENCY_Q}: 10 samples over the last 15 min, need at least 31"),
    row("nothing", [], FAIL, "0 samples over the last 15 min, need at least 31"),
    row("no-requests-NaN", remap(LATENCY, lambda i, v: "NaN"), FAIL, "0 samples"),  # histogram_quantile of nothing
])
def test_window_filled(series, expected, fragments):
    verdict(perf.window_filled(series, W, LATENCY_Q), expected, fragments)


@pytest.mark.parametrize("overall, series, expected, fragments", [
    row("within", LATENCY_ALL, LATENCY, PASS,
        f"p95 latency of {JOB} over the last 15 min is 24 ms, within the 500 ms warning threshold (peak 108 ms, "
        f"61 samples)"),
    row("slow", instant("0.812"), remap(LATENCY, lambda i, v: v * 30), FAIL,
        f"p95 latency of {JOB} over the last 15 min is 812 ms, above the 500 ms warning threshold (peak"),
    row("no-overall-answer", [], LATENCY, FAIL, f"no data for {LATENCY_Q}"),
    row("overall-NaN", instant("NaN"), LATENCY, FAIL, f"no data for {LATENCY_Q}"),
    row("young-target", LATENCY_ALL, last(LATENCY, 10), FAIL, f"not enough data for p95 latency of {JOB}: 10 samples"),
])
def test_response_times(overall, series, expected, fragments):
    verdict(perf.response_times(overall, series, W, T.p95_latency_warn_ms, JOB, LATENCY_Q), expected, fragments)


ERRORS, ERRORS_ALL = result("errors_window"), result("errors_overall")
ERRORS_Q = perf.error_ratio(JOB, W.seconds)


@pytest.mark.parametrize("overall, series, expected, fragments", [
    row("within", ERRORS_ALL, ERRORS, PASS,
        f"0.04% of requests to {JOB} failed with 5xx over the last 15 min, within the 1% target (peak 0.3%)"),
    row("above-target", instant("0.021"), remap(ERRORS, lambda i, v: 0.021), FAIL,
        f"2.1% of requests to {JOB} failed with 5xx over the last 15 min, above the 1% target (critical at 5%)"),
    row("above-critical", instant("0.0586"), remap(ERRORS, lambda i, v: 0.0586), FAIL,
        "5.9% of requests to nba-mcp-synthesis failed with 5xx over the last 15 min, above the 5% critical line; "
        "peak 5.9%"),
    row("no-requests", instant("NaN"), ERRORS, FAIL, f"no data for {ERRORS_Q} (no requests counted)"),
    row("young-target", ERRORS_ALL, last(ERRORS, 3), FAIL, f"not enough data for the error ratio of {JOB}"),
])
def test_error_rates(overall, series, expected, fragments):
    verdict(perf.error_rates(overall, series, W, T.error_rate_target, T.error_rate_critical, JOB, ERRORS_Q),
            expected, fragments)


# --- cpu_utilization, memory_utilization -----------------------------------------------------

DEPLOYMENT = load("application", "deployment")
RESOURCES = f"spec.template.spec.containers[name={CONTAINER}].resources"
CPU, MEMORY = result("cpu_window"), result("memory_window")  # the busiest pod's cpu_usage_percent / bytes
CPU_Q, MEMORY_Q = perf.busiest(perf.CPU, JOB), perf.busiest(perf.MEMORY, JOB)


def deployment(changes=None):
    return derive(DEPLOYMENT, changes)


RENAMED = deployment({f"spec.template.spec.containers[name={CONTAINER}].name": "app"})


@pytest.mark.parametrize("series, dep, expected, fragments", [
    row("normal", CPU, DEPLOYMENT, PASS,
        f"CPU of the busiest {CONTAINER} pod averaged 34% of its 1-core limit over the last 15 min (peak 41% at "
        f"09:45:39 UTC), under the 80% warning threshold"),
    row("hot", remap(CPU, lambda i, v: 85 + i % 3), DEPLOYMENT, FAIL,
        ("averaged 86% of its 1-core limit over the last 15 min (peak 87%", "above the warning threshold of 80%")),
    row("pegged", remap(CPU, lambda i, v: 97 + i % 3), DEPLOYMENT, FAIL, "above the critical threshold of 95%"),
    row("two-core-limit", CPU, deployment({f"{RESOURCES}.limits.cpu": "2"}), PASS, "averaged 17% of its 2-core limit"),
    row("limit-without-request", CPU, deployment({f"{RESOURCES}.requests": DROP}), PASS, "under the 80% warning"),
    row("no-cpu-limit", CPU, deployment({f"{RESOURCES}.limits.cpu": DROP}), FAIL,
        f"container {CONTAINER} has no cpu limit to judge utilization against"),
    row("container-renamed", CPU, RENAMED, FAIL, f"container {CONTAINER} not found in the deployment"),
    row("no-deployment", CPU, None, FAIL, f"container {CONTAINER} not found in the deployment"),
    row("young-target", last(CPU, 5), DEPLOYMENT, FAIL, f"not enough data for CPU usage of {JOB}: 5 samples"),
])
def test_cpu_utilization(series, dep, expected, fragments):
    finding = perf.cpu_utilization(series, dep, CONTAINER, W, T.cpu_warn_percent, T.cpu_critical_percent, JOB, CPU_Q)
    verdict(finding, expected, fragments)


@pytest.mark.parametrize("series, dep, expected, fragments", [
    row("normal", MEMORY, DEPLOYMENT, PASS,
        f"memory of the busiest {CONTAINER} pod peaked at 29% of its 2Gi limit over the last 15 min (at 09:51:39 "
        f"UTC), under 90%"),
    row("near-oom", remap(MEMORY, lambda i, v: 1.9 * 2**30 if i == 50 else v), DEPLOYMENT, FAIL,
        ("peaked at 95% of its 2Gi limit", "above 90%, close to being OOM-killed")),
    row("no-memory-limit", MEMORY, deployment({f"{RESOURCES}.limits.memory": DROP}), FAIL,
        f"container {CONTAINER} has no memory limit"),
    row("no-deployment", MEMORY, None, FAIL, f"container {CONTAINER} not found in the deployment"),
    row("young-target", last(MEMORY, 5), DEPLOYMENT, FAIL, f"not enough data for memory usage of {JOB}"),
])
def test_memory_utilization(series, dep, expected, fragments):
    verdict(perf.memory_utilization(series, dep, CONTAINER, W, T.memory_percent, JOB, MEMORY_Q), expected, fragments)


# --- autoscaling -----------------------------------------------------------------------------

HPA_OBJ = load("performance", "hpa")
REPLICAS = result("hpa_replicas_window")  # kube-state-metrics' series as kube-prometheus-stack labels them
STATE = result("hpa_state")  # the four counts now, recorded from the sandbox (its kube-state-metrics)
HPA_Q, STATE_Q = perf.hpa_replicas(JOB, HPA), perf.hpa_state(JOB, HPA)
LIMITED = "status.conditions[type=ScalingLimited]"
CURRENT, MAXIMUM, MINIMUM = perf.HPA_REPLICAS, perf.HPA_STATE["max"], perf.HPA_STATE["min"]


def hpa(changes=None):
    return derive(HPA_OBJ, changes)


def state(**values):
    """The recorded counts with some replaced (key of perf.HPA_STATE -> value) or left out (DROP)."""
    names = {perf.HPA_STATE[key]: value for key, value in values.items()}
    kept = [r for r in STATE if names.get(r["metric"]["__name__"]) is not DROP]
    return [derive(r, {"value.1": str(names[r["metric"]["__name__"]])} if r["metric"]["__name__"] in names else None)
            for r in kept]


PINNED = {"status.currentReplicas": 10, "status.desiredReplicas": 10, f"{LIMITED}.status": "True",
          f"{LIMITED}.reason": "TooManyReplicas"}


def test_hpa_state_query():
    assert STATE_Q == ('{__name__=~"kube_horizontalpodautoscaler_status_current_replicas|kube_horizontalpodautoscaler_'
                       'status_desired_replicas|kube_horizontalpodautoscaler_spec_max_replicas|kube_horizontalpod'
                       'autoscaler_spec_min_replicas", namespace="nba-mcp-synthesis", '
                       'horizontalpodautoscaler="nba-mcp-synthesis-hpa"}')


@pytest.mark.parametrize("obj, now, series, expected, fragments", [
    row("over-the-window", hpa(), STATE, REPLICAS, PASS,
        f"HPA {HPA} runs 3 replicas (desired 3, range 3..10), not pinned at its maximum, judged over the last "
        "15 min of kube-state-metrics series and from its status"),
    row("absent", None, STATE, REPLICAS, FAIL, f"HPA {HPA} does not exist"),
    # Prometheus without kube-state-metrics: absence is a failure, named, whatever the HPA's status says
    row("no-kube-state-metrics", hpa(), [], [], FAIL,
        f"HPA {HPA}: no kube-state-metrics series in Prometheus for {CURRENT}, "
        f"{perf.HPA_STATE['desired']}, {MAXIMUM}, {CURRENT} over the last 15 min: its scaling cannot be verified"),
    row("no-maximum", hpa(), state(max=DROP), REPLICAS, FAIL, f"in Prometheus for {MAXIMUM}: its scaling"),
    row("no-window", hpa(), STATE, [], FAIL, f"in Prometheus for {CURRENT} over the last 15 min"),
    row("a-scalar-answer", hpa(), [1796118129.451, "3"], REPLICAS, FAIL, f"in Prometheus for {CURRENT}, "),
    row("minimum-unset", hpa(), state(min=DROP), REPLICAS, PASS, "range 1..10"),
    row("pinned-at-max", hpa(PINNED), state(current=10, desired=10), remap(REPLICAS, lambda i, v: 10), FAIL,
        f"HPA {HPA} pinned at its maximum of 10 replicas (ScalingLimited: TooManyReplicas): no headroom for more load"),
    # the HPA's status changed since the last scrape: it is evidence too
    row("pinned-since-the-scrape", hpa(PINNED), STATE, REPLICAS, FAIL, "pinned at its maximum of 10 replicas"),
    # just scaled down by one, but at its maximum for the whole window before
    row("at-max-all-window", hpa({"status.currentReplicas": 9, "status.desiredReplicas": 9}),
        state(current=9, desired=9), remap(REPLICAS, lambda i, v: 10), FAIL,
        "at its maximum of 10 replicas for all of the last 15 min"),
    row("below-min", hpa({"status.currentReplicas": 2}), state(current=2), REPLICAS, FAIL,
        "2 current replicas outside 3..10"),
    row("below-min-in-status-only", hpa({"status.currentReplicas": 2}), STATE, REPLICAS, FAIL,
        "2 current replicas outside 3..10"),
    row("min-raised", hpa({"spec.minReplicas": 4}), state(min=4), REPLICAS, FAIL,
        "3 current replicas outside 4..10; 3 desired replicas outside 4..10"),
    row("new-hpa-no-counts", hpa({"status": {"desiredReplicas": 0, "currentMetrics": None}}), STATE, REPLICAS, FAIL,
        f"HPA {HPA} no current/desired replica count in its status"),
    row("cannot-scale", hpa({"status.conditions[type=AbleToScale].status": "False",
                             "status.conditions[type=AbleToScale].reason": "FailedGetScale"}), STATE, REPLICAS, FAIL,
        "AbleToScale is False (FailedGetScale)"),
])
def test_autoscaling(obj, now, series, expected, fragments):
    verdict(perf.autoscaling(obj, now, series, HPA, W, HPA_Q, STATE_Q), expected, fragments)


# --- latency_slo, error_slo, latency_trend, error_trend (T+24h) --------------------------------

DAY_LATENCY, DAY_ERRORS = result("latency_review"), result("errors_review")
DAY_LATENCY_Q, DAY_ERRORS_Q = perf.p95_latency(JOB, REVIEW.rate), perf.error_ratio(JOB, REVIEW.rate)
LAST_THIRD = 40  # of 61 samples, the ones from index 40 on are the last third of the span


@pytest.mark.parametrize("series, expected, fragments", [
    row("met", DAY_LATENCY, PASS,
        f"p95 latency of {JOB} met its 100 ms SLO for 100.0% of the last 24 h (61 of 61 samples; required 99%)"),
    row("a-bad-hour", remap(DAY_LATENCY, lambda i, v: 0.35 if i in (30, 31) else v), FAIL,
        ("met its 100 ms SLO for 96.7% of the last 24 h (59 of 61 samples; required 99%)", "; worst 350 ms at")),
    row("young-target", last(DAY_LATENCY, 4), FAIL, f"not enough data for p95 latency of {JOB}: 4 samples"),
])
def test_latency_slo(series, expected, fragments):
    verdict(perf.latency_slo(series, REVIEW, T.p95_latency_rollback_ms, T.slo_compliance_percent, JOB, DAY_LATENCY_Q),
            expected, fragments)


@pytest.mark.parametrize("series, expected, fragments", [
    row("met", DAY_ERRORS, PASS, f"error ratio of {JOB} met its 1% SLO for 100.0% of the last 24 h"),
    row("an-incident", remap(DAY_ERRORS, lambda i, v: 0.062 if i in (40, 41, 42) else v), FAIL,
        ("met its 1% SLO for 95.1% of the last 24 h", "; worst 6.2% at")),
    row("nothing", [], FAIL, f"not enough data for error ratio of {JOB}: 0 samples over the last 24 h"),
])
def test_error_slo(series, expected, fragments):
    verdict(perf.error_slo(series, REVIEW, T.error_rate_target, T.slo_compliance_percent, JOB, DAY_ERRORS_Q),
            expected, fragments)


@pytest.mark.parametrize("series, expected, fragments", [
    row("steady", DAY_LATENCY, PASS,
        f"p95 latency of {JOB} went from 25 ms (first third of the last 24 h) to 25 ms (last third), -1%"),
    row("slower-but-under-the-line", remap(DAY_LATENCY, lambda i, v: v * 3 if i >= LAST_THIRD else v), PASS,
        "to 76 ms (last third), +197%, still under the 100 ms line"),
    row("degraded", remap(DAY_LATENCY, lambda i, v: 0.18 if i >= LAST_THIRD else v), FAIL,
        "to 180 ms (last third), +607%: a performance loss above 50%, now over the 100 ms line"),
    row("young-target", last(DAY_LATENCY, 4), FAIL, "not enough data for p95 latency"),
])
def test_latency_trend(series, expected, fragments):
    verdict(perf.latency_trend(series, REVIEW, T.p95_latency_rollback_ms, T.performance_loss_rollback_percent, JOB,
                               DAY_LATENCY_Q), expected, fragments)


@pytest.mark.parametrize("series, expected, fragments", [
    row("steady", DAY_ERRORS, PASS,
        f"error ratio of {JOB} went from 0.0079% (first third of the last 24 h) to 0.005% (last third), -37%"),
    row("zero-throughout", remap(DAY_ERRORS, lambda i, v: 0), PASS, "went from 0% (first third"),
    row("up-from-zero-over-the-line", remap(DAY_ERRORS, lambda i, v: 0.02 if i >= LAST_THIRD else 0), FAIL,
        "to 2% (last third), up from zero: a performance loss above 50%, now over the 1% line"),
    row("up-from-zero-under-the-line", remap(DAY_ERRORS, lambda i, v: 0.002 if i >= LAST_THIRD else 0), PASS,
        "to 0.2% (last third), up from zero, still under the 1% line"),
])
def test_error_trend(series, expected, fragments):
    verdict(perf.error_trend(series, REVIEW, T.error_rate_target, T.performance_loss_rollback_percent, JOB,
                             DAY_ERRORS_Q), expected, fragments)


# --- incidents_reviewed, critical_fired --------------------------------------------------------

FIRED = result("alerts_review")  # NBAMCPHighErrorRate (critical) 01:57-02:45; a warning at 16:45 the day before
SOURCE = f"Prometheus {PROM}"
ALERTS_Q = perf.firing_alerts(REVIEW.step)
CRITICAL_SERIES = "[metric.severity=critical]"


def review(at: str) -> Entry:
    return Entry(item="t+24h/incident-review/review-any-incidents", role="Deployment Lead", by="Ana Ruiz", at=at,
                 expires="2026-12-04T09:30:00Z", evidence="https://wiki.example.com/incidents/2026-12-01")


def _fired_twice(series):
    critical = next(s for s in series if s["metric"]["severity"] == "critical")
    t0 = critical["values"][0][0]
    critical["values"].insert(0, [t0 - 30 * REVIEW.step, "1"])  # an earlier, separate firing


WARNINGS_ONLY = derive(FIRED, {CRITICAL_SERIES: DROP})


@pytest.mark.parametrize("series, entry, expected, fragments", [
    row("reviewed-after", FIRED, review("2026-12-01T09:30:00Z"), PASS,
        (f"1 critical alert firings in {SOURCE} over the last 24 h, all reviewed by Ana Ruiz at 2026-12-01T09:30:00Z",
         "NBAMCPSecretValidationFailures (warning) at 16:45:09 UTC",
         "NBAMCPHighErrorRate (critical) from 01:57:09 to 02:45:09 UTC")),
    row("not-reviewed", FIRED, None, FAIL,
        f"1 critical alert firings in {SOURCE} over the last 24 h with no incident review: NBAMCPHighErrorRate "
        f"from 01:57:09 to 02:45:09 UTC"),
    row("reviewed-before-it-ended", FIRED, review("2026-12-01T02:00:00Z"), FAIL,
        "after the incident review was attested at 02:00:00 UTC: NBAMCPHighErrorRate from 01:57:09"),
    row("fired-twice", derive(FIRED, edit=_fired_twice), review("2026-12-01T09:30:00Z"), PASS,
        "2 critical alert firings in"),
    row("warnings-only", WARNINGS_ONLY, None, PASS,
        f"{SOURCE} over the last 24 h: 1 alert(s) fired, none critical: NBAMCPSecretValidationFailures (warning) at"),
    row("unlabelled-alert", derive(WARNINGS_ONLY, {"0.metric.severity": DROP}), None, PASS,
        "NBAMCPSecretValidationFailures (no severity) at"),
    row("quiet", [], None, PASS, f"{SOURCE} over the last 24 h: no alert fired"),
])
def test_incidents_reviewed(series, entry, expected, fragments):
    verdict(perf.incidents_reviewed(series, entry, REVIEW, SOURCE, ALERTS_Q), expected, fragments)


@pytest.mark.parametrize("series, fired", [
    row("critical-fired", FIRED, True),
    row("warnings-only", WARNINGS_ONLY, False),
    row("quiet", [], False),
])
def test_critical_fired(series, fired):
    assert perf.critical_fired(series) is fired


# --- alert_thresholds --------------------------------------------------------------------------

GROUPS = load("monitoring", "prometheus_rules")["data"]["groups"]
RULES = "[name=nba-mcp-synthesis.rules].rules"
MAPPED = {"NBAMCPHighErrorRate": "error_rate_critical", "NBAMCPHighMemoryUsage": "memory_percent"}  # golive.toml
ERROR_RULE = f"{RULES}[name=NBAMCPHighErrorRate].query"
ERROR_EXPR = ('sum(rate(http_requests_total{job="nba-mcp-synthesis",status=~"5.."}[30s])) / '
              'sum(rate(http_requests_total{job="nba-mcp-synthesis"}[30s]))')


@pytest.mark.parametrize("groups, wanted, expected, fragments", [
    row("agree", GROUPS, MAPPED, PASS,
        f"2 alert rules in {SOURCE} agree with golive's thresholds: NBAMCPHighErrorRate > 0.05 = error_rate_critical "
        f"0.05; NBAMCPHighMemoryUsage > 0.9 = memory_percent 90"),  # a percent may be written as a ratio
    row("none-mapped", GROUPS, {}, FAIL,
        "expected alert rules to compare with golive's thresholds, found 0 configured"),
    row("disagree", derive(GROUPS, {ERROR_RULE: f"{ERROR_EXPR} > 0.1"}), MAPPED, FAIL,
        f"alert rules in {SOURCE} disagree with golive's thresholds: NBAMCPHighErrorRate fires at > 0.1 but "
        f"error_rate_critical is 0.05"),
    row("not-loaded", [], MAPPED, FAIL, "NBAMCPHighErrorRate is not loaded (rule groups nba-mcp-synthesis.rules)"),
    row("no-threshold-in-expression", derive(GROUPS, {ERROR_RULE: 'absent(up{job="nba-mcp-synthesis"})'}), MAPPED,
        FAIL, "cannot read a threshold from NBAMCPHighErrorRate's expression"),
    row("percent-written-as-percent", derive(GROUPS, {f"{RULES}[name=NBAMCPHighMemoryUsage].query":
                                                      '100 * memory_usage_bytes{job="nba-mcp-synthesis"} / '
                                                      "2.147483648e+09 > 90"}), MAPPED, PASS,
        "NBAMCPHighMemoryUsage > 90 = memory_percent 90"),
    row("bool-modifier", derive(GROUPS, {ERROR_RULE: f"{ERROR_EXPR} > bool 0.05"}), MAPPED, PASS,
        "NBAMCPHighErrorRate > 0.05 = error_rate_critical 0.05"),
])
def test_alert_thresholds(groups, wanted, expected, fragments):
    verdict(perf.alert_thresholds(groups, ["nba-mcp-synthesis.rules"], wanted, T.model_dump(), SOURCE),
            expected, fragments)


# --- escalation, paging_receiver ---------------------------------------------------------------

# The running configuration, parsed as fixtures/http.py::Alertmanager.config() does.
CONFIG = yaml.safe_load(load("monitoring", "alertmanager_status")["config"]["original"])
PAGING, CHAT = "pagerduty-critical", "slack-notifications"
AM_SOURCE = f"Alertmanager {AM}"


def config(changes=None, edit=None):
    return derive(CONFIG, changes, edit)


@pytest.mark.parametrize("cfg, expected, fragments", [
    row("pages-within-p1", config(), PASS,
        f"{AM_SOURCE} pages {PAGING} for severity=critical (repeat every 15m, within the 15 min P1 escalation) and "
        f"sends other alerts to {CHAT}"),
    row("no-route", config({"route": DROP}), FAIL, f"{AM_SOURCE} has no routing tree in its configuration"),
    row("no-paging-route", config({"route.routes": []}), FAIL,
        f"{AM_SOURCE} escalation: severity=critical alerts go to {CHAT}, not the paging receiver {PAGING}"),
    row("repeat-inherited-1h", config({"route.routes.0.repeat_interval": DROP}), FAIL,
        "critical pages repeat only every 1h, longer than the 15 min P1 escalation time"),
    row("alertmanager-default-4h", config({"route.routes.0.repeat_interval": DROP, "route.repeat_interval": DROP}),
        FAIL, "critical pages repeat only every 4h"),
    row("compound-repeat", config({"route.routes.0.repeat_interval": "10m30s"}), PASS, "repeat every 10m30s"),
    row("warnings-to-null", config({"route.receiver": "null"}), FAIL,
        f"severity=warning alerts go to null, not the chat receiver {CHAT}"),
])
def test_escalation(cfg, expected, fragments):
    verdict(perf.escalation(cfg, PAGING, CHAT, T.escalation_p1_minutes, AM_SOURCE), expected, fragments)


@pytest.mark.parametrize("cfg, expected, fragments", [
    row("exists", config(), PASS, f"paging receiver {PAGING} exists in {AM_SOURCE} (pagerduty_configs)"),
    row("missing", config({f"receivers[name={PAGING}]": DROP}), FAIL,
        f"paging receiver {PAGING} is missing in {AM_SOURCE}: nobody on call gets paged"),
    row("no-integration", config({f"receivers[name={PAGING}]": {"name": PAGING}}), FAIL,
        f"paging receiver {PAGING} has no integration"),
    row("empty-integration", config({f"receivers[name={PAGING}].pagerduty_configs": []}), FAIL, "has no integration"),
    row("empty-config", {}, FAIL, f"paging receiver {PAGING} is missing"),
])
def test_paging_receiver(cfg, expected, fragments):
    verdict(perf.paging_receiver(cfg, PAGING, AM_SOURCE), expected, fragments)


# --- notification_alerts, notification_routes --------------------------------------------------

RUN = "5d1c0e9a7f3b4e2a8c6d0f1b2a3c4d5e"
RECEIVERS = {"critical": PAGING, "warning": CHAT}
TEST_ALERTS = load("performance", "alertmanager_test_alerts")  # /api/v2/alerts after posting both


def test_notification_alerts():
    posted = perf.notification_alerts(RUN, RECEIVERS)
    resolved = perf.notification_alerts(RUN, RECEIVERS, ends_at="2026-12-01T09:58:00Z")
    assert [a["labels"] for a in posted] == [{"alertname": perf.TEST_ALERT, "severity": s, "golive_run": RUN}
                                             for s in RECEIVERS]
    assert "endsAt" not in posted[0] and {a["endsAt"] for a in resolved} == {"2026-12-01T09:58:00Z"}


@pytest.mark.parametrize("alerts, expected, fragments", [
    row("routed", TEST_ALERTS, PASS,
        f"{AM_SOURCE} routed the test alerts to {PAGING} (severity=critical), {CHAT} (severity=warning)"),
    row("critical-to-chat", derive(TEST_ALERTS, {"[labels.severity=critical].receivers": [{"name": CHAT}]}), FAIL,
        f"{AM_SOURCE}: severity=critical test alert went to {CHAT}, not {PAGING}"),
    row("also-to-chat", derive(TEST_ALERTS, {"[labels.severity=critical].receivers": [{"name": CHAT},
                                                                                       {"name": PAGING}]}), PASS,
        "routed the test alerts"),
    row("none", [], FAIL, "severity=critical test alert is not in Alertmanager; severity=warning test alert is not "
                          "in Alertmanager"),
    row("another-run", derive(TEST_ALERTS, {"0.labels.golive_run": "0" * 32, "1.labels.golive_run": "0" * 32}), FAIL,
        "severity=critical test alert is not in Alertmanager"),
])
def test_notification_routes(alerts, expected, fragments):
    verdict(perf.notification_routes(alerts, RUN, RECEIVERS, AM_SOURCE), expected, fragments)


# --- workflow_data, interface, data_accuracy (MCP) ---------------------------------------------

TOOL_RESULTS = load("performance", "mcp_tool_results")  # tools/call results: list_tables, list_games, query_database


def tool_result(payload, is_error: bool = False) -> dict:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return {"content": [{"type": "text", "text": text}], "isError": is_error}


def called(name: str, res: dict | None) -> tuple[str, Transcript]:
    """(tool name, the Transcript of its session) as the check passes them; res None: no tools/call made."""
    steps = [] if res is None else [Step("tools/call", 200, 11.7, {"jsonrpc": "2.0", "id": 4, "result": res},
                                         json.dumps(res)[:300], name)]
    return name, Transcript(MCP_URL, steps)


NO_GAMES = tool_result({"games": [], "count": 0})
COUNT = TOOL_RESULTS["query_database"]


@pytest.mark.parametrize("runs, expected, fragments", [
    row("each-returns-data", [called("list_tables", TOOL_RESULTS["list_tables"]),
                              called("list_games", TOOL_RESULTS["list_games"])], PASS,
        f"MCP workflow at {MCP_URL}: list_tables -> list_games, each returned data"),
    row("none-configured", [], FAIL, "expected an end-to-end workflow of MCP tool calls, found 0 configured"),
    row("no-games", [called("list_tables", TOOL_RESULTS["list_tables"]), called("list_games", NO_GAMES)], FAIL,
        f"MCP workflow at {MCP_URL}: list_games returned no data"),
    row("tool-error", [called("list_games", tool_result('Error: relation "games" does not exist', True))], FAIL,
        "list_games returned no data"),
    row("session-failed", [called("list_tables", None)], FAIL, "list_tables returned no data"),
    # the same tool twice: each step is judged, not only the last
    row("same-tool-twice-first-empty", [called("query_database", tool_result({"rows": [], "row_count": 0})),
                                        called("query_database", COUNT)], FAIL,
        "query_database (step 1) returned no data"),
    row("same-tool-twice", [called("query_database", COUNT), called("query_database", COUNT)], PASS,
        "query_database (step 1) -> query_database (step 2), each returned data"),
])
def test_workflow_data(runs, expected, fragments):
    verdict(perf.workflow_data(runs, MCP_URL), expected, fragments)


SESSION = load("application", "mcp_session")  # handshake era: the lists and a tools/call
STATELESS = load("application", "mcp_session_stateless")  # 2026-07-28
TOOLS_LISTED = "steps[method=tools/list].message.result.tools"
PROMPTS_LISTED = "steps[method=prompts/list].message.result.prompts"
RESOURCES_LISTED = "steps[method=resources/list].message.result.resources"
TOOLS = ["query_database", "list_tables", "get_table_schema", "list_games", "list_players", "list_s3_files"]
WELL_FORMED = ("6 tools, each with a name, a description and an inputSchema; 1 prompts and 1 resources well-formed "
               "(server capabilities: prompts, resources, tools)")


def transcript(changes=None, base=SESSION) -> Transcript:
    data = derive(base, changes)
    return Transcript(data["url"], [Step(**s) for s in data["steps"]], data["session"], data.get("era"),
                      data.get("protocol_version"), data.get("problem"), data.get("refused_lists") or {})


@pytest.mark.parametrize("session, expected, fragments", [
    row("well-formed", transcript(), PASS, f"MCP at {MCP_URL} (handshake 2025-11-25 (session)): {WELL_FORMED}"),
    row("well-formed-stateless", transcript(base=STATELESS), PASS,
        f"MCP at {MCP_URL} (stateless 2026-07-28): {WELL_FORMED}"),
    row("schema-missing", transcript({f"{TOOLS_LISTED}.0.inputSchema": DROP}), FAIL,
        f"MCP at {MCP_URL} is not well-formed: tool query_database has no inputSchema"),
    row("schema-not-an-object", transcript({f"{TOOLS_LISTED}.0.inputSchema": {"type": "string"}}), FAIL,
        "tool query_database has no inputSchema"),
    row("unnamed-undescribed", transcript({f"{TOOLS_LISTED}.0.name": "", f"{TOOLS_LISTED}.0.description": DROP}),
        FAIL, ("tool (unnamed) has no name, description", "tools missing: query_database")),
    row("tool-hidden", transcript({f"{TOOLS_LISTED}.5": DROP}), FAIL, "tools missing: list_s3_files"),
    row("prompt-argument-unnamed", transcript({f"{PROMPTS_LISTED}.0.arguments.0.name": ""}), FAIL,
        "prompt analyze_team_performance has an unnamed argument or no name"),
    row("prompt-unnamed", transcript({f"{PROMPTS_LISTED}.0.name": DROP}, base=STATELESS), FAIL,
        "prompt (unnamed) has an unnamed argument or no name"),
    row("resource-unnamed", transcript({f"{RESOURCES_LISTED}.0.name": DROP}), FAIL,
        "resource nba://database/tables has no name"),
    row("resource-without-uri", transcript({f"{RESOURCES_LISTED}.0.uri": DROP}), FAIL, "resource (no uri) has no uri"),
    row("prompts-offered-not-listed", transcript({"steps[method=prompts/list]": DROP}), FAIL,
        "prompts/list did not answer although the server offers prompts"),
    row("prompts-refused-by-the-client", transcript({"refused_lists": {"prompts": "ValidationError: arguments"}}),
        FAIL, "the MCP client refused prompts/list: ValidationError: arguments"),
    row("no-tools", transcript({TOOLS_LISTED: []}), FAIL, f"MCP at {MCP_URL} listed no tools (handshake 2025-11-25"),
    row("tools-list-refused", transcript({"steps[method=tools/list].message": {
        "jsonrpc": "2.0", "id": 3, "error": {"code": -32603, "message": "Handler returned an invalid result"}}}), FAIL,
        f"MCP at {MCP_URL} listed no tools (tools/list: JSON-RPC error -32603: Handler returned an invalid result)"),
    row("client-refused", transcript({TOOLS_LISTED: [], "problem": "ValidationError: tools"}), FAIL,
        "listed no tools (ValidationError: tools)"),
    row("empty-transcript", transcript({"steps": []}), FAIL, f"MCP at {MCP_URL} listed no tools"),
])
def test_interface(session, expected, fragments):
    verdict(perf.interface(session, TOOLS), expected, fragments)


SQL, TOOL, DB = "SELECT count(*) FROM games", "query_database", "127.0.0.1:18432/nba_simulator"
TRUTH = [tuple(r) for r in load("application", "postgres")["queries"][SQL]]  # psycopg rows are tuples


@pytest.mark.parametrize("direct, res, expected, fragments", [
    row("agree", TRUTH, COUNT, PASS, f"{DB} and the app's {TOOL} tool agree: {SQL!r} = 3"),
    row("database-no-rows", [], COUNT, FAIL, f"no data for {SQL!r} in {DB}"),
    row("database-null", [(None,)], COUNT, FAIL, f"no data for {SQL!r} in {DB}"),
    row("no-tool-answer", TRUTH, None, FAIL, f"the app's {TOOL} tool did not answer {SQL!r}"),
    row("tool-error", TRUTH, tool_result("Error: canceling statement due to statement timeout", True), FAIL,
        f"the app's {TOOL} tool did not answer {SQL!r}: Error: canceling statement due to statement timeout"),
    row("tool-no-rows", TRUTH, tool_result({"columns": ["count"], "rows": [], "row_count": 0, "truncated": False}),
        FAIL, "did not answer"),
    row("rows-not-objects", TRUTH, tool_result({"rows": [[3]]}), FAIL, "did not answer"),
    row("not-json", TRUTH, tool_result("ok"), FAIL, f"did not answer {SQL!r}: ok"),
    row("stale-read", TRUTH, tool_result({"columns": ["count"], "rows": [{"count": 2}], "row_count": 1,
                                          "truncated": False}), FAIL,
        f"data mismatch: {DB} says 3 for {SQL!r} but the app's {TOOL} tool reports 2"),
])
def test_data_accuracy(direct, res, expected, fragments):
    verdict(perf.data_accuracy(direct, res, SQL, TOOL, DB), expected, fragments)
