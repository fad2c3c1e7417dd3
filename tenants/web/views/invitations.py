"""Answering an invitation link: accept, decline, or create an account and accept."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.http import client_ip
from tenants import services
from tenants.audit import Actor
from tenants.choices import InvitationStatus, Role
from tenants.models import Invitation, User
from tenants.services import InvitationError
from tenants.web.access import CURRENT_ORGANIZATION_SESSION_KEY, public_page
from tenants.web.forms import (
    InvitationSignupForm,
    add_service_errors,
)
from tenants.web.views.common import (
    INVITATION_PROBLEM_STATUS,
    _user,
)

# --- Invitations ------------------------------------------------------------------------------------------------


def _invitation_problem(request: HttpRequest, error: InvitationError) -> HttpResponse:
    return render(
        request,
        "tenants/invitation_problem.html",
        {"messages_text": error.messages},
        status=INVITATION_PROBLEM_STATUS.get(str(error.code), 400),
    )


def _usable_invitation(token: str) -> Invitation:
    """The pending, unexpired invitation the link names; refused with the services' own words otherwise (they
    check again, under a lock, when the invitation is answered)."""
    invitation = services.invitation_from_token(token)
    if invitation.status != InvitationStatus.PENDING:
        raise InvitationError(
            _("This invitation has already been %(status)s.")
            % {"status": InvitationStatus(invitation.status).label.lower()},
            code="invitation_used",
        )
    if invitation.is_expired():
        raise InvitationError(_("This invitation has expired; ask for a new one."), code="invitation_expired")
    return invitation


def _invitation_page(
    request: HttpRequest, token: str, invitation: Invitation, signup_form: InvitationSignupForm | None = None
) -> HttpResponse:
    user = request.user
    page_url = reverse("portal:invitation", args=[token])
    return render(
        request,
        "tenants/invitation.html",
        {
            "token": token,
            "invitation": invitation,
            "organization": invitation.organization,
            "role_label": Role(invitation.role).label,
            "login_url": f"{reverse('account_login')}?{urlencode({'next': page_url})}",
            "for_this_user": isinstance(user, User) and user.email == invitation.email,
            "signup_form": signup_form or InvitationSignupForm(),
        },
    )


@public_page
@require_http_methods(["GET"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = _usable_invitation(token)
    except InvitationError as exc:
        return _invitation_problem(request, exc)
    return _invitation_page(request, token, invitation)


@public_page
@require_POST
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("portal:invitation", token=token)
    try:
        membership = services.invitation_accept(actor=Actor.from_request(request), user=_user(request), token=token)
    except InvitationError as exc:
        return _invitation_problem(request, exc)
    request.session[CURRENT_ORGANIZATION_SESSION_KEY] = membership.organization.slug
    messages.success(request, _("Welcome to %(name)s.") % {"name": membership.organization.legal_name})
    return redirect("portal:members", organization_slug=membership.organization.slug)


@public_page
@require_POST
def invitation_decline(request: HttpRequest, token: str) -> HttpResponse:
    """Signed in: as the invited address only. Anonymous, through the e-mailed link: after a confirmation, and the
    answer names nothing of the organization (whoever holds the link learns no more by declining)."""
    anonymous = not request.user.is_authenticated
    if anonymous and request.POST.get("confirm") != "1":
        try:
            _usable_invitation(token)
        except InvitationError as exc:
            return _invitation_problem(request, exc)
        return render(request, "tenants/invitation_decline_confirm.html", {"token": token})
    try:
        invitation = services.invitation_decline(
            actor=Actor.for_link(request, label="invitation-link") if anonymous else Actor.from_request(request),
            token=token,
            user=None if anonymous else _user(request),
        )
    except InvitationError as exc:
        return _invitation_problem(request, exc)
    if anonymous:
        messages.success(request, _("You declined the invitation."))
        return redirect("account_login")
    messages.success(
        request, _("You declined the invitation to %(name)s.") % {"name": invitation.organization.legal_name}
    )
    return redirect("portal:dashboard")


@public_page
@require_POST
def invitation_register(request: HttpRequest, token: str) -> HttpResponse:
    """An invited person without an account creates it and joins in one step."""
    if request.user.is_authenticated:
        return redirect("portal:invitation", token=token)
    form = InvitationSignupForm(request.POST)
    if form.is_valid():
        try:
            membership = services.invitation_accept_as_new_user(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password"],
                ip_address=client_ip(request),
                language=get_language(),
            )
        except InvitationError as exc:
            if exc.code != "account_exists":
                return _invitation_problem(request, exc)
            add_service_errors(form, exc)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # Following the link proved the address, so the new account is signed in straight away.
            login(request, membership.user, backend=settings.AUTHENTICATION_BACKENDS[0])
            request.session[CURRENT_ORGANIZATION_SESSION_KEY] = membership.organization.slug
            messages.success(request, _("Welcome to %(name)s.") % {"name": membership.organization.legal_name})
            return redirect("portal:members", organization_slug=membership.organization.slug)
    try:
        invitation = _usable_invitation(token)
    except InvitationError as exc:
        return _invitation_problem(request, exc)
    return _invitation_page(request, token, invitation, signup_form=form)
