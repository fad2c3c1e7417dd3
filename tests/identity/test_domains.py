"""Verified e-mail domains: a DNS TXT record checked by a task, against a DNS server (dnslib) on loopback."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from identity import services
from identity.choices import DomainStatus
from identity.models import EmailDomain
from identity.selectors import identity_provider_for_email
from identity.tasks import email_domain_check_task
from tenants.audit import Actor
from tenants.models import AuditEvent, Organization, User
from tests.identity.conftest import DnsServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(organization: Organization, owner: User) -> EmailDomain:
    return services.email_domain_claim(
        actor=Actor.for_user(owner), organization=organization, domain="Rheinwerk.Example."
    )


def test_a_claim_is_pending_and_names_the_record_to_publish(claimed):
    assert claimed.domain == "rheinwerk.example"
    assert claimed.status == DomainStatus.PENDING
    assert claimed.record_name == "_kontor-challenge.rheinwerk.example"
    assert claimed.record_value == f"kontor-verification={claimed.token}"
    assert len(claimed.token) == 32


def test_the_task_verifies_the_domain_when_the_record_is_published(claimed, dns_server: DnsServer, organization):
    dns_server.resolver.txt[claimed.record_name] = ["v=spf1 -all", claimed.record_value]

    email_domain_check_task.apply(args=(claimed.pk,)).get()

    claimed.refresh_from_db()
    assert claimed.status == DomainStatus.VERIFIED
    assert claimed.verified_at is not None
    assert claimed.last_error == ""
    assert dns_server.resolver.questions == ["_kontor-challenge.rheinwerk.example"]
    events = AuditEvent.objects.for_organization(organization).filter(action="email_domain.verified")
    assert [(e.actor_label, e.data) for e in events] == [
        ("dns-check", {"domain": "rheinwerk.example", "from": "pending"})
    ]


def test_running_the_check_twice_changes_nothing(claimed, dns_server: DnsServer, organization):
    dns_server.resolver.txt[claimed.record_name] = [claimed.record_value]
    email_domain_check_task.apply(args=(claimed.pk,)).get()
    claimed.refresh_from_db()
    first = (claimed.status, claimed.verified_at, claimed.last_checked_at)
    events = AuditEvent.objects.for_organization(organization).count()

    email_domain_check_task.apply(args=(claimed.pk,)).get()

    claimed.refresh_from_db()
    assert (claimed.status, claimed.verified_at, claimed.last_checked_at) == first
    assert AuditEvent.objects.for_organization(organization).count() == events
    assert dns_server.resolver.questions == ["_kontor-challenge.rheinwerk.example"]  # not asked again


def test_a_missing_or_wrong_record_fails_the_check(claimed, dns_server: DnsServer):
    dns_server.resolver.txt[claimed.record_name] = ["kontor-verification=someone-elses-token"]

    services.email_domain_check(email_domain_id=claimed.pk)

    claimed.refresh_from_db()
    assert claimed.status == DomainStatus.FAILED
    assert claimed.verified_at is None
    assert claimed.last_error == (
        f"No TXT record kontor-verification={claimed.token} at _kontor-challenge.rheinwerk.example."
    )


def test_an_unreachable_resolver_leaves_the_status_and_says_why(claimed, settings):
    settings.KONTOR_DNS_RESOLVERS = ["127.0.0.1:9"]  # nothing answers there
    settings.KONTOR_DNS_TIMEOUT_SECONDS = 0.3

    services.email_domain_check(email_domain_id=claimed.pk)

    claimed.refresh_from_db()
    assert claimed.status == DomainStatus.PENDING
    assert claimed.last_error.startswith("The DNS look-up failed: ")
    assert claimed.last_checked_at is not None


def test_a_domain_verified_by_another_organization_cannot_be_claimed(
    claimed, dns_server, other_organization, member_of
):
    dns_server.resolver.txt[claimed.record_name] = [claimed.record_value]
    services.email_domain_check(email_domain_id=claimed.pk)
    intruder = member_of(other_organization)

    with pytest.raises(ValidationError) as refused:
        services.email_domain_claim(
            actor=Actor.for_user(intruder), organization=other_organization, domain="rheinwerk.example"
        )

    assert refused.value.message_dict == {"domain": ["This domain is already verified by another organization."]}
    assert EmailDomain.objects.for_organization(other_organization).exists() is False


def test_the_second_organization_to_prove_a_domain_does_not_get_it(claimed, dns_server, other_organization, member_of):
    rival = services.email_domain_claim(
        actor=Actor.for_user(member_of(other_organization)), organization=other_organization, domain="rheinwerk.example"
    )
    dns_server.resolver.txt[claimed.record_name] = [claimed.record_value, rival.record_value]
    services.email_domain_check(email_domain_id=claimed.pk)

    services.email_domain_check(email_domain_id=rival.pk)

    rival.refresh_from_db()
    assert (rival.status, rival.verified_at) == (DomainStatus.FAILED, None)
    assert rival.last_error == "This domain is already verified by another organization."
    assert EmailDomain.objects.unscoped().filter(domain="rheinwerk.example", status="verified").count() == 1


def test_only_verified_domains_route_sign_in(claimed, organization):
    from identity.models import IdentityProvider

    IdentityProvider.objects.create(
        organization=organization,
        issuer="https://idp.rheinwerk.example",
        client_id="c",
        client_secret_encrypted="x",
        discovery={"authorization_endpoint": "https://idp.rheinwerk.example/authorize"},
    )
    assert identity_provider_for_email("ada@rheinwerk.example") is None

    EmailDomain.objects.for_organization(organization).filter(pk=claimed.pk).update(
        status=DomainStatus.VERIFIED, verified_at=timezone.now()
    )

    assert identity_provider_for_email("ada@RHEINWERK.example").organization == organization
    assert identity_provider_for_email("ada@sub.rheinwerk.example") is None


@pytest.mark.parametrize("domain", ["", "localhost", "-bad.example", "exa mple.de", "a..b.de", "http://x.de"])
def test_malformed_domains_are_refused(organization, owner, domain):
    with pytest.raises(ValidationError) as refused:
        services.email_domain_claim(actor=Actor.for_user(owner), organization=organization, domain=domain)
    assert refused.value.message_dict == {"domain": ["Enter a domain name such as example.de."]}
    assert EmailDomain.objects.for_organization(organization).exists() is False
