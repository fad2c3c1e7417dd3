"""Sign-up wizard and the public legal document pages."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.http import client_ip
from core.ratelimit import RateDecision, hit, parse_rate
from tenants import services
from tenants.web.access import public_page
from tenants.web.countries import country_name
from tenants.web.forms import (
    COMPANY_FIELDS,
    SignupAccountForm,
    SignupCompanyForm,
    add_service_errors,
)
from tenants.web.views.common import (
    SIGNUP_COMPANY_SESSION_KEY,
    SIGNUP_EMAIL_SESSION_KEY,
    _anonymous_only,
)

# --- Sign-up ----------------------------------------------------------------------------------------------------


@public_page
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


def _signup_throttled(request: HttpRequest) -> RateDecision | None:
    """The refusal when sign-ups from this address or for this e-mail domain are over their limits (the API's
    sign-up counts the same: ``portal.api.throttles.SignupIPThrottle`` and ``SignupDomainThrottle``)."""
    limits = settings.KONTOR_SIGNUP_THROTTLE
    email = request.POST.get("email", "")
    domain = email.rsplit("@", 1)[1].strip().lower()[:253] if "@" in email else ""
    counted = [("signup_ip", client_ip(request) or "unknown", limits.get("per_ip"))]
    if domain:
        counted.append(("signup_domain", domain, limits.get("per_domain")))
    refusals = [
        decision
        for decision in (hit(scope, ident, parse_rate(rate)) for scope, ident, rate in counted if rate)
        if not decision.allowed
    ]
    return max(refusals, key=lambda decision: decision.reset) if refusals else None


@public_page
@require_http_methods(["GET", "POST"])
@_anonymous_only
def signup_account(request: HttpRequest) -> HttpResponse:
    """Step 2: the owner's account and the legal documents; sending it signs the company up."""
    company: dict[str, str] | None = request.session.get(SIGNUP_COMPANY_SESSION_KEY)
    if not company:
        return redirect("portal:signup")
    status, refusal = 200, None
    if request.method == "POST":
        form = SignupAccountForm(request.POST, company=company)
        refusal = _signup_throttled(request)
        if refusal is not None:
            form.add_error(
                None,
                _(
                    "Too many sign-ups from your network or for this e-mail domain. "
                    "Please try again in %(minutes)d minutes."
                )
                % {"minutes": max(1, -(-refusal.reset // 60))},
            )
            status = 429
        elif form.is_valid():
            try:
                services.signup_register(data=form.signup_data(), ip_address=client_ip(request), request=request)
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
    response = render(
        request,
        "tenants/signup_account.html",
        {
            "form": form,
            "company": company,
            "country_name": country_name(company.get("country", "")),
            "documents": services.legal_documents_in_force(),
        },
        status=status,
    )
    if status == 429 and refusal is not None:
        response["Retry-After"] = str(refusal.reset)
    return response


@public_page
@_anonymous_only
def signup_done(request: HttpRequest) -> HttpResponse:
    email = request.session.get(SIGNUP_EMAIL_SESSION_KEY)
    if not email:
        return redirect("portal:signup")
    return render(request, "tenants/signup_done.html", {"email": email})


@public_page
def legal_document(request: HttpRequest, kind: str) -> HttpResponse:
    """The version in force of a legal document, public."""
    document = next((doc for doc in services.legal_documents_in_force() if doc.kind == kind), None)
    if document is None:
        raise Http404
    return render(request, "tenants/legal_document.html", {"document": document})
