"""Emergency Contacts / Primary Contacts: filled in, and confirmed by the person named."""
from golive.check import ATTESTED, CRASH, expect, runbook
from golive.probes.runbook import contact_filled

PERSON = ("phone", "email")


@runbook("contacts/primary-contacts/deployment-lead", kind=ATTESTED, area="manual", role="Deployment Lead",
         impact=CRASH)  # nobody to call in an incident is a blocker
def test_deployment_lead(leaf, attestation):
    """Deployment Lead: [Name] - [Phone] - [Email]"""
    expect(contact_filled(leaf.text, PERSON))
    attestation.confirm()


@runbook("contacts/primary-contacts/technical-lead", kind=ATTESTED, area="manual", role="Technical Lead", impact=CRASH)
def test_technical_lead(leaf, attestation):
    """Technical Lead: [Name] - [Phone] - [Email]"""
    expect(contact_filled(leaf.text, PERSON))
    attestation.confirm()


@runbook("contacts/primary-contacts/devops-lead", kind=ATTESTED, area="manual", role="DevOps Lead", impact=CRASH)
def test_devops_lead(leaf, attestation):
    """DevOps Lead: [Name] - [Phone] - [Email]"""
    expect(contact_filled(leaf.text, PERSON))
    attestation.confirm()
