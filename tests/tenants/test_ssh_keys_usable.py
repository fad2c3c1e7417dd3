"""The SSH keys an order may use, read by the statement compiled once per process: the same keys, in the same order,
as the queryset it was prepared from, for a member, for another member and for no user."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import Organization, User
from tenants.selectors import ssh_key_list_usable_by, ssh_keys_usable_by
from tenants.services import ssh_key_add
from tests.provisioning import keys

pytestmark = pytest.mark.django_db


def test_the_prepared_read_gives_the_querysets_keys_in_its_order(
    organization: Organization,
    other_organization: Organization,
    owner: User,
    member_of: Callable[[Organization, Role], User],
) -> None:
    colleague = member_of(organization, Role.MEMBER)
    stranger = member_of(other_organization, Role.OWNER)
    actor = Actor.for_user(owner)
    ssh_key_add(actor=actor, organization=organization, name="zz shared", public_key=keys.ed25519_key("a"), owner=None)
    ssh_key_add(actor=actor, organization=organization, name="aa own", public_key=keys.ecdsa_key("b"), owner=owner)
    ssh_key_add(
        actor=Actor.for_user(colleague),
        organization=organization,
        name="mm colleague",
        public_key=keys.ed25519_key("c"),
        owner=colleague,
    )
    ssh_key_add(
        actor=Actor.for_user(stranger),
        organization=other_organization,
        name="elsewhere",
        public_key=keys.ed25519_key("d"),
        owner=None,
    )

    for user in (owner, colleague, stranger, None):
        prepared = ssh_keys_usable_by(organization=organization, user=user)
        expected = list(ssh_key_list_usable_by(organization=organization, user=user))
        assert [(key.pk, key.name, key.fingerprint, key.user_id) for key in prepared] == [
            (key.pk, key.name, key.fingerprint, key.user_id) for key in expected
        ]
        assert [key.user.email if key.user else None for key in prepared] == [
            key.user.email if key.user else None for key in expected
        ]
    assert [key.name for key in ssh_keys_usable_by(organization=organization, user=owner)] == ["aa own", "zz shared"]
    assert [key.name for key in ssh_keys_usable_by(organization=organization, user=None)] == ["zz shared"]
