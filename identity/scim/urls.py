from __future__ import annotations

from django.urls import path

from identity.scim import views

urlpatterns = [
    path("scim/v2/Users", views.users, name="scim-users"),
    path("scim/v2/Users/<str:resource_id>", views.user, name="scim-user"),
    path("scim/v2/Groups", views.groups, name="scim-groups"),
    path("scim/v2/Groups/<str:resource_id>", views.group, name="scim-group"),
    path("scim/v2/ServiceProviderConfig", views.service_provider_config, name="scim-service-provider-config"),
    path("scim/v2/Schemas", views.schemas, name="scim-schemas"),
    path("scim/v2/Schemas/<str:resource_id>", views.schemas, name="scim-schema"),
    path("scim/v2/ResourceTypes", views.resource_types, name="scim-resource-types"),
    path("scim/v2/ResourceTypes/<str:resource_id>", views.resource_types, name="scim-resource-type"),
    path("scim/v2/<path:rest>", views.not_found, name="scim-not-found"),
]
