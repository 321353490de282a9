from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from integrations.models import BackupRun

from .helpers import invoice, receipt


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
