"""The panel, prints and e-mails in Polish: the switch, Polish plurals and formats, sign-up."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation
from pypdf import PdfReader

from accounts.models import Merchant, User
from documents import printing
from integrations import notifications, run_errors, run_history
from integrations.models import BackupRun, GoogleDriveIntegration
from tests.accounts.test_signup_login import signup_data
from tests.factories import make_integration, make_merchant, make_order, make_run
from tests.rendering import factories

pytestmark = pytest.mark.django_db


def speak_polish(merchant: Merchant) -> None:
    merchant.language = "pl"
    merchant.save(update_fields=["language"])


def owner_of(merchant: Merchant) -> User:
    return User.objects.create_user(email="owner@example.com", password="x", merchant=merchant)


def test_the_switch_offers_polish_and_turns_the_panel_into_it(client):
    _merchant, user = make_merchant()
    client.force_login(user)
    page = client.get(reverse("integrations:index")).content.decode()
    assert '<option value="pl" lang="pl">Polski</option>' in page

    client.post(reverse("set_language"), {"language": "pl", "next": "/"})

    page = client.get(reverse("integrations:index")).content.decode()
    assert '<html lang="pl">' in page
    assert ">Integracje</h1>" in page
    assert "Zamówienia" in page and "Faktury" in page and "Paragony" in page
    assert "Wyloguj" in page
    assert '<option value="pl" lang="pl" selected>Polski</option>' in page
    # Each language keeps its own name, so a reader of only one of them finds the way back.
    assert '<option value="en" lang="en">English</option>' in page
    assert '<option value="pt-br" lang="pt-br">Português (Brasil)</option>' in page


@pytest.mark.parametrize(
    ("orders", "label"),
    [
        (1, "1 zamówienie"),
        (2, "2 zamówienia"),
        (5, "5 zamówień"),
        (12, "12 zamówień"),
        (22, "22 zamówienia"),
    ],
)
def test_counts_take_the_polish_plural_form(client, settings, orders, label):
    merchant, user = make_merchant()
    for _ in range(orders):
        make_order(merchant)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"

    assert label in client.get(reverse("documents:orders")).content.decode()


def test_the_google_drive_page_in_polish(client, settings):
    _merchant, user = make_merchant()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"

    page = client.get(reverse("integrations:google_drive")).content.decode()

    assert "Połącz konto Google" in page
    assert "Co kopiować" in page
    assert "Paragony niefiskalne (PDF)" in page


@pytest.mark.parametrize(
    ("code", "count", "polish"),
    [
        ("files_failed", 1, "Nie udało się skopiować 1 pliku; zostanie wysłany"),
        ("files_failed", 3, "Nie udało się skopiować 3 plików; zostaną wysłane"),
        ("files_failed", 5, "Nie udało się skopiować 5 plików; zostaną wysłane"),
        ("more_errors", 1, "Jeszcze 1 plik miał problem"),
        ("more_errors", 4, "Jeszcze 4 pliki miały problemy"),
        ("more_errors", 11, "Jeszcze 11 plików miało problemy"),
    ],
)
def test_a_count_of_files_agrees_with_its_noun_in_polish(code, count, polish):
    entry = {"code": code, "params": {"count": count}}
    with translation.override("pl"):
        assert run_errors.describe(entry).startswith(polish)


@pytest.mark.parametrize(
    ("size", "polish"),
    [
        (0, "0\xa0bajtów"),
        (1, "1\xa0bajt"),
        (2, "2\xa0bajty"),
        (999, "999\xa0bajtów"),
        (61_667, "61,7\xa0kB"),
        (3_456_789_012, "3,5\xa0GB"),
    ],
)
def test_sizes_in_polish(size, polish):
    with translation.override("pl"):
        assert run_history.format_size(size) == polish


def test_amounts_and_dates_use_django_s_polish_formats():
    with translation.override("pl"):
        assert printing.format_money(Decimal("1234.5"), "PLN") == "1\xa0234,50 PLN"
        assert formats.date_format(dt.date(2026, 12, 6)) == "6 grudnia 2026"


def test_an_invoice_prints_in_polish_for_a_polish_merchant(client):
    merchant = factories.make_merchant("Sklep Żółta Łódź")
    speak_polish(merchant)
    invoice = factories.make_invoice(merchant, "FV 12/11/2026", items=3)
    client.force_login(owner_of(merchant))

    page = client.get(reverse("documents:invoice_print", args=[invoice.pk]))
    download = client.get(reverse("documents:invoice_pdf", args=[invoice.pk]))

    html = page.content.decode()
    assert page["Content-Language"] == "pl"
    assert '<html lang="pl">' in html
    for words in ("Faktura VAT", "Sprzedawca", "Nabywca", "NIP", "St. VAT", "Do zapłaty"):
        assert words in html
    pdf_text = PdfReader(io.BytesIO(download.content)).pages[0].extract_text()
    assert "Faktura VAT" in pdf_text
    assert "Do zapłaty" in pdf_text
    assert "Żółta Łódź" in pdf_text


def test_a_receipt_prints_as_a_polish_non_fiscal_receipt(client):
    merchant = factories.make_merchant("Sklep Żółta Łódź")
    speak_polish(merchant)
    receipt = factories.make_receipt(merchant, "PAR 7/11/2026", items=2)
    client.force_login(owner_of(merchant))

    html = client.get(reverse("documents:receipt_print", args=[receipt.pk])).content.decode()

    assert "Paragon niefiskalny" in html
    assert "Ten dokument nie jest paragonem fiskalnym." in html


def test_mails_to_a_polish_merchant_are_in_polish():
    integration = make_integration("Sklep Zielony", consecutive_failures=2)
    speak_polish(integration.merchant)
    make_run(
        integration,
        status=BackupRun.Status.FAILED,
        finished_at=timezone.now(),
        errors=[run_errors.error_entry("render_failed", kind="invoice", number="FV 3/11/2026")],
    )
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(
        status=GoogleDriveIntegration.Status.ACCESS_LOST
    )

    notifications.notify_access_lost(integration.pk)
    notifications.notify_failure_streak(integration.pk)

    lost, streak = mail.outbox
    assert lost.subject == (
        "Kopia zapasowa na Dysku Google wstrzymana: połącz ponownie konto Google"
    )
    assert "Dzień dobry, Sklep Zielony," in lost.body
    assert '<html lang="pl">' in lost.alternatives[0][0]
    assert streak.subject == "Kopia zapasowa na Dysku Google nie powiodła się dwa razy z rzędu"
    assert "FV 3/11/2026: Nie udało się utworzyć pliku PDF tego dokumentu" in streak.body


def test_signup_from_a_polish_browser_makes_a_polish_merchant_in_warsaw(client):
    client.post(
        reverse("accounts:signup"), signup_data(), HTTP_ACCEPT_LANGUAGE="pl-PL,pl;q=0.9,en;q=0.5"
    )

    merchant = Merchant.objects.get()
    assert merchant.language == "pl"
    assert merchant.time_zone == "Europe/Warsaw"
