"""The operator console in German and English: every label of the business apps' lists translated, and every list
rendered in German for a German operator."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from tests.portal.console_labels import APPS, SAME_IN_GERMAN, console_strings
from tests.support.console_world import console_world
from tests.support.html_tables import table_rows

pytestmark = pytest.mark.django_db


def test_every_console_label_of_the_business_apps_has_a_german_translation():
    untranslated = []
    for where, text in console_strings():
        with translation.override("en"):
            english = str(text)
        with translation.override("de"):
            german = str(text)
        if english == german and english not in SAME_IN_GERMAN:
            untranslated.append((where, english))

    assert untranslated == []


def column_labels(model_admin, language: str) -> list[str]:
    with translation.override(language):
        return [
            capfirst(str(label_for_field(name, model_admin.model, model_admin))) for name in model_admin.list_display
        ]


def test_every_list_of_the_console_renders_in_german_with_german_column_titles(console_client):
    console_world()
    checked = []
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = console_client.get(url, HTTP_ACCEPT_LANGUAGE="de")
        assert response.status_code == 200, url
        page = response.content.decode()
        assert '<html lang="de"' in page, url
        assert 'name="language"' in page  # the switch back to English
        if model._meta.app_label not in APPS:
            continue
        headers = table_rows(page, "result_list")[0]
        if model_admin.actions is not None and model_admin.get_actions(response.wsgi_request):
            headers = headers[1:]  # the select-all checkbox
        german, english = column_labels(model_admin, "de"), column_labels(model_admin, "en")
        assert [header.strip(" 0123456789") for header in headers] == german, url
        same = {word.lower() for word in SAME_IN_GERMAN}
        assert [e for e, g in zip(english, german, strict=True) if e == g and e.lower() not in same] == [], url
        checked.append(model._meta.label)

    # Every business list had rows to show its columns.
    assert sorted(checked) == sorted(
        model._meta.label for model in admin.site._registry if model._meta.app_label in APPS
    )


def test_the_instance_list_in_german_names_status_polls_and_the_problem_in_words(console_client):
    reservation = console_world()

    page = console_client.get("/ops/provisioning/instance/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    rows = table_rows(page, "result_list")
    assert [header.strip(" 0123456789") for header in rows[0][1:]] == [
        "Instanz",
        "Organisation",
        "Status",
        "Statusabfragen",
        "Problem",
        "Gestartet am",
        "Letzte Änderung",
    ]
    assert rows[1][1:6] == [
        f"{reservation.pk}-1 (Reservierung {reservation.pk})",
        "Rheinwerk Robotics GmbH",
        "Fehlgeschlagen",
        "11",
        "Die Cloud war nicht erreichbar oder gestört.",
    ]
