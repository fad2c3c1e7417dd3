"""GDPR pages: an owner downloads the organization's data; a user deletes their own account."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tenants.audit import Actor
from tenants.models import User
from tenants.permissions import Action
from tenants.services import organization_export, user_erase
from tenants.web.access import OrganizationAccess, account_page, organization_view


@require_POST
@organization_view(Action.DATA_EXPORT)
def organization_data_export(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    archive = organization_export(actor=Actor.from_request(request), organization=access.organization)
    filename = f"kontor-{access.organization.slug}-{timezone.now():%Y%m%d}.json"
    response = HttpResponse(json.dumps(archive, cls=DjangoJSONEncoder, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


class AccountDeleteForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("Your password, to confirm"), widget=forms.PasswordInput)


@account_page
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = AccountDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not user.check_password(form.cleaned_data["password"]):
            form.add_error("password", _("The password is not correct."))
        else:
            try:
                user_erase(actor=Actor.from_request(request), user=user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                logout(request)
                messages.success(request, _("Your account has been deleted."))
                return redirect("portal:home")
    return render(request, "tenants/account_delete.html", {"form": form})
