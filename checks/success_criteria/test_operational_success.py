"""Success Criteria / Operational Success: judged by the people who ran the go-live."""
from golive.check import ATTESTED, DERIVED, MINOR, runbook, summarise

from checks.t_plus_24h.test_performance_analysis import test_document_lessons_learned


@runbook("success/operational-success/team-communication-effective", kind=ATTESTED, area="manual",
         role="Deployment Lead", impact=MINOR)
def test_team_communication_effective(attestation):
    """Team communication effective."""
    attestation.confirm()


@runbook("success/operational-success/procedures-followed-correctly", kind=ATTESTED, area="manual",
         role="Deployment Lead", impact=MINOR)
def test_procedures_followed_correctly(attestation):
    """Procedures followed correctly."""
    attestation.confirm()


@runbook("success/operational-success/documentation-updated", kind=ATTESTED, area="manual", role="Technical Lead",
         impact=MINOR)
def test_documentation_updated(attestation):
    """Documentation updated."""
    attestation.confirm()


@runbook("success/operational-success/lessons-learned-captured", kind=DERIVED, area="manual", impact=MINOR)
def test_lessons_learned_captured(request):
    """Lessons learned captured: the T+24h review documented them."""
    summarise(request, test_document_lessons_learned)


@runbook("success/operational-success/stakeholders-satisfied", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=MINOR)
def test_stakeholders_satisfied(attestation):
    """Stakeholders satisfied."""
    attestation.confirm()
