"""The e-mails a merchant gets about backups: who, what, how often."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone, translation

from accounts.models import User
from integrations import notifications, run_errors, runs
from integrations.models import BackupRun, GoogleDriveIntegration
from integrations.runs import RunOutcome
from tests.factories import make_integration, make_run

pytestmark = pytest.mark.django_db


def lose_access(integration: GoogleDriveIntegration, when: dt.datetime | None = None) -> None:
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(
        status=GoogleDriveIntegration.Status.ACCESS_LOST,
        access_lost_at=when or timezone.now(),
    )


def test_access_lost_mail_says_what_happened_and_links_to_reconnect(settings):
    settings.SITE_URL = "https://panel.example.com/"
    integration = make_integration("Loja Azul")
    User.objects.create_user(email="clerk@loja-azul.example", password="x",
                             merchant=integration.merchant)  # fmt: skip
    User.objects.create_user(email="gone@loja-azul.example", password="x",
                             merchant=integration.merchant, is_active=False)  # fmt: skip
    make_integration("Other Shop")
    lose_access(integration)

    assert notifications.notify_access_lost(integration.pk)

    [message] = mail.outbox
    assert message.to == ["clerk@loja-azul.example", "owner@loja-azul.example"]
    assert message.subject == ("Google Drive backup stopped: please reconnect your Google account")
    link = "https://panel.example.com/integrations/google-drive/"
    assert link in message.body
    assert "backup@loja-azul.example" in message.body
    assert "Reconnect Google account" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{link}"' in html


def test_access_lost_mail_goes_once_per_loss():
    integration = make_integration()
    lost_at = timezone.now() - dt.timedelta(days=3)
    lose_access(integration, lost_at)

    assert notifications.notify_access_lost(integration.pk, now=lost_at)
    assert not notifications.notify_access_lost(integration.pk, now=lost_at + dt.timedelta(1))

    # Reconnected, then lost again: that is news.
    lose_access(integration, lost_at + dt.timedelta(days=2))
    assert notifications.notify_access_lost(integration.pk, now=lost_at + dt.timedelta(2))
    assert len(mail.outbox) == 2


def test_no_access_lost_mail_for_an_integration_that_is_connected():
    integration = make_integration()

    assert not notifications.notify_access_lost(integration.pk)
    assert mail.outbox == []
    integration.refresh_from_db()
    assert integration.access_lost_notified_at is None


def test_a_failed_send_gives_the_mark_back(monkeypatch):
    integration = make_integration()
    lose_access(integration)

    def smtp_down(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", smtp_down)
        with pytest.raises(ConnectionRefusedError):
            notifications.notify_access_lost(integration.pk)

    integration.refresh_from_db()
    assert integration.access_lost_notified_at is None
    assert notifications.notify_access_lost(integration.pk)
    assert len(mail.outbox) == 1


def test_failure_streak_mail_waits_for_the_second_failure():
    integration = make_integration(consecutive_failures=1)

    assert not notifications.notify_failure_streak(integration.pk)

    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(consecutive_failures=2)
    assert notifications.notify_failure_streak(integration.pk)
    assert not notifications.notify_failure_streak(integration.pk)
    assert len(mail.outbox) == 1


def test_failure_streak_mail_tells_what_went_wrong_last_time():
    integration = make_integration(consecutive_failures=2)
    make_run(
        integration,
        status=BackupRun.Status.PARTIAL,
        finished_at=timezone.now(),
        errors=[
            run_errors.error_entry("render_failed", kind="invoice", number="FV 3/11/2026"),
            run_errors.error_entry("google_unavailable"),
        ],
    )

    notifications.notify_failure_streak(integration.pk)

    [message] = mail.outbox
    assert "failed twice in a row" in message.subject
    assert "FV 3/11/2026: The PDF of this document could not be created" in message.body
    assert "Google Drive could not be reached" in message.body
    assert "FV 3/11/2026" in message.alternatives[0][0]


def test_a_merchant_without_users_gets_no_mail_and_no_mark():
    integration = make_integration()
    integration.merchant.users.all().delete()
    lose_access(integration)

    assert not notifications.notify_access_lost(integration.pk)
    assert mail.outbox == []
    integration.refresh_from_db()
    assert integration.access_lost_notified_at is None


def test_mails_are_in_the_merchants_language():
    integration = make_integration("Loja Azul", consecutive_failures=2)
    integration.merchant.language = "pt-br"
    integration.merchant.save(update_fields=["language"])
    make_run(
        integration,
        status=BackupRun.Status.FAILED,
        finished_at=timezone.now(),
        errors=[run_errors.error_entry("render_failed", kind="invoice", number="FV 3/11/2026")],
    )
    lose_access(integration)

    notifications.notify_access_lost(integration.pk)
    notifications.notify_failure_streak(integration.pk)

    lost, streak = mail.outbox
    assert lost.subject == "Backup no Google Drive interrompido: reconecte sua conta Google"
    assert "Olá, Loja Azul," in lost.body
    assert "Reconectar conta Google" in lost.body
    html, _mimetype = lost.alternatives[0]
    assert '<html lang="pt-br">' in html
    assert streak.subject == "O backup no Google Drive falhou duas vezes seguidas"
    # The stored error is in English; the mail describes it in the merchant's language.
    assert "FV 3/11/2026: Não foi possível gerar o PDF deste documento" in streak.body


def test_an_english_merchant_gets_english_mail_whatever_language_is_active():
    integration = make_integration()
    lose_access(integration)

    with translation.override("pt-br"):
        notifications.notify_access_lost(integration.pk)

    [message] = mail.outbox
    assert message.subject.startswith("Google Drive backup stopped")
    assert '<html lang="en">' in message.alternatives[0][0]


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_the_mails_hold_for_a_backup_started_by_hand_too(language):
    """'Back up now' and backup_now meet the same trouble as a night: no mail may say
    'tonight' or 'the nightly backup'."""
    integration = make_integration("Loja Azul")
    integration.merchant.language = language
    integration.merchant.save()
    make_run(integration, status=BackupRun.Status.FAILED)
    lose_access(integration)

    assert notifications.notify_access_lost(integration.pk)
    assert notifications.notify_storage_full(integration.pk)

    for message in mail.outbox:
        text = (message.body + message.alternatives[0][0]).lower()
        for night_word in ("tonight", "nightly", "desta noite", "noturno"):
            assert night_word not in text, (message.subject, night_word)


@pytest.mark.parametrize("language", ["en", "pt-br", "pl"])
def test_account_refused_mail_goes_once_until_a_backup_succeeds(language):
    """Google refuses every new file of the account: one e-mail, in the merchant's language,
    with Google's answer; again only after a backup succeeded in between."""
    integration = make_integration("Loja Azul")
    integration.merchant.language = language
    integration.merchant.save()
    entry = run_errors.error_entry(
        "account_refused", detail="HTTP 403 activeItemCreationLimitExceeded: too many items"
    )
    make_run(integration, status=BackupRun.Status.FAILED, errors=[entry],
             finished_at=timezone.now())  # fmt: skip
    outcome = RunOutcome(BackupRun.Status.FAILED, reason="account_refused")

    assert runs.emails_after(integration.pk, outcome) == ["account_refused"]
    assert notifications.notify_account_refused(integration.pk)
    assert not notifications.notify_account_refused(integration.pk)

    [message] = mail.outbox
    with translation.override(language):
        subject = str(translation.gettext(
            "Google Drive backup stopped: Google refuses new files in your Drive"))  # fmt: skip
    assert message.subject == subject
    assert "activeItemCreationLimitExceeded" in message.body
    if language != "en":
        assert "Google Drive refuses to create" not in message.body
    runs.emails_after(integration.pk, RunOutcome(BackupRun.Status.SUCCEEDED))
    assert notifications.notify_account_refused(integration.pk)
