from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from accounts.models import User
from integrations.models import BackupRun, GoogleDriveIntegration
from tests.integrations.engine.helpers import invoice, receipt


def test_backup_now_runs_one_merchant_and_says_what_it_did(engine, integration, merchant, capsys):
    User.objects.create_user(email="owner@loja.example", password="x", merchant=merchant)
    integration.backup_orders = False
    integration.save()
    today = dt.date.today()
    invoice(merchant, "FV 1/X", today)
    receipt(merchant, "PAR 1/X", today)

    call_command("backup_now", merchant="owner@loja.example")

    out = capsys.readouterr().out
    run = BackupRun.objects.get()
    assert run.trigger == BackupRun.Trigger.MANUAL
    assert run.status == BackupRun.Status.SUCCEEDED
    assert "status: succeeded" in out
    assert "files: 2 (invoices 1, receipts 1" in out
    assert f"Drive requests: {run.drive_calls}" in out


def test_backup_now_fails_loudly_when_nothing_matches(engine, integration):
    with pytest.raises(CommandError):
        call_command("backup_now", merchant="nobody@example.com")


# The command ends a run the way a worker's last attempt does, e-mails included.


@pytest.fixture
def owner(merchant) -> User:
    return User.objects.create_user(email="owner@loja.example", password="x", merchant=merchant)


def test_backup_now_with_a_revoked_grant_mails_the_merchant_once(
    engine, documents_only, merchant, owner, eager_celery
):
    invoice(merchant, "FV 1/X", dt.date.today())
    engine.user_revokes_app("merchant@example.com")

    with pytest.raises(CommandError):
        call_command("backup_now", merchant=owner.email)

    documents_only.refresh_from_db()
    assert documents_only.status == GoogleDriveIntegration.Status.ACCESS_LOST
    assert documents_only.access_lost_notified_at is not None
    [message] = mail.outbox
    assert message.to == [owner.email]
    assert "reconnect" in message.subject.lower()


def test_backup_now_failing_twice_in_a_row_mails_the_merchant(
    engine, documents_only, merchant, owner, eager_celery, settings
):
    settings.BACKUP_DRIVE_MAX_ATTEMPTS = 2
    invoice(merchant, "FV 1/X", dt.date.today())
    engine.configure(p_503=1.0)

    for _night in range(2):
        with pytest.raises(CommandError):
            call_command("backup_now", merchant=owner.email)

    assert [m.subject for m in mail.outbox] == ["Google Drive backup failed twice in a row"]
    assert mail.outbox[0].to == [owner.email]


def test_backup_now_succeeding_clears_the_full_drive_mark(
    engine, documents_only, merchant, owner, eager_celery
):
    engine.configure(storage_quota_bytes=1)
    invoice(merchant, "FV 1/X", dt.date.today())
    with pytest.raises(CommandError):
        call_command("backup_now", merchant=owner.email)
    engine.configure(storage_quota_bytes=None)
    call_command("backup_now", merchant=owner.email)
    engine.configure(storage_quota_bytes=1)
    invoice(merchant, "FV 2/X", dt.date.today())

    with pytest.raises(CommandError):
        call_command("backup_now", merchant=owner.email)

    assert len(mail.outbox) == 2
    assert all("full" in m.subject for m in mail.outbox)


@pytest.mark.parametrize(
    ("heartbeat_age", "says"),
    [
        (dt.timedelta(seconds=5), "its worker is alive (heartbeat 5 s ago)"),
        (dt.timedelta(minutes=4), "its worker has not been heard of for 240 s and may be dead"),
    ],
)
def test_backup_now_on_a_run_another_worker_holds_says_if_that_worker_lives(
    engine, integration, capsys, heartbeat_age, says
):
    from django.utils import timezone

    from integrations.engine.locking import IntegrationLock

    now = timezone.now()
    BackupRun.objects.create(
        integration=integration,
        trigger=BackupRun.Trigger.SCHEDULED,
        status=BackupRun.Status.RUNNING,
        started_at=now - dt.timedelta(minutes=10),
        heartbeat_at=now - heartbeat_age,
    )
    lock = IntegrationLock(integration.pk)
    assert lock.acquire()
    try:
        call_command("backup_now", merchant=integration.google_email)
    finally:
        lock.release()

    out = capsys.readouterr().out
    assert "status: skipped" in out
    assert says in out
