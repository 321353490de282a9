"""Google Drive page, backup runs: "Back up now" and the progress JSON of a run."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.tenancy import merchant_required
from integrations import connection, run_history
from integrations.models import BackupRun
from integrations.runs import BackupNowRefused, start_manual_run


@merchant_required
@require_POST
def backup_now(request: HttpRequest) -> HttpResponse:
    integration = connection.integration_for(request.merchant)
    try:
        start_manual_run(integration.pk)
    except BackupNowRefused as refused:
        messages.warning(request, run_history.refusal_message(refused.reason))
    else:
        messages.success(
            request,
            _(
                "The backup has started. You can follow it below; it goes on if you leave "
                "this page."
            ),
        )
    return redirect(reverse("integrations:google_drive") + "#history")


@never_cache
@merchant_required
@require_GET
def run_progress(request: HttpRequest, run_id: int) -> JsonResponse:
    run = get_object_or_404(BackupRun, integration__merchant=request.merchant, pk=run_id)
    return JsonResponse(run_history.progress_payload(run))
