"""A merchant's time zone: taken from the browser at sign-up, changed in the account settings,
followed by the Google Drive backup's night and by the times the panel shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from accounts.models import Merchant
from integrations.connection import integration_for
from integrations.models import GoogleDriveIntegration
from tests.accounts.test_signup_login import signup_data
from tests.factories import make_merchant, make_order

pytestmark = pytest.mark.django_db


def test_signup_takes_the_time_zone_the_browser_names(client):
    client.post(reverse("accounts:signup"), signup_data(time_zone="America/Sao_Paulo"))

    assert Merchant.objects.get().time_zone == "America/Sao_Paulo"


@pytest.mark.parametrize(
    ("browser_zone", "page_language", "expected"),
    [
        ("", "pt-br", "America/Sao_Paulo"),
        ("", "en", "Europe/Warsaw"),
        ("Mars/Olympus_Mons", "pt-br", "America/Sao_Paulo"),
        ("localtime", "en", "Europe/Warsaw"),
        ("x" * 500, "en", "Europe/Warsaw"),
    ],
)
def test_without_a_zone_the_server_knows_the_page_language_suggests_one(
    client, settings, browser_zone, page_language, expected
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = page_language

    response = client.post(reverse("accounts:signup"), signup_data(time_zone=browser_zone))

    assert response.status_code == 302, "an unusable hidden value never blocks the sign-up"
    assert Merchant.objects.get().time_zone == expected


def test_the_signup_page_asks_the_browser_for_its_zone_in_a_hidden_field(client):
    page = client.get(reverse("accounts:signup")).content.decode()

    assert '<input type="hidden" name="time_zone" id="id_time_zone">' in page
    assert "resolvedOptions().timeZone" in page


def test_a_new_google_drive_integration_backs_up_in_the_merchant_s_night(client):
    merchant, _ = make_merchant()
    merchant.time_zone = "America/Sao_Paulo"
    merchant.save()

    assert integration_for(merchant).time_zone == "America/Sao_Paulo"


def settings_post(merchant: Merchant, zone: str) -> dict:
    return {"name": merchant.name, "language": merchant.language, "time_zone": zone}


def test_changing_the_zone_moves_a_backup_that_followed_it(client):
    merchant, user = make_merchant()
    integration = integration_for(merchant)
    client.force_login(user)

    response = client.post(reverse("accounts:settings"), settings_post(merchant, "Europe/Lisbon"))

    assert response.status_code == 302
    merchant.refresh_from_db()
    integration.refresh_from_db()
    assert merchant.time_zone == integration.time_zone == "Europe/Lisbon"


def test_a_backup_zone_set_apart_on_the_drive_page_stays(client):
    merchant, user = make_merchant()
    integration = integration_for(merchant)
    integration.time_zone = "America/New_York"
    integration.save()
    other, _ = make_merchant()
    others_integration = integration_for(other)
    client.force_login(user)

    client.post(reverse("accounts:settings"), settings_post(merchant, "Europe/Lisbon"))

    integration.refresh_from_db()
    others_integration.refresh_from_db()
    assert integration.time_zone == "America/New_York"
    assert others_integration.time_zone == "Europe/Warsaw"


def test_an_unknown_zone_is_refused_with_a_message(client):
    merchant, user = make_merchant()
    client.force_login(user)

    response = client.post(reverse("accounts:settings"), settings_post(merchant, "Mars/Olympus"))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    merchant.refresh_from_db()
    assert merchant.time_zone == "Europe/Warsaw"


def test_the_panel_shows_times_in_the_merchant_s_zone(client):
    merchant, user = make_merchant()
    merchant.time_zone = "America/Sao_Paulo"
    merchant.save()
    # 01:30 UTC on 4 November is still 3 November, 22:30, in São Paulo.
    order = make_order(merchant, status_changed_at=dt.datetime(2026, 11, 4, 1, 30, tzinfo=dt.UTC))
    client.force_login(user)

    detail = client.get(reverse("documents:order_detail", args=[order.pk])).content.decode()

    assert "3 Nov 2026, 22:30" in detail
    assert timezone.get_current_timezone_name() == "UTC", "the zone ends with the request"


def test_pages_of_visitors_without_a_merchant_stay_in_the_site_s_zone(client, settings):
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_existing_merchants_take_the_zone_their_backup_already_runs_in():
    from importlib import import_module

    migration = import_module("accounts.migrations.0003_merchant_time_zone")
    connected, _ = make_merchant()
    GoogleDriveIntegration.objects.create(merchant=connected, time_zone="Europe/London")
    brazilian, _ = make_merchant()
    Merchant.objects.filter(pk=brazilian.pk).update(language="pt-br", time_zone="Europe/Warsaw")
    english, _ = make_merchant()

    migration.take_the_zone_merchants_already_chose(apps, None)

    zones = dict(Merchant.objects.values_list("pk", "time_zone"))
    assert zones[connected.pk] == "Europe/London"
    assert zones[brazilian.pk] == "America/Sao_Paulo"
    assert zones[english.pk] == "Europe/Warsaw"


def test_a_zone_this_server_does_not_know_falls_back_to_the_default_and_says_so(caplog):
    from accounts.time_zones import zone_named

    assert str(zone_named("America/Sao_Paulo")) == "America/Sao_Paulo"
    assert str(zone_named("Mars/Olympus_Mons")) == "Europe/Warsaw"
    assert "Unknown time zone 'Mars/Olympus_Mons'" in caplog.text


def test_the_dispatcher_and_the_run_agree_on_an_unknown_zone():
    """Both use the same fallback: the night the dispatcher picks is the one the run dates."""
    from integrations import schedule

    now = dt.datetime(2026, 11, 24, 1, 30, tzinfo=dt.UTC)
    assert schedule.due_night(7, "Mars/Olympus_Mons", now) == schedule.due_night(
        7, "Europe/Warsaw", now
    )
