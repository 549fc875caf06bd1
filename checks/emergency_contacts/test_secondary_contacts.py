"""Emergency Contacts / Secondary Contacts: filled in, and confirmed by the person named."""
from golive.check import ATTESTED, MINOR, expect, runbook
from golive.probes.runbook import contact_filled

PERSON = ("phone", "email")


@runbook("contacts/secondary-contacts/application-engineer", kind=ATTESTED, area="manual",
         role="Application Engineer", impact=MINOR)
def test_application_engineer(leaf, attestation):
    """Application Engineer: [Name] - [Phone] - [Email]"""
    expect(contact_filled(leaf.text, PERSON))
    attestation.confirm()


@runbook("contacts/secondary-contacts/infrastructure-engineer", kind=ATTESTED, area="manual",
         role="Infrastructure Engineer", impact=MINOR)
def test_infrastructure_engineer(leaf, attestation):
    """Infrastructure Engineer: [Name] - [Phone] - [Email]"""
    expect(contact_filled(leaf.text, PERSON))
    attestation.confirm()


@runbook("contacts/secondary-contacts/security-lead", kind=ATTESTED, area="manual", role="Security Lead", impact=MINOR)
def test_security_lead(leaf, attestation):
    """Security Lead: [Name] - [Phone] - [Email]"""
    expect(contact_filled(leaf.text, PERSON))
    attestation.confirm()
