"""The sign-up's VAT field: its example is a valid number, garbage is "not a VAT ID", and a refused submit shows the
error summary at the top of the form with links to the fields."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from stdnum.eu import vat as eu_vat

from tenants.models import Organization
from tenants.vat_ids import EXAMPLE_VAT_ID, normalize_vat_id
from tests.tenants.test_web import COMPANY

NOT_A_VAT_ID_EN = (
    "HE123 is not a VAT ID. Enter the company's VAT identification number for DE, with or without its country "
    "prefix DE."
)
NOT_A_VAT_ID_DE = (
    "HE123 ist keine USt-IdNr. Geben Sie die Umsatzsteuer-Identifikationsnummer des Unternehmens für DE ein, mit "
    "oder ohne das Länderpräfix DE."
)


def refusal(country: str, raw: str) -> tuple[str, str]:
    with pytest.raises(ValidationError) as refused:
        normalize_vat_id(country, raw)
    return refused.value.code or "", refused.value.messages[0]


def test_the_example_is_a_valid_german_vat_id():
    assert EXAMPLE_VAT_ID == "DE123456788"
    assert eu_vat.is_valid(EXAMPLE_VAT_ID)
    assert normalize_vat_id("DE", EXAMPLE_VAT_ID) == "DE123456788"
    assert normalize_vat_id("DE", "123 456 788") == "DE123456788"
    assert not eu_vat.is_valid("DE123456789")  # the example the form used to give


@pytest.mark.parametrize(
    ("country", "raw", "code", "message"),
    [
        ("DE", "HE123", "not_a_vat_id", NOT_A_VAT_ID_EN),
        (
            "DE",
            "hello",
            "not_a_vat_id",
            "HELLO is not a VAT ID. Enter the company's VAT identification number for DE, with or without its "
            "country prefix DE.",
        ),
        (
            "CH",
            "HE123",
            "not_a_vat_id",
            "HE123 is not a VAT ID. Enter the company's VAT identification number for CH, with or without its "
            "country prefix CH.",
        ),
        (
            "DE",
            "FR40303265045",
            "vat_id_country",
            "FR40303265045 is a VAT ID of another country (FR); the company is registered in DE.",
        ),
        (
            "DE",
            "XI123456782",
            "vat_id_country",
            "XI123456782 is a VAT ID of another country (XI); the company is registered in DE.",
        ),
        (
            "DE",
            "DE123456789",
            "vat_id_invalid",
            "DE123456789 is not a valid VAT ID for DE (wrong format or check digit).",
        ),
        ("DE", "12345", "vat_id_invalid", "DE12345 is not a valid VAT ID for DE (wrong format or check digit)."),
    ],
)
def test_garbage_is_not_a_vat_id_and_a_wrong_number_is_invalid(country, raw, code, message):
    with translation.override("en"):
        assert refusal(country, raw) == (code, message)


def test_the_refusal_is_german_on_a_german_page():
    with translation.override("de"):
        assert refusal("DE", "HE123") == ("not_a_vat_id", NOT_A_VAT_ID_DE)


@pytest.mark.django_db
def test_the_signup_page_shows_the_valid_example(client):
    html = client.get("/signup/").content.decode()

    vat_input = re.search(r'<input[^>]*name="vat_id"[^>]*>', html)
    assert vat_input is not None
    assert 'placeholder="DE123456788"' in vat_input.group(0)
    assert 'aria-describedby="id_vat_id_helptext"' in vat_input.group(0)
    assert "With or without the country prefix, e.g. DE123456788." in html
    assert "DE123456789" not in html
    assert "data-error-summary" not in html  # no summary before a submit


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title", "links"),
    [
        (
            "en",
            "Please correct the following:",
            [("#id_city", "City: This field is required."), ("#id_vat_id", f"VAT ID: {NOT_A_VAT_ID_EN}")],
        ),
        (
            "de",
            "Bitte korrigieren Sie Folgendes:",
            [
                ("#id_city", "Ort: Dieses Feld ist zwingend erforderlich."),
                ("#id_vat_id", f"USt-IdNr.: {NOT_A_VAT_ID_DE}"),
            ],
        ),
    ],
)
def test_a_refused_submit_summarizes_the_errors_at_the_top_of_the_form_linked_to_the_fields(
    client, language, title, links
):
    response = client.post("/signup/", {**COMPANY, "vat_id": "HE123", "city": ""}, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    assert "kontor_signup_company" not in client.session
    assert Organization.objects.count() == 0
    html = response.content.decode().replace("&#x27;", "'")
    form = html[html.index('<form method="post" action="/signup/"') :]
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', form, re.S)
    assert summary is not None
    assert form.index('class="error-summary"') < form.index('name="legal_name"')  # at the top of the form
    opening = summary.group(0)[: summary.group(0).index(">") + 1]
    assert 'role="alert"' in opening
    assert 'tabindex="-1"' in opening
    assert "data-error-summary" in opening
    assert title in summary.group(1)
    assert re.findall(r'<li><a href="(#[^"]+)">([^<]*)</a></li>', summary.group(1)) == links
    vat_input = re.search(r'<input[^>]*name="vat_id"[^>]*>', form)
    assert vat_input is not None
    assert 'aria-invalid="true"' in vat_input.group(0)
    assert 'aria-describedby="id_vat_id_helptext id_vat_id_error"' in vat_input.group(0)
    assert re.search(r'<ul class="errorlist" id="id_vat_id_error"><li>[^<]+</li></ul>', form)
