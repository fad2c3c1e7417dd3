from __future__ import annotations

from django.urls import path

from identity.scim import views

urlpatterns = [
    path("scim/v2/Users", views.users, name="scim-users"),
    path("scim/v2/Users/<str:resource_id>", views.user, name="scim-user"),
    path("scim/v2/Groups", views.groups, name="scim-groups"),
    path("scim/v2/Groups/<str:resource_id>", views.group, name="scim-group"),
    path("scim/v2/ServiceProviderConfig", views.service_provider_config, name="scim-service-provider-config"),
]
