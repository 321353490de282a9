"""Google Drive page, "Check my backup" and "Re-send missing copies" (two buttons)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.tenancy import merchant_required
from integrations import connection, run_history, verify
from integrations.models import VerifyReport
from integrations.runs import BackupNowRefused, start_repair_run
from integrations.tasks import check_backup


@merchant_required
@require_POST
def check_now(request: HttpRequest) -> HttpResponse:
    integration = connection.integration_for(request.merchant)
    try:
        report = verify.request_check(integration.pk, VerifyReport.Trigger.MANUAL)
    except verify.CheckRefused as refused:
        if refused.reason == verify.CheckRefused.ALREADY_ACTIVE:
            messages.info(request, _("A check of your backup is already under way."))
        else:
            messages.warning(request, _("Connect a Google account to check your backup."))
    else:
        transaction.on_commit(lambda: check_backup.delay(report.pk))
        messages.success(
            request, _("The check has started. Reload this page in a moment to see its report.")
        )
    return redirect(reverse("integrations:google_drive") + "#check")


@merchant_required
@require_POST
def resend_missing(request: HttpRequest) -> HttpResponse:
    integration = connection.integration_for(request.merchant)
    try:
        start_repair_run(integration.pk)
    except BackupNowRefused as refused:
        messages.warning(request, run_history.refusal_message(refused.reason))
        return redirect(reverse("integrations:google_drive") + "#check")
    messages.success(
        request,
        _("The missing copies are being sent again. You can follow it in the backup history."),
    )
    return redirect(reverse("integrations:google_drive") + "#history")
