"""Portal pages for onboarding and teams: the sign-up wizard, legal documents, the team page, invitations, API keys,
re-acceptance of legal documents and the organization switcher.

Views validate input with forms and call ``tenants.services``; a service's refusal (a ``ValidationError``) is shown
on the page in the user's language, next to the field it names.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tenants import services
from tenants.audit import Actor
from tenants.choices import InvitationStatus, Role
from tenants.models import Invitation, User
from tenants.permissions import Action
from tenants.selectors import api_key_list, invitation_list, membership_list, organization_get_for_actor
from tenants.services import InvitationError
from tenants.web.access import CURRENT_ORGANIZATION_SESSION_KEY, OrganizationAccess, organization_view
from tenants.web.countries import country_name
from tenants.web.forms import (
    COMPANY_FIELDS,
    ApiKeyForm,
    InvitationForm,
    InvitationSignupForm,
    LegalAcceptForm,
    OrganizationSwitchForm,
    RoleForm,
    SignupAccountForm,
    SignupCompanyForm,
    add_service_errors,
)

SIGNUP_COMPANY_SESSION_KEY = "kontor_signup_company"
SIGNUP_EMAIL_SESSION_KEY = "kontor_signup_email"
# Why an invitation link cannot be used, as the HTTP status of the page that says so.
INVITATION_PROBLEM_STATUS = {
    "invitation_invalid": 400,
    "invitation_used": 410,
    "invitation_expired": 410,
    "invitation_other_user": 403,
    "already_member": 409,
}


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def _refused(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _members_redirect(access: OrganizationAccess) -> HttpResponse:
    return redirect("portal:members", organization_slug=access.organization.slug)


def _anonymous_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in users have an account already: they go to their dashboard."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect("portal:dashboard")
        return view(request, *args, **kwargs)

    return wrapper


# --- Sign-up ----------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@_anonymous_only
def signup_company(request: HttpRequest) -> HttpResponse:
    """Step 1: the company. Its data waits in the session (it holds no secrets) until step 2 is sent."""
    if request.method == "POST":
        form = SignupCompanyForm(request.POST)
        if form.is_valid():
            request.session[SIGNUP_COMPANY_SESSION_KEY] = {field: form.cleaned_data[field] for field in COMPANY_FIELDS}
            return redirect("portal:signup-account")
    else:
        form = SignupCompanyForm(initial=request.session.get(SIGNUP_COMPANY_SESSION_KEY) or {"country": "DE"})
    return render(request, "tenants/signup_company.html", {"form": form})


def _back_to_company_step(request: HttpRequest, company: dict[str, str], error: ValidationError) -> HttpResponse:
    form = SignupCompanyForm(data=company)
    add_service_errors(form, error)
    return render(request, "tenants/signup_company.html", {"form": form, "returned": True})


@require_http_methods(["GET", "POST"])
@_anonymous_only
def signup_account(request: HttpRequest) -> HttpResponse:
    """Step 2: the owner's account and the legal documents; sending it signs the company up."""
    company: dict[str, str] | None = request.session.get(SIGNUP_COMPANY_SESSION_KEY)
    if not company:
        return redirect("portal:signup")
    if request.method == "POST":
        form = SignupAccountForm(request.POST, company=company)
        if form.is_valid():
            try:
                services.signup_register(
                    data=form.signup_data(), ip_address=request.META.get("REMOTE_ADDR"), request=request
                )
            except ValidationError as exc:
                error_dict = exc.message_dict if hasattr(exc, "error_dict") else {}
                company_errors = {field: error_dict[field] for field in COMPANY_FIELDS if field in error_dict}
                if company_errors:
                    return _back_to_company_step(request, company, ValidationError(company_errors))
                add_service_errors(form, exc)
            else:
                del request.session[SIGNUP_COMPANY_SESSION_KEY]
                request.session[SIGNUP_EMAIL_SESSION_KEY] = form.cleaned_data["email"]
                return redirect("portal:signup-done")
        elif form.company_errors:
            return _back_to_company_step(request, company, ValidationError(form.company_errors))
    else:
        form = SignupAccountForm(company=company, initial={"language": get_language()})
    return render(
        request,
        "tenants/signup_account.html",
        {
            "form": form,
            "company": company,
            "country_name": country_name(company.get("country", "")),
            "documents": services.legal_documents_in_force(),
        },
    )


@_anonymous_only
def signup_done(request: HttpRequest) -> HttpResponse:
    email = request.session.get(SIGNUP_EMAIL_SESSION_KEY)
    if not email:
        return redirect("portal:signup")
    return render(request, "tenants/signup_done.html", {"email": email})


def legal_document(request: HttpRequest, kind: str) -> HttpResponse:
    """The version in force of a legal document, public."""
    document = next((doc for doc in services.legal_documents_in_force() if doc.kind == kind), None)
    if document is None:
        raise Http404
    return render(request, "tenants/legal_document.html", {"document": document})


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


