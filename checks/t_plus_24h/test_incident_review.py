"""T+24 Hours: Post-Launch Review / Incident Review."""
from golive.check import ATTESTED, MINOR, expect, runbook
from golive.probes import performance as perf


@runbook("t+24h/incident-review/review-any-incidents", impact=MINOR, area="monitoring", role="Deployment Lead")
def test_review_any_incidents(prom, cfg, attestation):
    """Review any incidents: the alerts that fired, each critical one reviewed by the Deployment Lead after it."""
    w = perf.review_window(cfg)
    query = perf.firing_alerts(w.step)
    fired = prom.query_range(query, w.minutes, w.step_param)
    review = attestation.confirm() if perf.critical_fired(fired) else None  # only an incident needs a review
    expect(perf.incidents_reviewed(fired, review, w, f"Prometheus {prom.base_url}", query))


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
