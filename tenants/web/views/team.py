"""The team page: members, roles, invitations sent, leaving."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tenants import services
from tenants.audit import Actor
from tenants.choices import InvitationStatus, Role
from tenants.permissions import Action
from tenants.selectors import invitation_list, membership_list
from tenants.web.access import CURRENT_ORGANIZATION_SESSION_KEY, OrganizationAccess, organization_view
from tenants.web.forms import (
    InvitationForm,
    RoleForm,
    add_service_errors,
)
from tenants.web.views.common import (
    _members_redirect,
    _refused,
)

# --- The team ---------------------------------------------------------------------------------------------------


def _members_page(
    request: HttpRequest, access: OrganizationAccess, invite_form: InvitationForm | None = None
) -> HttpResponse:
    may_manage = access.allows(Action.MEMBERS_MANAGE)
    context: dict[str, Any] = {
        "organization": access.organization,
        "my_membership": access.membership,
        "memberships": membership_list(organization=access.organization).order_by("user__email"),
        "may_manage": may_manage,
        "may_manage_owners": access.may_manage_owners,
        "assignable_roles": [
            (value, label) for value, label in Role.choices if access.may_manage_owners or value != Role.OWNER
        ],
    }
    if may_manage:
        context["invitations"] = (
            invitation_list(organization=access.organization)
            .filter(status=InvitationStatus.PENDING)
            .order_by("-created_at", "-id")
        )
        context["invite_form"] = invite_form or InvitationForm(may_manage_owners=access.may_manage_owners)
    return render(request, "tenants/members.html", context)


@require_http_methods(["GET"])
@organization_view(Action.MEMBERS_VIEW)
def members(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    return _members_page(request, access)


@require_POST
@organization_view(Action.MEMBERS_MANAGE)
def members_invite(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    form = InvitationForm(request.POST, may_manage_owners=access.may_manage_owners)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                actor=Actor.from_request(request),
                organization=access.organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                may_manage_owners=access.may_manage_owners,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("We sent an invitation to %(email)s.") % {"email": invitation.email})
            return _members_redirect(access)
    return _members_page(request, access, invite_form=form)


@require_POST
@organization_view(Action.MEMBERS_MANAGE)
def invitation_revoke(request: HttpRequest, access: OrganizationAccess, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(invitation_list(organization=access.organization), pk=invitation_id)
    try:
        services.invitation_revoke(
            actor=Actor.from_request(request), organization=access.organization, invitation=invitation
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The invitation for %(email)s is revoked.") % {"email": invitation.email})
    return _members_redirect(access)


@require_POST
@organization_view(Action.MEMBERS_MANAGE)
def member_role(request: HttpRequest, access: OrganizationAccess, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(membership_list(organization=access.organization), pk=membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(message) for message in form.errors["role"]))
        return _members_redirect(access)
    try:
        changed = services.membership_role_change(
            actor=Actor.from_request(request),
            organization=access.organization,
            membership=membership,
            role=form.cleaned_data["role"],
            may_manage_owners=access.may_manage_owners,
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("%(person)s is now %(role)s.") % {"person": membership.user.email, "role": Role(changed.role).label},
        )
    return _members_redirect(access)


@require_POST
@organization_view(Action.MEMBERS_MANAGE)
def member_remove(request: HttpRequest, access: OrganizationAccess, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(membership_list(organization=access.organization), pk=membership_id)
    try:
        services.membership_remove(
            actor=Actor.from_request(request),
            organization=access.organization,
            membership=membership,
            may_manage_owners=access.may_manage_owners,
        )
    except ValidationError as exc:
        _refused(request, exc)
        return _members_redirect(access)
    if membership.pk == access.membership.pk:
        return _left(request, access)
    messages.success(
        request,
        _("%(person)s is no longer a member of %(name)s.")
        % {"person": membership.user.email, "name": access.organization.legal_name},
    )
    return _members_redirect(access)


def _left(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    request.session.pop(CURRENT_ORGANIZATION_SESSION_KEY, None)
    messages.success(request, _("You left %(name)s.") % {"name": access.organization.legal_name})
    return redirect("portal:dashboard")


@require_POST
@organization_view(Action.ORGANIZATION_VIEW)
def members_leave(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    try:
        services.membership_remove(
            actor=Actor.from_request(request),
            organization=access.organization,
            membership=access.membership,
            may_manage_owners=access.may_manage_owners,
        )
    except ValidationError as exc:
        _refused(request, exc)
        return _members_redirect(access)
    return _left(request, access)
