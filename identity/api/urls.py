from __future__ import annotations

from django.urls import path

from identity.api import views

app_name = "identity_api"

org = "organizations/<slug:organization_slug>/identity"
domains = views.EmailDomainViewSet
mappings = views.GroupRoleMappingViewSet
tokens = views.ScimTokenViewSet
urlpatterns = [
    path(f"{org}/provider/", views.IdentityProviderView.as_view(), name="provider"),
    path(f"{org}/policy/", views.SignInPolicyView.as_view(), name="policy"),
    path(f"{org}/domains/", domains.as_view({"get": "list", "post": "create"}), name="domain-list"),
    path(f"{org}/domains/<int:pk>/", domains.as_view({"get": "retrieve", "delete": "destroy"}), name="domain-detail"),
    path(f"{org}/domains/<int:pk>/check/", domains.as_view({"post": "check"}), name="domain-check"),
    path(f"{org}/group-mappings/", mappings.as_view({"get": "list", "post": "create"}), name="mapping-list"),
    path(f"{org}/group-mappings/<int:pk>/", mappings.as_view({"delete": "destroy"}), name="mapping-detail"),
    path(f"{org}/scim-tokens/", tokens.as_view({"get": "list", "post": "create"}), name="scim-token-list"),
    path(f"{org}/scim-tokens/<int:pk>/", tokens.as_view({"delete": "destroy"}), name="scim-token-detail"),
]
