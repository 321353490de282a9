"""Admin: integrations without secrets and without an add button; runs and ledger read-only."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from integrations.models import BackedUpFile, BackupRun, GoogleDriveIntegration


@pytest.fixture
def admin_client(db) -> Client:
    admin = User.objects.create_superuser(email="admin@platform.example", password="x")
    browser = Client()
    browser.force_login(admin)
    return browser


@pytest.fixture
def integration(merchant) -> GoogleDriveIntegration:
    return GoogleDriveIntegration.objects.create(
        merchant=merchant, status="connected", refresh_token="1//secret-refresh-token"
    )


def test_integration_admin_shows_status_but_never_the_token(admin_client, integration):
    page = admin_client.get(f"/admin/integrations/googledriveintegration/{integration.pk}/change/")
    assert page.status_code == 200
    assert "secret-refresh-token" not in page.content.decode()
    form = page.context["adminform"].form
    assert "refresh_token" not in form.fields
    assert "status" not in form.fields, "status is read-only"


def test_integration_admin_cannot_set_the_token_by_post(admin_client, integration):
    admin_client.post(
        f"/admin/integrations/googledriveintegration/{integration.pk}/change/",
        {
            "refresh_token": "1//injected",
            "status": "not_connected",
            "backup_orders": "on",
            "time_zone": "UTC",
        },
    )
    integration.refresh_from_db()
    assert integration.refresh_token == "1//secret-refresh-token"
    assert integration.status == "connected"


def test_no_add_button_for_integrations(admin_client, db):
    assert admin_client.get("/admin/integrations/googledriveintegration/add/").status_code == 403


def test_runs_and_ledger_are_read_only(admin_client, integration):
    run = BackupRun.objects.create(integration=integration, trigger="manual")
    entry = BackedUpFile.objects.create(
        integration=integration,
        run=run,
        kind="orders",
        fingerprint="f",
        name="orders.csv",
        folder_path="BaseLinker Backup/2026/11/Orders",
        drive_file_id="d1",
    )
    for model, obj in (("backuprun", run), ("backedupfile", entry)):
        assert admin_client.get(f"/admin/integrations/{model}/").status_code == 200
        view = admin_client.get(f"/admin/integrations/{model}/{obj.pk}/change/")
        assert view.status_code == 200
        assert view.context["has_change_permission"] is False
        assert admin_client.get(f"/admin/integrations/{model}/add/").status_code == 403
        assert admin_client.post(f"/admin/integrations/{model}/{obj.pk}/delete/").status_code == 403
    assert BackupRun.objects.filter(pk=run.pk).exists()