@require_http_methods(["GET"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = _usable_invitation(token)
    except InvitationError as exc:
        return _invitation_problem(request, exc)
    return _invitation_page(request, token, invitation)


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


@require_POST
def invitation_decline(request: HttpRequest, token: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("portal:invitation", token=token)
    try:
        invitation = services.invitation_decline(actor=Actor.from_request(request), token=token)
    except InvitationError as exc:
        return _invitation_problem(request, exc)
    messages.success(
        request, _("You declined the invitation to %(name)s.") % {"name": invitation.organization.legal_name}
    )
    return redirect("portal:dashboard")


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
                ip_address=request.META.get("REMOTE_ADDR"),
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
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[CURRENT_ORGANIZATION_SESSION_KEY] = membership.organization.slug
            messages.success(request, _("Welcome to %(name)s.") % {"name": membership.organization.legal_name})
            return redirect("portal:members", organization_slug=membership.organization.slug)
    try:
        invitation = _usable_invitation(token)
    except InvitationError as exc:
        return _invitation_problem(request, exc)
    return _invitation_page(request, token, invitation, signup_form=form)


# --- API keys ---------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@organization_view(Action.API_KEYS_MANAGE)
def api_keys(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                api_key, token = services.api_key_create(
                    actor=Actor.from_request(request),
                    organization=access.organization,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=form.expiry(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                # The only time the token exists outside the caller's hands: never stored, never cached.
                response = render(
                    request,
                    "tenants/api_key_created.html",
                    {"organization": access.organization, "api_key": api_key, "token": token},
                )
                add_never_cache_headers(response)
                return response
    else:
        form = ApiKeyForm()
    keys = api_key_list(organization=access.organization).order_by("-created_at", "-id")
    return render(
        request, "tenants/api_keys.html", {"organization": access.organization, "api_keys": keys, "form": form}
    )


@require_POST
@organization_view(Action.API_KEYS_MANAGE)
def api_key_revoke(request: HttpRequest, access: OrganizationAccess, api_key_id: int) -> HttpResponse:
    api_key = get_object_or_404(api_key_list(organization=access.organization), pk=api_key_id)
    services.api_key_revoke(actor=Actor.from_request(request), organization=access.organization, api_key=api_key)
    messages.success(request, _("The key %(name)s is revoked.") % {"name": api_key.name})
    return redirect("portal:api-keys", organization_slug=access.organization.slug)


# --- Legal documents to accept again ----------------------------------------------------------------------------


def _legal_page(request: HttpRequest, access: OrganizationAccess, form: LegalAcceptForm | None = None) -> HttpResponse:
    missing = services.consents_missing(organization=access.organization)
    may_accept = access.allows(Action.ORGANIZATION_UPDATE)
    if may_accept and form is None:
        form = LegalAcceptForm(initial={"documents": missing})
    return render(
        request,
        "tenants/legal_consents.html",
        {"organization": access.organization, "missing": missing, "may_accept": may_accept, "form": form},
    )


@require_http_methods(["GET"])
@organization_view(Action.ORGANIZATION_VIEW)
def legal_consents(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    return _legal_page(request, access)


@require_POST
@organization_view(Action.ORGANIZATION_UPDATE)
def legal_consents_accept(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    form = LegalAcceptForm(request.POST)
    if form.is_valid():
        try:
            services.consent_accept(
                actor=Actor.from_request(request),
                organization=access.organization,
                user=_user(request),
                documents=form.cleaned_data["documents"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Thank you: the documents are accepted."))
            return redirect("portal:legal-consents", organization_slug=access.organization.slug)
    return _legal_page(request, access, form=form)


# --- The organization switcher ----------------------------------------------------------------------------------


def _after_switch(request: HttpRequest, slug: str) -> str:
    """Back where the user was; from another organization's page to the team page of the one switched to (every
    role may see it, which is not true of every organization page)."""
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return reverse("portal:dashboard")
    try:
        match = resolve(urlsplit(next_url).path)
    except Resolver404:
        return reverse("portal:dashboard")
    if "organization_slug" in match.kwargs:
        return reverse("portal:members", kwargs={"organization_slug": slug})
    return next_url


@require_POST
@login_required
def organization_switch(request: HttpRequest) -> HttpResponse:
    form = OrganizationSwitchForm(request.POST)
    organization = (
        organization_get_for_actor(slug=form.cleaned_data["organization"], user=_user(request), api_key=None)
        if form.is_valid()
        else None
    )
    if organization is None:
        raise Http404
    request.session[CURRENT_ORGANIZATION_SESSION_KEY] = organization.slug
    return redirect(_after_switch(request, organization.slug))
