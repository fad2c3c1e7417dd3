"""Factories for the tenancy core. Organizations and memberships go through the same tables as the services."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from tenants.choices import OrganizationStatus, Role
from tenants.models import Membership, Organization, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.de")
    full_name = factory.Faker("name", locale="de_DE")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class OperatorFactory(UserFactory):
    is_staff = True
    is_superuser = True


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    legal_name = factory.Sequence(lambda n: f"Beispiel {n} GmbH")
    slug = factory.Sequence(lambda n: f"beispiel-{n}")
    country = "DE"
    # Sign-up requires the address; invoices print it and XRechnung requires city and post code (BR-DE-8, -9).
    street = "Hauptstraße 1"
    postal_code = "10115"
    city = "Berlin"
    status = OrganizationStatus.ACTIVE


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER
