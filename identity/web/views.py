"""Home-realm discovery: "Sign in with your company" after typing the e-mail address."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from identity.choices import Protocol
from identity.selectors import identity_provider_for_email
from identity.web.forms import CompanySignInForm
from tenants.web.access import public_page


@public_page
@require_http_methods(["GET", "POST"])
def company_sign_in(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    form = CompanySignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        provider = identity_provider_for_email(form.cleaned_data["email"])
        if provider is not None:
            if provider.protocol == Protocol.SAML:
                authorize = urlsplit(provider.saml_sso_url)
                login_url = reverse("saml_login", kwargs={"organization_slug": provider.organization.slug})
            else:
                authorize = urlsplit(str(provider.discovery["authorization_endpoint"]))
                login_url = reverse("openid_connect_login", kwargs={"provider_id": provider.provider_id})
            response = render(
                request,
                "identity/company_sign_in_continue.html",
                {"provider": provider, "organization": provider.organization, "login_url": login_url, "next": next_url},
            )
            # The form posts to Kontor, which redirects to the provider: the CSP must allow that form target.
            response._csp_update = {"form-action": [f"{authorize.scheme}://{authorize.netloc}"]}  # type: ignore[attr-defined]
            return response
        form.add_error("email", _("No company sign-in is set up for this address: sign in with your password."))
    return render(request, "identity/company_sign_in.html", {"form": form, "next": next_url})
