"""T+1h / T+24h probes: windows of metrics, alert tuning and user acceptance, in; one Finding out. No I/O here.

Windowed probes get a Prometheus range result (for the chart and the data coverage) and, where a
single number over the whole window decides, an instant result computed over that window. Each
puts its series in `details["chart"]` so the report can draw what was judged.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone


from golive.attest import parse_time
from golive.check import Finding, failed, passed
from golive.probes import kube, monitoring

# The application's instrumentation (its metrics contract, target-system.md).
LATENCY_BUCKETS = "http_request_duration_seconds_bucket"
REQUESTS = "http_requests_total"
CPU = "cpu_usage_percent"
MEMORY = "memory_usage_bytes"
# kube-state-metrics' series for an HPA: the scaling evidence, which must be in Prometheus (absent where
# kube-state-metrics is not scraped, or does not export horizontalpodautoscalers).
HPA_REPLICAS = "kube_horizontalpodautoscaler_status_current_replicas"
HPA_STATE = {"current": HPA_REPLICAS, "desired": "kube_horizontalpodautoscaler_status_desired_replicas",
             "max": "kube_horizontalpodautoscaler_spec_max_replicas",
             "min": "kube_horizontalpodautoscaler_spec_min_replicas"}
HPA_REQUIRED = ("current", "desired", "max")  # minReplicas unset: kube-state-metrics exports no min (it is 1)

POINTS = 60  # samples per window: enough to draw and judge, cheap on a 24 h window


# --- Windows and their queries ---------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    seconds: float
    step: int  # seconds between samples
    rate: int  # seconds each sample's rate() looks back (at least 10 scrapes: one slow request is no spike)
    min_coverage_percent: float

    @property
    def minutes(self) -> float:
        return self.seconds / 60

    @property
    def step_param(self) -> str:
        return f"{self.step}s"

    @property
    def label(self) -> str:
        return f"the last {_span(self.seconds)}"

    @property
    def needed(self) -> int:
        """Samples a window needs before it is judged (a brand-new target has only a few)."""
        return max(1, math.ceil((self.seconds // self.step + 1) * self.min_coverage_percent / 100))


def window(minutes: float, scrape_seconds: float, min_coverage_percent: float) -> Window:
    seconds = minutes * 60
    step = max(1, round(seconds / POINTS))
    return Window(seconds, step, max(step, math.ceil(10 * scrape_seconds)), min_coverage_percent)


def monitoring_window(cfg) -> Window:
    """T+1h: the last `thresholds.performance_window_minutes`."""
    return window(cfg.thresholds.performance_window_minutes, cfg.prometheus.scrape_interval_seconds,
                  cfg.thresholds.window_min_coverage_percent)


def review_window(cfg) -> Window:
    """T+24h: the last `thresholds.review_window_hours`."""
    return window(cfg.thresholds.review_window_hours * 60, cfg.prometheus.scrape_interval_seconds,
                  cfg.thresholds.window_min_coverage_percent)


def p95_latency(job: str, seconds: float) -> str:
    return f'histogram_quantile(0.95, sum by (le) (rate({LATENCY_BUCKETS}{{job="{job}"}}[{int(seconds)}s])))'


def error_ratio(job: str, seconds: float) -> str:
    return (f'sum(rate({REQUESTS}{{job="{job}", status=~"5.."}}[{int(seconds)}s])) / '
            f'sum(rate({REQUESTS}{{job="{job}"}}[{int(seconds)}s]))')


def busiest(metric: str, job: str) -> str:
    """The metric of the busiest pod of the job."""
    return f'max({metric}{{job="{job}"}})'


def hpa_replicas(namespace: str, hpa: str) -> str:
    return f'{HPA_REPLICAS}{{namespace="{namespace}", horizontalpodautoscaler="{hpa}"}}'


def hpa_state(namespace: str, hpa: str) -> str:
    """The HPA's replica counts and limits now, one query for all four kube-state-metrics series."""
    names = "|".join(HPA_STATE.values())
    return f'{{__name__=~"{names}", namespace="{namespace}", horizontalpodautoscaler="{hpa}"}}'


def firing_alerts(step: int) -> str:
    # max_over_time over one step: an alert firing between two samples still shows.
    return f'max_over_time(ALERTS{{alertstate="firing"}}[{step}s])'


# --- Helpers ---------------------------------------------------------------------------------

