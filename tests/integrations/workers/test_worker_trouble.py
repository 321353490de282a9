"""Nights that go wrong, with a real `celery worker`: a flaky Google, a killed worker, a
revoked grant. Whatever happens, every document ends up in Drive exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from integrations import connection, dispatcher
from integrations.models import BackedUpFile, BackupRun, GoogleDriveIntegration
from tests.integrations.workers.scenario import (
    copies_per_document,
    file_paths,
    folder_paths,
    make_shop,
    runs_finished,
    tonight,
)
from tests.integrations.workers.worker import expire_integration_locks, sent_mail, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RUN_TIMEOUT = 120
FAST_RETRIES = {"BACKUP_RUN_RETRY_COUNTDOWNS": "1,2,4"}


def shop_with_documents(fake, name: str, email: str, documents: int = 4, **boxes: bool):
    shop = make_shop(fake, name, email, **boxes)
    for _ in range(documents):
        shop.add_invoice()
        shop.add_receipt()
    shop.add_order(status_changed_days_ago=1)
    return shop


def assert_each_document_once(fake, shop) -> None:
    shop.refresh()
    expected = shop.expected_documents()
    assert set(expected) <= set(file_paths(fake, shop.google_email))
    copies = copies_per_document(fake, shop.google_email)
    assert {str(doc.uuid) for doc in expected.values()} == set(copies)
    assert set(copies.values()) == {1}, copies
    folders = folder_paths(fake, shop.google_email)
    assert len(folders) == len(set(folders))


def test_a_flaky_google_still_gets_every_document_exactly_once(google_settings, start_worker):
    fake = google_settings
    shops = [
        shop_with_documents(fake, "Loja Azul", "azul@example.com", documents=6),
        shop_with_documents(fake, "Sklep Zielony", "zielony@example.com", documents=6),
        shop_with_documents(fake, "Casa Rosa", "rosa@example.com", documents=6),
    ]
    fake.configure(seed=20261123, p_500=0.025, p_503=0.025, p_429=0.02, p_drop_after_write=0.01)
    # On top of the dice, the worst cases for sure: creates that land but whose answer is lost.
    fake.inject_fault("drop_after_write", count=2, endpoint="upload.create.multipart")
    fake.inject_fault("503", count=1, endpoint="drive.files.create")
    start_worker(**FAST_RETRIES)

    nights: list[list[str]] = []
    for night in range(3):
        report = dispatcher.dispatch(tonight(night))
        wait_for(runs_finished(3 * (night + 1)), timeout=RUN_TIMEOUT, what="the night's runs")
        statuses = sorted(
            BackupRun.objects.filter(pk__in=report.created).values_list("status", flat=True)
        )
        nights.append(statuses)
        if statuses == ["succeeded"] * 3:
            break

    # Every run either succeeded or the next night's caught up (the loop ends on a clean night).
    assert nights[-1] == ["succeeded"] * 3, nights
    faults = sum(
        count
        for name, counter in fake.state_dump()["counters"].items()
        for status, count in counter.items()
        if name.startswith(("drive.", "upload")) and status in {"500", "503", "429", "dropped"}
    )
    assert faults >= 3, "the fault dice never hit: this test proves nothing"
    for shop in shops:
        assert_each_document_once(fake, shop)
    assert not BackedUpFile.objects.filter(state=BackedUpFile.State.UPLOADING).exists()


def test_a_killed_worker_s_run_is_taken_over_without_duplicates(
    google_settings, start_worker, broker
):
    fake = google_settings
    shop = shop_with_documents(fake, "Loja Azul", "azul@example.com", documents=20)
    # Slow enough for the kill to land in the middle of the uploads.
    fake.configure(latency_ms=40)
    first = start_worker("doomed")
    [run_id] = dispatcher.dispatch(tonight()).created
    wait_for(
        lambda: BackupRun.objects.filter(pk=run_id, files_uploaded__gte=5).exists(),
        timeout=RUN_TIMEOUT,
        what="the run to upload a few files",
    )

    first.kill()

    run = BackupRun.objects.get(pk=run_id)
    assert run.status == BackupRun.Status.RUNNING
    assert run.files_uploaded < 41
    # The unacknowledged message is still in Redis: kombu would hand it out again after the
    # visibility timeout (hours); the dispatcher's heartbeat check is the fast way back.
    assert broker.hlen("unacked") == 1
    start_worker("rescuer")
    expire_integration_locks()
    later = timezone.now() + dt.timedelta(seconds=settings.BACKUP_RUN_STALE_SECONDS + 60)
    requeued, abandoned = dispatcher.recover_stalled_runs(later)
    assert (requeued, abandoned) == ([run_id], [])

    wait_for(runs_finished(1), timeout=RUN_TIMEOUT, what="the rescued run")
    run.refresh_from_db()
    assert run.status == BackupRun.Status.SUCCEEDED, run.errors
    assert run.attempts >= 2
    assert_each_document_once(fake, shop)
    assert len(file_paths(fake, shop.google_email)) == 41
    ledger = BackedUpFile.objects.filter(integration=shop.integration)
    assert ledger.filter(state=BackedUpFile.State.DONE).count() == 41
    assert not ledger.exclude(state=BackedUpFile.State.DONE).exists()


def test_a_revoked_grant_stops_that_merchant_only_and_mails_once(
    google_settings, start_worker, mail_dir
):
    fake = google_settings
    healthy = shop_with_documents(fake, "Loja Azul", "azul@example.com")
    revoked = shop_with_documents(fake, "Sklep Zielony", "zielony@example.com")
    leaving = shop_with_documents(fake, "Casa Rosa", "rosa@example.com")
    fake.user_revokes_app("zielony@example.com")
    start_worker(**FAST_RETRIES)

    dispatcher.dispatch(tonight())
    wait_for(runs_finished(3), timeout=RUN_TIMEOUT, what="the night's runs")

    revoked.refresh()
    assert revoked.integration.status == GoogleDriveIntegration.Status.ACCESS_LOST
    assert revoked.integration.access_lost_at is not None
    [lost_run] = revoked.integration.runs.all()
    assert lost_run.status == BackupRun.Status.FAILED
    assert [e["code"] for e in lost_run.errors][:1] == ["access_lost"]
    assert file_paths(fake, "zielony@example.com") == []
    for shop in (healthy, leaving):
        assert shop.integration.runs.get().status == BackupRun.Status.SUCCEEDED
        assert_each_document_once(fake, shop)
    mails = wait_for(lambda: sent_mail(mail_dir), timeout=30, what="the access-lost e-mail")
    assert [(m["To"], "reconnect" in m["Subject"]) for m in mails] == [
        ("owner@sklep-zielony.example", True)
    ]
    refused_refreshes = fake.state_dump()["counters"]["oauth.token"]["400"]
    assert refused_refreshes == 1

    # The next night: the merchant who left gets nothing, the one without access is not
    # tried again (no refresh, no e-mail); the healthy one backs up what is new.
    assert connection.disconnect(leaving.merchant) is connection.DisconnectOutcome.REVOKED
    for shop in (healthy, revoked, leaving):
        shop.add_invoice()
    files_before = {s.google_email: file_paths(fake, s.google_email) for s in (revoked, leaving)}

    report = dispatcher.dispatch(tonight(1))
    wait_for(runs_finished(4), timeout=RUN_TIMEOUT, what="the second night's run")

    assert [BackupRun.objects.get(pk=pk).integration_id for pk in report.created] == [
        healthy.integration.pk
    ]
    assert_each_document_once(fake, healthy)
    for shop in (revoked, leaving):
        assert file_paths(fake, shop.google_email) == files_before[shop.google_email]
    assert fake.state_dump()["counters"]["oauth.token"]["400"] == refused_refreshes
    assert len(sent_mail(mail_dir)) == 1
