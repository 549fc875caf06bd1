"""T+24 Hours: Post-Launch Review / Incident Review."""
from golive.check import ATTESTED, MINOR, expect, runbook
from golive.probes import monitoring as mon
from golive.probes import performance as perf


@runbook("t+24h/incident-review/review-any-incidents", impact=MINOR, area="monitoring", role="Deployment Lead")
def test_review_any_incidents(prom, cfg, attestation):
    """Review any incidents: the alerts that fired, each critical one reviewed by the Deployment Lead after it.
    "No alert fired" counts only from a Prometheus that evaluates critical alerting rules and scraped the app
    over the window."""
    w, where = perf.review_window(cfg), f"Prometheus {prom.base_url}"
    query = perf.firing_alerts(w.step)
    fired = prom.query_range(query, w.minutes, w.step_param)
    watched = f'up{{job="{cfg.prometheus.app_job}"}}'
    review = attestation.confirm() if perf.critical_fired(fired) else None  # only an incident needs a review
    expect(mon.alerting_rules_loaded(prom.api("rules")["groups"], where),
           perf.window_filled(prom.query_range(watched, w.minutes, w.step_param), w, watched),
           perf.incidents_reviewed(fired, review, w, where, query))


@runbook("t+24h/incident-review/analyze-root-causes", kind=ATTESTED, area="manual", role="Technical Lead",
         impact=MINOR)
def test_analyze_root_causes(attestation):
    """Analyze root causes."""
    attestation.confirm()


@runbook("t+24h/incident-review/document-improvements", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=MINOR)
def test_document_improvements(attestation):
    """Document improvements."""
    attestation.confirm()


@runbook("t+24h/incident-review/update-procedures", kind=ATTESTED, area="manual", role="DevOps Lead", impact=MINOR)
def test_update_procedures(attestation):
    """Update procedures."""
    attestation.confirm()
