"""Settings (S3): the three boxes and the time zone; S11 for invoices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from accounts.time_zones import time_zone_choices
from documents.models import Invoice
from integrations.models import GoogleDriveIntegration
from integrations.selection import something_to_back_up
from tests.factories import make_invoice

from .conftest import PAGE_URL, SETTINGS_URL, form_fields, integration_of, messages_of


def save(client, **fields):
    data = {"time_zone": "Europe/Warsaw", **fields}
    return client.post(SETTINGS_URL, {k: v for k, v in data.items() if v is not None}, follow=True)


def test_saved_settings_are_kept(client, merchant):
    response = save(client, backup_orders="on", backup_receipts="on", time_zone="America/Sao_Paulo")

    assert "Your backup settings were saved." in messages_of(response)
    integration = integration_of(merchant)
    assert integration.backup_orders is True
    assert integration.backup_invoices is False
    assert integration.backup_receipts is True
    assert integration.time_zone == "America/Sao_Paulo"
    fields = form_fields(client.get(PAGE_URL).content)
    assert "checked" in fields["backup_orders"]
    assert "checked" not in fields["backup_invoices"]
    assert "checked" in fields["backup_receipts"]
    assert fields["time_zone"]["selected"] == "America/Sao_Paulo"


def test_all_boxes_can_be_unticked(client, merchant):
    save(client)
    integration = integration_of(merchant)
    assert not something_to_back_up(integration)


def test_an_unknown_time_zone_is_refused(client, merchant):
    GoogleDriveIntegration.objects.create(merchant=merchant, time_zone="Europe/Lisbon")

    response = save(client, backup_orders="on", time_zone="Mars/Olympus_Mons")

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "The settings were not saved" in " ".join(messages_of(response))
    assert integration_of(merchant).time_zone == "Europe/Lisbon"


def test_time_zone_list_starts_with_the_common_ones_and_is_complete():
    (_common_label, common), (_all_label, others) = time_zone_choices()
    assert [tz for tz, _ in common][:2] == ["Europe/Warsaw", "America/Sao_Paulo"]
    names = [tz for tz, _ in others]
    assert names == sorted(names)
    assert "Asia/Tokyo" in names
    assert "localtime" not in names


def test_settings_are_a_post_with_csrf(user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get(SETTINGS_URL).status_code == 405
    assert browser.post(SETTINGS_URL, {"time_zone": "UTC"}).status_code == 403


@pytest.fixture
def external_accounting(merchant):
    merchant.external_accounting_enabled = True
    merchant.save()
    return merchant


def _api_invoice(merchant) -> Invoice:
    return make_invoice(
        merchant,
        "FV 1/11/2026",
        issue_date=dt.date(2026, 11, 2),
        seller_name="Loja Azul",
        source=Invoice.Source.API,
    )


def test_invoices_box_is_disabled_with_external_accounting_and_no_api_invoices(
    client, external_accounting
):
    page = client.get(PAGE_URL).content.decode()
    invoices = form_fields(page)["backup_invoices"]
    assert "disabled" in invoices
    assert "checked" not in invoices
    assert "invoices issued by your external accounting system are not kept" in page
    assert invoices["aria-describedby"] == "id_backup_invoices_helptext"


@pytest.mark.parametrize("stored", [True, False])
@pytest.mark.parametrize("posted", ["on", None])
def test_a_disabled_invoices_box_keeps_the_stored_choice_under_s11(
    client, external_accounting, stored, posted
):
    """Saving the form for another reason (the time zone) must not forget the merchant's
    choice: it applies again once external accounting is turned off. What is posted for a
    disabled box is ignored; the run itself leaves such invoices out (S11)."""
    GoogleDriveIntegration.objects.create(merchant=external_accounting, backup_invoices=stored)

    save(client, backup_orders="on", backup_invoices=posted, time_zone="America/Sao_Paulo")

    integration = integration_of(external_accounting)
    assert integration.time_zone == "America/Sao_Paulo"
    assert integration.backup_invoices is stored


def test_the_kept_invoices_choice_shows_again_once_external_accounting_is_off(
    client, external_accounting
):
    GoogleDriveIntegration.objects.create(merchant=external_accounting, backup_invoices=True)
    save(client, backup_orders="on", time_zone="America/Sao_Paulo")
    invoices = form_fields(client.get(PAGE_URL).content)["backup_invoices"]
    assert "disabled" in invoices and "checked" not in invoices

    external_accounting.external_accounting_enabled = False
    external_accounting.save()

    invoices = form_fields(client.get(PAGE_URL).content)["backup_invoices"]
    assert "disabled" not in invoices
    assert "checked" in invoices


def test_a_kept_invoices_tick_alone_is_nothing_to_back_up_on_the_page(client, external_accounting):
    GoogleDriveIntegration.objects.create(
        merchant=external_accounting,
        status=GoogleDriveIntegration.Status.CONNECTED,
        refresh_token="1//refresh-token",
        backup_orders=False,
        backup_invoices=True,
        backup_receipts=False,
    )

    page = client.get(PAGE_URL).content.decode()

    assert "Nothing is selected under “What to back up”, so no backup will run." in page
    assert "disabled" in page.split('id="backup-now"')[1].split(">")[0]


def test_invoices_box_is_available_once_invoices_come_through_the_api(client, external_accounting):
    _api_invoice(external_accounting)

    save(client, backup_invoices="on")

    assert integration_of(external_accounting).backup_invoices is True
    invoices = form_fields(client.get(PAGE_URL).content)["backup_invoices"]
    assert "disabled" not in invoices
    assert "checked" in invoices


def test_connected_page_names_the_language_of_the_documents_and_links_to_change_it(
    client, merchant
):
    merchant.language = "pt-br"
    merchant.save(update_fields=["language"])
    GoogleDriveIntegration.objects.create(
        merchant=merchant,
        status=GoogleDriveIntegration.Status.CONNECTED,
        google_email="merchant@example.com",
        connected_at=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC),
        refresh_token="1//refresh-token",
    )

    page = client.get(PAGE_URL).content.decode()

    assert (
        '<dd id="documents-language">Português (Brasil) · '
        '<a href="/accounts/settings/">Change</a></dd>'
    ) in page
