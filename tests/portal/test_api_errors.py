"""Every failure under /api/ answers in the one error shape, with the right status; never a 500 page or HTML."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.test import override_settings
from django.urls import include, path
from rest_framework import serializers
from rest_framework.response import Response

from portal.api.access import PublicAPIView


class EchoSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    count = serializers.IntegerField(min_value=1)


class EchoView(PublicAPIView):
    def post(self, request):
        serializer = EchoSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class DjangoValidationView(PublicAPIView):
    def get(self, request):
        raise DjangoValidationError({"window": ["The window ends before it starts."]})


class CrashView(PublicAPIView):
    def get(self, request):
        raise RuntimeError("database on fire")


urlpatterns = [
    path(
        "api/v1/test/",
        include(
            [
                path("echo/", EchoView.as_view()),
                path("django-validation/", DjangoValidationView.as_view()),
                path("crash/", CrashView.as_view()),
            ]
        ),
    ),
    path("", include("portal.urls")),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def assert_error(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    assert body["code"] == code
    return body


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_unknown_route_is_a_json_404(api_client, method):
    response = getattr(api_client, method)("/api/v1/no/such/thing/")

    body = assert_error(response, 404, "not_found")
    assert body["detail"] == "No API endpoint at /api/v1/no/such/thing/."


def test_unknown_route_outside_v1_is_a_json_404(api_client):
    assert_error(api_client.get("/api/v2/organizations/"), 404, "not_found")


def test_wrong_method_is_a_json_405(api_client):
    body = assert_error(api_client.delete("/api/v1/test/echo/"), 405, "method_not_allowed")

    assert body["detail"] == 'Method "DELETE" not allowed.'


def test_malformed_json_is_a_400(api_client):
    response = api_client.post("/api/v1/test/echo/", data='{"name": "x",', content_type="application/json")

    body = assert_error(response, 400, "parse_error")
    assert body["detail"].startswith("JSON parse error")


def test_unsupported_media_type_is_a_415(api_client):
    response = api_client.post("/api/v1/test/echo/", data="name=x", content_type="text/plain")

    assert_error(response, 415, "unsupported_media_type")


def test_field_errors_are_listed_per_field(api_client):
    response = api_client.post("/api/v1/test/echo/", data={"name": "too long", "count": 0}, format="json")

    body = assert_error(response, 400, "invalid")
    assert body == {
        "detail": "The request has invalid fields.",
        "code": "invalid",
        "fields": {
            "name": ["Ensure this field has no more than 5 characters."],
            "count": ["Ensure this value is greater than or equal to 1."],
        },
    }


def test_django_validation_errors_use_the_same_shape(api_client):
    body = assert_error(api_client.get("/api/v1/test/django-validation/"), 400, "invalid")

    assert body["fields"] == {"window": ["The window ends before it starts."]}


@override_settings(API_MAX_BODY_BYTES=64)
def test_oversized_body_by_content_length_is_a_413(api_client):
    response = api_client.post("/api/v1/test/echo/", data={"name": "x" * 100, "count": 1}, format="json")

    body = assert_error(response, 413, "request_too_large")
    assert body["detail"] == "The request body is larger than 64 bytes."


def test_invalid_content_length_is_a_400(api_client):
    response = api_client.generic(
        "POST", "/api/v1/test/echo/", data=b"{}", content_type="application/json", CONTENT_LENGTH="abc"
    )

    assert_error(response, 400, "bad_request")


def test_unhandled_error_is_a_json_500_with_the_request_id(api_client):
    api_client.raise_request_exception = False

    response = api_client.get("/api/v1/test/crash/", HTTP_X_REQUEST_ID="trace-0123456789")

    body = assert_error(response, 500, "server_error")
    assert body["detail"] == "Something went wrong on our side. Quote request ID trace-0123456789 to support."
    assert response["X-Request-ID"] == "trace-0123456789"


def test_post_without_csrf_token_on_session_auth_is_a_json_403(organization, owner, api_client):
    api_client.force_login(owner)

    response = api_client.post("/api/v1/test/echo/", data={"name": "x", "count": 1}, format="json")

    body = assert_error(response, 403, "permission_denied")
    assert body["detail"] == "CSRF Failed: CSRF cookie not set."


def test_errors_are_translated_for_german_callers(api_client):
    response = api_client.get("/api/v1/no/such/thing/", HTTP_ACCEPT_LANGUAGE="de")

    body = assert_error(response, 404, "not_found")
    assert body["detail"] != "No API endpoint at /api/v1/no/such/thing/."
    assert "/api/v1/no/such/thing/" in body["detail"]


def test_page_404_is_html_outside_the_api(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