def _span(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _fmt(value: float, unit: str) -> str:
    """A value in "ms" or "%" as people read it: 2425 ms, 12.3%, 0.012%."""
    if unit == "ms":
        return f"{value:.0f} ms"
    return f"{round(value, 1):g}%" if value >= 1 else f"{value:.2g}%"


def _at(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%H:%M:%S UTC")


def _points(result: list[dict]) -> list[tuple[float, float]]:
    """(unix time, value) of a one-series range result; NaN (no requests in a step) is no data."""
    if not result:
        return []
    return [(float(t), float(v)) for t, v in result[0].get("values", []) if math.isfinite(float(v))]


def _value(result: list[dict]) -> float | None:
    if not result:
        return None
    value = float(result[0]["value"][1])
    return value if math.isfinite(value) else None


def _chart(title: str, unit: str, threshold: float, series: dict[str, list[tuple[float, float]]]) -> dict:
    # Whole series: the run model thins every chart by one rule that keeps spikes (golive.results.thin).
    return {"chart": {"title": title, "unit": unit, "threshold": threshold,
                      "series": {label: [[int(t), round(v, 4)] for t, v in points] for label, points in series.items()}}}


def _scaled(points, factor: float) -> list[tuple[float, float]]:
    return [(t, v * factor) for t, v in points]


def _too_little(points, w: Window, what: str, query: str, resource: str) -> Finding | None:
    """A failed Finding when the window holds too few samples to judge, else None."""
    if len(points) >= w.needed:
        return None
    return failed(f"not enough data for {what} of {resource}: {len(points)} samples over {w.label}, need at least "
                  f"{w.needed}", resource=resource, observed=len(points), expected=f">= {w.needed} samples",
                  query=query, hint="Check that Prometheus scrapes the app (target up) and the app serves traffic; "
                                    "a brand-new deployment needs a few minutes of data.")


def window_filled(series: list[dict], w: Window, query: str) -> Finding:
    """The window holds enough samples to be judged (what a brand-new target lacks for a few seconds)."""
    points = _points(series)
    short = _too_little(points, w, "the window", query, query)
    if short and not series:  # no series at all: nothing is filling this window, waiting cannot change it
        short.final = True
    return short or passed(
        f"{len(points)} samples over {w.label} (need {w.needed})", resource=query, observed=len(points),
        expected=f">= {w.needed} samples", query=query)


def _peak(points) -> tuple[float, float]:
    return max(points, key=lambda p: p[1])


# --- Performance monitoring ------------------------------------------------------------------

def response_times(overall: list[dict], series: list[dict], w: Window, warn_ms: float, job: str,
                   query: str) -> Finding:
    """p95 latency over the window (all its requests) under the warning threshold; the series is the chart."""
    points = _scaled(_points(series), 1000)
    short = _too_little(points, w, "p95 latency", query, job)
    if short:
        return short
    p95 = _value(overall)
    if p95 is None:
        return failed(f"no data for {query}", resource=job, observed=None, expected=f"<= {warn_ms:g} ms", query=query)
    p95_ms = p95 * 1000
    peak_t, peak = _peak(points)
    observed = {"p95_ms": round(p95_ms, 1), "peak_ms": round(peak, 1), "peak_at": _at(peak_t), "samples": len(points)}
    chart = _chart(f"p95 latency of {job}", "ms", warn_ms, {"p95": points})
    if p95_ms > warn_ms:
        return failed(f"p95 latency of {job} over {w.label} is {p95_ms:.0f} ms, above the {warn_ms:g} ms warning "
                      f"threshold (peak {peak:.0f} ms at {_at(peak_t)})", resource=job, observed=observed,
                      expected=f"<= {warn_ms:g} ms", query=query, details=chart,
                      hint="Find the slow endpoint (Grafana overview, p95 by endpoint) and check database and S3 "
                           "latency; roll back if it persists.")
    return passed(f"p95 latency of {job} over {w.label} is {p95_ms:.0f} ms, within the {warn_ms:g} ms warning "
                  f"threshold (peak {peak:.0f} ms, {len(points)} samples)", resource=job, observed=observed,
                  expected=f"<= {warn_ms:g} ms", query=query, details=chart)


def error_rates(overall: list[dict], series: list[dict], w: Window, target: float, critical: float, job: str,
                query: str) -> Finding:
    """Share of requests answered 5xx over the window, under the target (critical line named too)."""
    points = _scaled(_points(series), 100)
    short = _too_little(points, w, "the error ratio", query, job)
    if short:
        return short
    ratio = _value(overall)
    if ratio is None:
        return failed(f"no data for {query} (no requests counted)", resource=job, observed=None,
                      expected=f"<= {target:.1%}", query=query)
    peak_t, peak = _peak(points)
    observed = {"error_ratio": round(ratio, 5), "peak_percent": round(peak, 2), "peak_at": _at(peak_t),
                "samples": len(points)}
    expected = {"target": target, "critical": critical}
    chart = _chart(f"5xx error ratio of {job}", "%", target * 100, {"errors": points})
    if ratio > target:
        line = (f"above the {critical:.0%} critical line" if ratio > critical
                else f"above the {target:.0%} target (critical at {critical:.0%})")
        return failed(f"{ratio:.1%} of requests to {job} failed with 5xx over {w.label}, {line}; peak "
                      f"{peak:.1f}% at {_at(peak_t)}", resource=job, observed=observed, expected=expected,
                      query=query, details=chart,
                      hint="Read the app's error logs for the failing endpoint; roll back if the rate stays "
                           "above the critical line.")
    return passed(f"{ratio:.2%} of requests to {job} failed with 5xx over {w.label}, within the {target:.0%} target "
                  f"(peak {peak:.1f}%)", resource=job, observed=observed, expected=expected, query=query,
                  details=chart)


def _container(deployment: dict | None, name: str) -> dict | None:
    containers = (((deployment or {}).get("spec") or {}).get("template") or {}).get("spec", {}).get("containers", [])
    return next((c for c in containers if c.get("name") == name), None)


def _requests_and_limit(deployment: dict | None, name: str, resource: str) -> tuple[float | None, float] | Finding:
    """The container's request and limit for `resource`, or the Finding that says why it cannot be judged."""
    container = _container(deployment, name)
    if container is None:
        return failed(f"container {name} not found in the deployment", resource=name, observed=None,
                      expected="the deployment's container")
    from kubernetes.utils import parse_quantity  # the client loads here, not when the checks are collected

    res = container.get("resources") or {}
    request, limit = ((res.get(k) or {}).get(resource) for k in ("requests", "limits"))
    request = float(parse_quantity(request)) if request else None
    if not limit:
        return failed(f"container {name} has no {resource} limit to judge utilization against", resource=name,
                      observed={"request": request, "limit": None}, expected=f"a {resource} limit",
                      hint=f"Set resources.limits.{resource} on the deployment.")
    return request, float(parse_quantity(limit))


def cpu_utilization(series: list[dict], deployment: dict | None, container: str, w: Window, warn: float,
                    critical: float, job: str, query: str) -> Finding:
    """Mean CPU of the busiest pod over the window, as a share of its container's CPU limit."""
    sized = _requests_and_limit(deployment, container, "cpu")
    if isinstance(sized, Finding):
        return sized
    request, limit = sized
    # cpu_usage_percent is a share of one core; the limit is in cores.
    points = [(t, v / limit) for t, v in _points(series)]
    short = _too_little(points, w, "CPU usage", query, job)
    if short:
        return short
    mean = sum(v for _, v in points) / len(points)
    peak_t, peak = _peak(points)
    observed = {"mean_percent_of_limit": round(mean, 1), "peak_percent_of_limit": round(peak, 1),
                "mean_percent_of_request": round(mean * limit / request, 1) if request else None,
                "limit_cores": limit, "request_cores": request}
    expected = {"warn_percent": warn, "critical_percent": critical}
    chart = _chart(f"CPU of the busiest {container} pod, % of its limit", "%", warn, {"cpu": points})
    about = (f"CPU of the busiest {container} pod averaged {mean:.0f}% of its {limit:g}-core limit over {w.label} "
             f"(peak {peak:.0f}% at {_at(peak_t)})")
    if mean > warn:
        level, line = ("critical", critical) if mean > critical else ("warning", warn)
        return failed(f"{about}: above the {level} threshold of {line:g}%",
                      resource=container, observed=observed, expected=expected, query=query, details=chart,
                      hint="Check whether the HPA is adding pods; profile the hot endpoint or raise the limit.")
    return passed(f"{about}, under the {warn:g}% warning threshold", resource=container, observed=observed,
                  expected=expected, query=query, details=chart)


def memory_utilization(series: list[dict], deployment: dict | None, container: str, w: Window, limit_percent: float,
                       job: str, query: str) -> Finding:
    """Peak memory of the busiest pod over the window, as a share of its container's memory limit."""
    sized = _requests_and_limit(deployment, container, "memory")
    if isinstance(sized, Finding):
        return sized
    request, limit = sized
    points = [(t, 100 * v / limit) for t, v in _points(series)]
    short = _too_little(points, w, "memory usage", query, job)
    if short:
        return short
    peak_t, peak = _peak(points)
    observed = {"peak_percent_of_limit": round(peak, 1), "peak_at": _at(peak_t),
                "peak_percent_of_request": round(peak * limit / request, 1) if request else None,
                "limit_bytes": limit, "request_bytes": request}
    chart = _chart(f"memory of the busiest {container} pod, % of its limit", "%", limit_percent, {"memory": points})
    about = (f"memory of the busiest {container} pod peaked at {peak:.0f}% of its {limit / 2**30:g}Gi limit over "
             f"{w.label} (at {_at(peak_t)})")
    if peak > limit_percent:
        return failed(f"{about}: above {limit_percent:g}%, close to being OOM-killed", resource=container,
                      observed=observed, expected=f"<= {limit_percent:g}% of the limit", query=query, details=chart,
                      hint="Look for a leak (memory rising without falling back) and raise the limit or roll back.")
    return passed(f"{about}, under {limit_percent:g}%", resource=container, observed=observed,
                  expected=f"<= {limit_percent:g}% of the limit", query=query, details=chart)


_condition = kube.condition  # {} when absent


def _replica_problems(low: float, high: float, current: float, desired: float, limited: dict) -> list[str]:
    """What is wrong with one source's replica counts against the HPA's limits."""
    problems = []
    if not low <= current <= high:
        problems.append(f"{current:g} current replicas outside {low:g}..{high:g}")
    if not low <= desired <= high:
        problems.append(f"{desired:g} desired replicas outside {low:g}..{high:g}")
    if current >= high:
        why = f" (ScalingLimited: {limited.get('reason')})" if limited.get("status") == "True" else ""
        problems.append(f"pinned at its maximum of {high:g} replicas{why}: no headroom for more load")
    return problems


def autoscaling(hpa: dict | None, state: list[dict], series: list[dict], name: str, w: Window, query: str,
                state_query: str) -> Finding:
    """The HPA scales within min..max and is not pinned at its maximum, judged from kube-state-metrics' series in
    Prometheus (required: the replicas over the window, and the counts and limits now), and from the HPA's own
    status, which the controller may have updated since the last scrape."""
    if hpa is None:
        return failed(f"HPA {name} does not exist", resource=name, observed=None, expected="an HPA")
    seen = {(r.get("metric") or {}).get("__name__"): float(r["value"][1])
            for r in state if isinstance(r, dict) and "value" in r}  # a scalar or a range answer holds no count
    scraped = {key: seen[metric] for key, metric in HPA_STATE.items() if metric in seen}
    points = _points(series)
    missing = [HPA_STATE[key] for key in HPA_REQUIRED if key not in scraped] + \
        ([] if points else [f"{HPA_REPLICAS} over {w.label}"])
    if missing:
        return failed(f"HPA {name}: no kube-state-metrics series in Prometheus for " + ", ".join(missing) +
                      ": its scaling cannot be verified", resource=name, observed={"missing": missing},
                      expected="kube-state-metrics series for the HPA", query=f"{state_query}; {query}",
                      hint="Check that Prometheus scrapes kube-state-metrics (its target up) and that kube-state-metrics "
                           "exports horizontalpodautoscalers (--resources) in this namespace.")
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    low, high = scraped.get("min", 1), scraped["max"]
    limited, able = _condition(hpa, "ScalingLimited"), _condition(hpa, "AbleToScale")
    observed = {"min": low, "max": high, "current": scraped["current"], "desired": scraped["desired"],
                "status": {"current": status.get("currentReplicas"), "desired": status.get("desiredReplicas")},
                "ScalingLimited": f"{limited.get('status')} ({limited.get('reason')})" if limited else None,
                "AbleToScale": f"{able.get('status')} ({able.get('reason')})" if able else None}
    at_max = sum(1 for _, v in points if v >= high)
    observed["at_max_samples"] = f"{at_max} of {len(points)}"
    details = _chart(f"replicas of HPA {name}, % of its maximum", "%", 100,
                     {"replicas": [(t, 100 * v / high) for t, v in points]} if high else {})
    problems = _replica_problems(low, high, scraped["current"], scraped["desired"], limited)
    if status.get("currentReplicas") is None or status.get("desiredReplicas") is None:
        problems.append("no current/desired replica count in its status")
    else:  # the HPA's own status, as additional evidence: newer than the last scrape when it has just changed
        problems += [p for p in _replica_problems(spec.get("minReplicas", 1), spec.get("maxReplicas", high),
                                                  status["currentReplicas"], status["desiredReplicas"], limited)
                     if p not in problems]
    if at_max == len(points) and not any("pinned" in p for p in problems):
        problems.append(f"at its maximum of {high:g} replicas for all of {w.label}")
    if able.get("status") == "False":
        problems.append(f"AbleToScale is False ({able.get('reason')})")
    expected = f"{low:g} <= replicas < {high:g}, able to scale"
    basis = f"judged over {w.label} of kube-state-metrics series and from its status"
    if problems:
        return failed(f"HPA {name} " + "; ".join(problems) + f" ({basis})", resource=name, observed=observed,
                      expected=expected, query=query, details=details,
                      hint="Raise maxReplicas (and node capacity) or find why load is so high; check the HPA's events.")
    return passed(f"HPA {name} runs {scraped['current']:g} replicas (desired {scraped['desired']:g}, range "
                  f"{low:g}..{high:g}), not pinned at its maximum, {basis}", resource=name, observed=observed,
                  expected=expected, query=query, details=details)


# --- Post-launch review ----------------------------------------------------------------------

def _compliance(points, limit: float, w: Window, what: str, unit: str, required: float, job: str,
                query: str) -> Finding:
    short = _too_little(points, w, what, query, job)
    if short:
        return short
    good = sum(1 for _, v in points if v <= limit)
    share = 100 * good / len(points)
    worst_t, worst = _peak(points)
    observed = {"compliant_percent": round(share, 2), "samples": len(points), "worst": round(worst, 2),
                "worst_at": _at(worst_t)}
    expected = f">= {required:g}% of samples at or under {_fmt(limit, unit)}"
    chart = _chart(f"{what} of {job}", unit, limit, {what: points})
    about = (f"{what} of {job} met its {_fmt(limit, unit)} SLO for {share:.1f}% of {w.label} ({good} of "
             f"{len(points)} samples; required {required:g}%)")
    if share < required:
        return failed(f"{about}; worst {_fmt(worst, unit)} at {_at(worst_t)}", resource=job, observed=observed,
                      expected=expected, query=query, details=chart,
                      hint="Match the bad periods with deploys, incidents and traffic peaks in Grafana; "
                           "file the follow-ups from the post-launch review.")
    return passed(about, resource=job, observed=observed, expected=expected, query=query, details=chart)


def latency_slo(series: list[dict], w: Window, slo_ms: float, required: float, job: str, query: str) -> Finding:
    """Share of the review window with p95 latency within the SLO."""
    return _compliance(_scaled(_points(series), 1000), slo_ms, w, "p95 latency", "ms", required, job, query)


def error_slo(series: list[dict], w: Window, target: float, required: float, job: str, query: str) -> Finding:
    """Share of the review window with the 5xx ratio within the target."""
    return _compliance(_scaled(_points(series), 100), target * 100, w, "error ratio", "%", required, job, query)


def _trend(points, floor: float, loss_percent: float, w: Window, what: str, unit: str, job: str,
           query: str) -> Finding:
    short = _too_little(points, w, what, query, job)
    if short:
        return short
    # Thirds of the span that has data: a young target is compared over what it has.
    start, end = points[0][0], points[-1][0]
    third = (end - start) / 3
    first = [v for t, v in points if t <= start + third]
    last = [v for t, v in points if t >= end - third]
    before, after = sum(first) / len(first), sum(last) / len(last)
    rise = (after - before) / before * 100 if before > 0 else (math.inf if after > 0 else 0.0)
    observed = {"first_third": round(before, 3), "last_third": round(after, 3),
                "rise_percent": round(rise, 1) if math.isfinite(rise) else "from zero"}
    expected = f"no rise above {loss_percent:g}% that ends above {_fmt(floor, unit)}"
    chart = _chart(f"{what} of {job}", unit, floor, {what: points})
    change = f"{rise:+.0f}%" if math.isfinite(rise) else "up from zero"
    about = (f"{what} of {job} went from {_fmt(before, unit)} (first third of {w.label}) to {_fmt(after, unit)} "
             f"(last third), {change}")
    if rise > loss_percent and after > floor:
        return failed(f"{about}: a performance loss above {loss_percent:g}%, now over the {_fmt(floor, unit)} line",
                      resource=job, observed=observed, expected=expected, query=query, details=chart,
                      hint="Degradation that persists past the rollback window means rollback; otherwise find "
                           "what changed when the trend began.")
    note = "" if rise <= loss_percent else f", still under the {_fmt(floor, unit)} line"
    return passed(about + note, resource=job, observed=observed, expected=expected, query=query, details=chart)


def latency_trend(series: list[dict], w: Window, slo_ms: float, loss_percent: float, job: str, query: str) -> Finding:
    """p95 latency in the last third of the window against the first third."""
    return _trend(_scaled(_points(series), 1000), slo_ms, loss_percent, w, "p95 latency", "ms", job, query)


def error_trend(series: list[dict], w: Window, target: float, loss_percent: float, job: str, query: str) -> Finding:
    """5xx ratio in the last third of the window against the first third."""
    return _trend(_scaled(_points(series), 100), target * 100, loss_percent, w, "error ratio", "%", job, query)


def _firings(series: list[dict], step: int) -> list[dict]:
    """Each alert's firing periods from a range result of firing_alerts()."""
    out = []
    for s in series:
        labels = s.get("metric") or {}
        times = [float(t) for t, v in s.get("values", []) if float(v) > 0]
        spans, begin = [], None
        for i, t in enumerate(times):
            begin = t if begin is None else begin
            if i == len(times) - 1 or times[i + 1] - t > 1.5 * step:
                spans.append((begin, t))
                begin = None
        for begin, end in spans:
            out.append({"alertname": labels.get("alertname", "?"), "severity": labels.get("severity", ""),
                        "from": begin, "to": end})
    return sorted(out, key=lambda f: f["from"])


def _period(firing: dict) -> str:
    start, end = _at(firing["from"]), _at(firing["to"])
    return f"at {start}" if start == end else f"from {start[:-4]} to {end}"


def critical_fired(series: list[dict]) -> bool:
    """Whether a critical alert fired at all in a range result of firing_alerts()."""
    return any((s.get("metric") or {}).get("severity") == "critical" for s in series)


def incidents_reviewed(series: list[dict], review, w: Window, source: str, query: str) -> Finding:
    """Alerts that fired in the window, with when; every critical one reviewed (attested) after it ended."""
    fired = _firings(series, w.step)
    listed = [f"{f['alertname']} ({f['severity'] or 'no severity'}) {_period(f)}" for f in fired]
    critical = [f for f in fired if f["severity"] == "critical"]
    observed = {"fired": listed, "reviewed_at": review.at if review else None,
                "reviewed_by": review.by if review else None}
    if not critical:
        what = f"{len(fired)} alert(s) fired, none critical: {'; '.join(listed)}" if fired else "no alert fired"
        return passed(f"{source} over {w.label}: {what}", resource=source, observed=observed,
                      expected="no critical alert, or each reviewed", query=query)
    reviewed_at = parse_time(review.at).timestamp() if review else -math.inf
    open_ = [f for f in critical if f["to"] >= reviewed_at]
    names = "; ".join(f"{f['alertname']} {_period(f)}" for f in open_)
    if open_:
        when = f"after the incident review was attested at {_at(reviewed_at)}" if review else "with no incident review"
        return failed(f"{len(open_)} critical alert firings in {source} over {w.label} {when}: {names}",
                      resource=source, observed=observed, expected="each critical alert reviewed after it ended",
                      query=query, hint="Hold the incident review (root cause, impact, follow-ups), then have the "
                                        "Deployment Lead attest this item again (golive attest).")
    return passed(f"{len(critical)} critical alert firings in {source} over {w.label}, all reviewed by "
                  f"{review.by} at {review.at}: {'; '.join(listed)}", resource=source, observed=observed,
                  expected="each critical alert reviewed after it ended", query=query)


# --- Alert tuning ----------------------------------------------------------------------------

_COMPARISON = re.compile(r"(>=|<=|==|!=|>|<)\s*(?:bool\s+)?([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


def alert_thresholds(groups: list[dict], rule_groups: list[str], wanted: dict[str, str],
                     thresholds: dict[str, float], source: str) -> Finding:
    """Each mapped alert rule compares against golive's configured threshold (a percent may read as a ratio)."""
    if not wanted:
        return failed("expected alert rules to compare with golive's thresholds, found 0 configured",
                      resource=source, observed={}, expected="prometheus.alert_thresholds in golive.toml")
    rules = {r.get("name"): r for g in groups if g.get("name") in rule_groups for r in g.get("rules", [])
             if r.get("type") == "alerting"}
    agree, problems, observed = [], [], {}
    for alert, field in wanted.items():
        want = thresholds[field]
        rule = rules.get(alert)
        if rule is None:
            problems.append(f"{alert} is not loaded (rule groups {', '.join(rule_groups)})")
            continue
        match = _COMPARISON.search(rule.get("query", "").strip())
        if not match:
            problems.append(f"cannot read a threshold from {alert}'s expression")
            continue
        op, constant = match.group(1), float(match.group(2))
        observed[alert] = {"rule": f"{op} {constant:g}", field: want}
        ratio = field.endswith("_percent") and math.isclose(constant, want / 100)
        if math.isclose(constant, want) or ratio:
            agree.append(f"{alert} {op} {constant:g} = {field} {want:g}")
        else:
            problems.append(f"{alert} fires at {op} {constant:g} but {field} is {want:g}")
    if problems:
        return failed(f"alert rules in {source} disagree with golive's thresholds: " + "; ".join(problems),
                      resource=source, observed=observed, expected=dict(wanted),
                      hint="Make the rule and golive.toml say the same limit (the rule pages; golive judges).")
    return passed(f"{len(agree)} alert rules in {source} agree with golive's thresholds: " + "; ".join(agree),
                  resource=source, observed=observed, expected=dict(wanted))


def _duration(text: str) -> float:
    return kube.duration_seconds(text) or 0


def escalation(config: dict, paging: str, chat: str, p1_minutes: float, source: str) -> Finding:
    """Critical alerts go to the paging receiver, repeated within the P1 escalation time; others go to chat."""
    root = config.get("route")
    if not root:
        return failed(f"{source} has no routing tree in its configuration", resource=source, observed=None,
                      expected="a route")
    critical = monitoring.routes(root, monitoring.PAGING_LABELS)
    other = monitoring.routes(root, monitoring.CHAT_LABELS)
    observed = {"critical": critical, "warning": other}
    problems = []
    paged = [r for r in critical if r.get("receiver") == paging]
    if not paged:
        problems.append(f"severity=critical alerts go to {', '.join(str(r.get('receiver')) for r in critical)}, "
                        f"not the paging receiver {paging}")
    for r in paged:
        if _duration(r["repeat_interval"]) > p1_minutes * 60:
            problems.append(f"critical pages repeat only every {r['repeat_interval']}, longer than the "
                            f"{p1_minutes:g} min P1 escalation time")
    if not any(r.get("receiver") == chat for r in other):
        problems.append(f"severity=warning alerts go to {', '.join(str(r.get('receiver')) for r in other)}, "
                        f"not the chat receiver {chat}")
    expected = {"critical": f"{paging}, repeat <= {p1_minutes:g} min", "other": chat}
    if problems:
        return failed(f"{source} escalation: " + "; ".join(problems), resource=source, observed=observed,
                      expected=expected, hint="Fix the route tree in Alertmanager's configuration and reload it.")
    return passed(f"{source} pages {paging} for severity=critical (repeat every {paged[0]['repeat_interval']}, within "
                  f"the {p1_minutes:g} min P1 escalation) and sends other alerts to {chat}", resource=source,
                  observed=observed, expected=expected)


def paging_receiver(config: dict, paging: str, source: str) -> Finding:
    """The paging receiver exists in Alertmanager's configuration with at least one integration."""
    receivers = {r.get("name"): r for r in config.get("receivers") or []}
    integrations = [k for k, v in (receivers.get(paging) or {}).items() if k.endswith("_configs") and v]
    observed = {"receivers": sorted(filter(None, receivers)), paging: integrations}
    if not integrations:
        what = "has no integration" if paging in receivers else "is missing"
        return failed(f"paging receiver {paging} {what} in {source}: nobody on call gets paged", resource=source,
                      observed=observed, expected=f"receiver {paging} with an integration",
                      hint="Restore the receiver (PagerDuty integration) in Alertmanager's configuration.")
    return passed(f"paging receiver {paging} exists in {source} ({', '.join(integrations)})", resource=source,
                  observed=observed, expected=f"receiver {paging} with an integration")


TEST_ALERT = "GoliveTestNotification"


def notification_alerts(run_id: str, receivers: dict[str, str], ends_at: str | None = None) -> list[dict]:
    """One test alert per severity (`receivers`: severity -> the receiver it must reach); ends_at resolves them."""
    return [{"labels": {"alertname": TEST_ALERT, "severity": severity, "golive_run": run_id},
             "annotations": {"summary": f"golive test notification for {receiver}: no action needed"},
             **({"endsAt": ends_at} if ends_at else {})}
            for severity, receiver in receivers.items()]


def notification_routes(alerts: list[dict], run_id: str, receivers: dict[str, str], source: str) -> Finding:
    """Alertmanager holds each test alert and routes it to the receiver its severity must reach."""
    mine = {a["labels"].get("severity"): sorted(r.get("name") for r in a.get("receivers", []))
            for a in alerts if (a.get("labels") or {}).get("golive_run") == run_id}
    problems = [f"severity={severity} test alert " + (f"went to {', '.join(mine[severity])}, not {receiver}"
                                                      if severity in mine else "is not in Alertmanager")
                for severity, receiver in receivers.items() if receiver not in mine.get(severity, [])]
    if problems:
        return failed(f"{source}: " + "; ".join(problems), resource=source, observed=mine, expected=receivers,
                      hint="Check Alertmanager's route tree and receivers; then ask the receivers' owners whether "
                           "the test notification arrived.")
    routed = ", ".join(f"{r} (severity={s})" for s, r in receivers.items())
    return passed(f"{source} routed the test alerts to {routed}",
                  resource=source, observed=mine, expected=receivers)


# --- User acceptance -------------------------------------------------------------------------

def _tool_payload(result: dict | None):
    """The JSON a tool returned in its text content, or its error text."""
    result = result or {}
    text = "".join(c.get("text", "") for c in result.get("content") or [] if c.get("type") == "text")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _has_rows(payload) -> bool:
    if isinstance(payload, dict):
        return any(_has_rows(v) for v in payload.values())
    return isinstance(payload, list) and len(payload) > 0


def workflow_data(runs: list[tuple[str, object]], url: str) -> Finding:
    """Each tool call of the user workflow returned data (rows), not an empty answer."""
    if not runs:
        return failed("expected an end-to-end workflow of MCP tool calls, found 0 configured", resource=url,
                      observed=[], expected="app.mcp_workflow in golive.toml")
    # A workflow may call the same tool twice (two queries): each step keeps its own answer.
    names = [name for name, _ in runs]
    answers = {name if names.count(name) == 1 else f"{name} (step {i})": _tool_payload(transcript.result("tools/call"))
               for i, (name, transcript) in enumerate(runs, 1)}
    empty = [name for name, payload in answers.items() if not _has_rows(payload)]
    observed = {name: str(payload)[:200] for name, payload in answers.items()}
    if empty:
        return failed(f"MCP workflow at {url}: {', '.join(empty)} returned no data", resource=url, observed=observed,
                      expected="every step returns rows",
                      hint="Call the tool by hand (MCP inspector) and check the tables it reads are populated.")
    return passed(f"MCP workflow at {url}: {' -> '.join(answers)}, each returned data", resource=url,
                  observed=observed, expected="every step returns rows")


def interface(transcript, expected_tools: list[str]) -> Finding:
    """What MCP users see is well-formed: each tool has a name, a description and an object inputSchema; each
    prompt a name and named arguments; each resource a uri and a name; every list the server offers answers."""
    where = f"MCP at {transcript.url}"
    capabilities = sorted(transcript.opening.get("capabilities") or {})
    tools, prompts, resources = (transcript.listed(kind) for kind in ("tools", "prompts", "resources"))
    problems = []
    for tool in tools:
        missing = [k for k in ("name", "description") if not tool.get(k)]
        if not isinstance(tool.get("inputSchema"), dict) or tool["inputSchema"].get("type") != "object":
            missing.append("inputSchema")
        if missing:
            problems.append(f"tool {tool.get('name') or '(unnamed)'} has no {', '.join(missing)}")
    for prompt in prompts:
        if not prompt.get("name") or any(not a.get("name") for a in prompt.get("arguments") or []):
            problems.append(f"prompt {prompt.get('name') or '(unnamed)'} has an unnamed argument or no name")
    for resource in resources:
        missing = [k for k in ("uri", "name") if not resource.get(k)]
        if missing:
            problems.append(f"resource {resource.get('uri') or '(no uri)'} has no {', '.join(missing)}")
    for kind in ("prompts", "resources"):
        if kind in transcript.refused_lists:
            problems.append(f"the MCP client refused {kind}/list: {transcript.refused_lists[kind]}")
        elif kind in capabilities and not any(s.method == f"{kind}/list" and s.ok for s in transcript.steps):
            problems.append(f"{kind}/list did not answer although the server offers {kind}")
    absent = sorted(set(expected_tools) - {t.get("name") for t in tools})
    if absent:
        problems.append(f"tools missing: {', '.join(absent)}")
    observed = {"era": transcript.era, "protocol_version": transcript.protocol_version,
                "tools": [t.get("name") for t in tools], "prompts": [p.get("name") for p in prompts],
                "resources": [r.get("uri") for r in resources], "capabilities": capabilities, "problems": problems}
    expected = "every tool with a name, a description and an object inputSchema; prompts and resources well-formed"
    if not tools:
        refused = next((f"{s.label}: JSON-RPC error {s.message['error'].get('code')}: {s.message['error'].get('message')}"
                        for s in transcript.steps if not s.fallback and "error" in (s.message or {})), None)
        return failed(f"{where} listed no tools ({refused or transcript.problem or transcript.spoke()})",
                      resource=where, observed=observed, expected=expected)
    if problems:
        return failed(f"{where} is not well-formed: " + "; ".join(problems), resource=where, observed=observed,
                      expected=expected, hint="Fix the tool, prompt and resource definitions in the app and redeploy.")
    return passed(f"{where} ({transcript.spoke()}): {len(tools)} tools, each with a name, a description and an "
                  f"inputSchema; {len(prompts)} prompts and {len(resources)} resources well-formed (server "
                  f"capabilities: {', '.join(capabilities)})", resource=where, observed=observed, expected=expected)


def data_accuracy(direct: list[tuple], result: dict | None, sql: str, tool: str, database: str) -> Finding:
    """The same fact two ways: the value PostgreSQL returns equals what the app's SQL tool reports for it."""
    truth = direct[0][0] if direct and direct[0] else None
    payload = _tool_payload(result)
    rows = payload.get("rows") if isinstance(payload, dict) else None
    reported = next(iter(rows[0].values()), None) if rows and isinstance(rows[0], dict) else None
    observed = {"database": truth, "app": reported if rows else str(payload)[:200]}
    if truth is None:
        return failed(f"no data for {sql!r} in {database}", resource=database, observed=observed, expected="a value")
    if result is None or result.get("isError") or reported is None:
        return failed(f"the app's {tool} tool did not answer {sql!r}: {str(payload)[:160]}", resource=tool,
                      observed=observed, expected=truth, hint="Call the tool by hand and read the app's logs.")
    if str(reported) != str(truth):
        return failed(f"data mismatch: {database} says {truth} for {sql!r} but the app's {tool} tool reports "
                      f"{reported}", resource=tool, observed=observed, expected=truth,
                      hint="The app reads stale or different data: check its database endpoint (replica lag, "
                           "wrong host) and any caching.")
    return passed(f"{database} and the app's {tool} tool agree: {sql!r} = {truth}", resource=tool, observed=observed,
                  expected=truth)
