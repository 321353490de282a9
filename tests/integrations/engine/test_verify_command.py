"""`manage.py verify_backup --merchant EMAIL [--json] [--repair]` and the check's task."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from integrations import tasks
from integrations.engine.locking import IntegrationLock
from integrations.models import BackupRun, VerifyReport

from .drive_user import ONE_OF_EACH, one_of_each

EMAIL = "merchant@example.com"


def test_json_has_the_six_counts(engine, documents_only, backed_up, capsys):
    one_of_each(engine, documents_only, backed_up)

    call_command("verify_backup", "--merchant", EMAIL, "--json")

    data = json.loads(capsys.readouterr().out)
    counts = {k: data[k] for k in ("present", "changed", "trashed", "missing", "moved", "unknown")}
    assert counts == ONE_OF_EACH
    assert len(data["files"]) == 5
    assert data["report"]["status"] == "done"
    assert "repair" not in data
    assert VerifyReport.objects.get().trigger == VerifyReport.Trigger.COMMAND


def test_repair_sends_the_lost_copies_and_reports_again(engine, documents_only, backed_up, capsys):
    one_of_each(engine, documents_only, backed_up)

    call_command("verify_backup", "--merchant", EMAIL, "--json", "--repair")

    data = json.loads(capsys.readouterr().out)
    assert (data["trashed"], data["missing"], data["present"]) == (0, 0, 4)
    assert data["repair"]["status"] == "succeeded"
    assert data["repair"]["files_uploaded"] == 2
    assert BackupRun.objects.get(pk=data["repair"]["run"]).trigger == BackupRun.Trigger.REPAIR
    assert VerifyReport.objects.count() == 2


def test_text_report_names_the_affected_files(engine, documents_only, backed_up, capsys):
    one_of_each(engine, documents_only, backed_up)

    call_command("verify_backup", "--merchant", EMAIL)

    out = capsys.readouterr().out
    assert "  missing: 1" in out
    assert "[trashed] BaseLinker Backup/2026/11/Invoices/FV 2_11_2026.pdf" in out


def test_repair_with_nothing_lost_runs_nothing(engine, documents_only, backed_up, capsys):
    call_command("verify_backup", "--merchant", EMAIL, "--repair")

    assert "  present: 6" in capsys.readouterr().out
    assert BackupRun.objects.count() == 1  # the backup of the fixture


def test_unknown_merchant_is_an_error(engine, documents_only):
    with pytest.raises(CommandError, match="No connected Google Drive integration"):
        call_command("verify_backup", "--merchant", "nobody@example.com")


def test_a_running_backup_is_an_error_and_leaves_no_report(engine, documents_only, backed_up):
    lock = IntegrationLock(documents_only.pk)
    assert lock.acquire()
    try:
        with pytest.raises(CommandError, match="running right now"):
            call_command("verify_backup", "--merchant", EMAIL)
    finally:
        lock.release()
    assert not VerifyReport.objects.exists()


def test_the_task_keeps_the_report(engine, documents_only, backed_up):
    report = VerifyReport.objects.create(
        integration=documents_only,
        trigger=VerifyReport.Trigger.MANUAL,
        requested_at=documents_only.connected_at,
    )

    assert tasks.check_backup.apply(args=[report.pk]).get() == "done"

    report.refresh_from_db()
    assert report.present == 6


def test_the_monthly_pass_queues_a_check(engine, documents_only, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.check_backup, "delay", queued.append)
    # Connected long ago, never checked.
    documents_only.connected_at -= dt.timedelta(days=400)
    documents_only.save()

    assert tasks.check_due_backups() == 1
    assert queued == [VerifyReport.objects.get().pk]
