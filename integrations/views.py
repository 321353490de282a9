"""Integrations → Google Drive: status, connect, settings, disconnect (S1-S4, S11, S12)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.tenancy import merchant_required
from integrations import connection, drive_links, page
from integrations.connect_errors import ConnectError, ConnectFailure, already_connected_message
from integrations.connection import DisconnectOutcome
from integrations.forms import BackupStartForm, DriveSettingsForm
from integrations.models import GoogleDriveIntegration


@merchant_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    integration = GoogleDriveIntegration.objects.filter(merchant=request.merchant).first()
    now = timezone.now()
    context = {
        "integration": integration,
        "overview": page.DriveOverview.of(integration, now) if integration else None,
        "root_folder_url": drive_links.root_folder_url(integration) if integration else "",
    }
    return render(request, "integrations/index.html", context)


@merchant_required
@require_GET
def google_drive(request: HttpRequest) -> HttpResponse:
    integration = connection.integration_for(request.merchant)
    form = DriveSettingsForm(instance=integration, merchant=request.merchant)
    return _render_google_drive(request, integration, form)


def _render_google_drive(
    request: HttpRequest,
    integration: GoogleDriveIntegration,
    form: DriveSettingsForm,
    start_form: BackupStartForm | None = None,
) -> HttpResponse:
    now = timezone.now()
    context = {
        **page.google_drive_context(integration, now),
        "form": form,
        "start_form": start_form or BackupStartForm(integration=integration, now=now),
        "permissions_url": connection.GOOGLE_PERMISSIONS_URL,
    }
    return render(request, "integrations/google_drive.html", context)


@merchant_required
@require_POST
def google_drive_start(request: HttpRequest) -> HttpResponse:
    """Move the backup's start date (S9) back, so older documents are uploaded too."""
    integration = connection.integration_for(request.merchant)
    start_form = BackupStartForm(request.POST, integration=integration, now=timezone.now())
    if not start_form.is_valid():
        messages.error(request, _("The start date was not saved. Please check the form below."))
        form = DriveSettingsForm(instance=integration, merchant=request.merchant)
        return _render_google_drive(request, integration, form, start_form)
    if start_form.save():
        messages.success(
            request,
            _(
                "Invoices and receipts issued since %(date)s are backed up now. Those not in "
                "your Drive yet are uploaded by the next backups."
            )
            % {"date": formats.date_format(integration.documents_since, "DATE_FORMAT")},
        )
    return redirect(f"{reverse('integrations:google_drive')}#coverage")


@merchant_required
@require_POST
def google_drive_settings(request: HttpRequest) -> HttpResponse:
    integration = connection.integration_for(request.merchant)
    form = DriveSettingsForm(request.POST, instance=integration, merchant=request.merchant)
    if not form.is_valid():
        messages.error(request, _("The settings were not saved. Please check the form below."))
        # The form's instance now holds the rejected values; the page shows the stored ones.
        return _render_google_drive(request, connection.integration_for(request.merchant), form)
    form.save()
    messages.success(request, _("Your backup settings were saved."))
    return redirect("integrations:google_drive")


@merchant_required
@require_POST
def google_drive_connect(request: HttpRequest) -> HttpResponse:
    try:
        url = connection.start_connect(
            request.session,
            merchant=request.merchant,
            user=request.user,
            redirect_uri=_callback_uri(request),
        )
    except ConnectError as exc:
        messages.error(request, exc.message)
        return redirect("integrations:google_drive")
    return redirect(url)


def _callback_uri(request: HttpRequest) -> str:
    configured = settings.GOOGLE_OAUTH_REDIRECT_URI
    return configured or request.build_absolute_uri(reverse("integrations:google_drive_callback"))


@never_cache
@merchant_required
@require_GET
def google_drive_callback(request: HttpRequest) -> HttpResponse:
    try:
        result = connection.finish_connect(
            request.session, merchant=request.merchant, user=request.user, params=request.GET
        )
    except ConnectError as exc:
        already = already_connected_message(request.merchant, exc.failure)
        if already is not None:
            messages.info(request, already)
        else:
            denied = exc.failure is ConnectFailure.DENIED
            messages.add_message(request, messages.INFO if denied else messages.ERROR, exc.message)
        return redirect("integrations:google_drive")
    messages.success(
        request,
        _("Google Drive is connected as %(email)s.") % {"email": result.integration.google_email},
    )
    if result.old_grant_revoke is not None and not result.old_grant_revoke.grant_is_gone:
        messages.warning(request, _previous_account_not_revoked_message())
    return redirect("integrations:google_drive")


def _previous_account_not_revoked_message() -> str:
    return format_html(
        _(
            "Google could not be reached to withdraw access from the previously connected "
            'account. You can remove it yourself at <a href="{url}">{url}</a>.'
        ),
        url=connection.GOOGLE_PERMISSIONS_URL,
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def google_drive_disconnect(request: HttpRequest) -> HttpResponse:
    integration = connection.integration_for(request.merchant)
    if request.method == "GET":
        return render(
            request, "integrations/google_drive_disconnect.html", {"integration": integration}
        )
    outcome = connection.disconnect(request.merchant)
    _report_disconnect(request, outcome)
    return redirect("integrations:google_drive")


def _report_disconnect(request: HttpRequest, outcome: DisconnectOutcome) -> None:
    if outcome is DisconnectOutcome.REVOKED:
        messages.success(
            request,
            _(
                "Google Drive was disconnected and Drive Backup's access to your Google account "
                "was withdrawn. Backups have stopped; files already in your Drive stay there."
            ),
        )
    elif outcome is DisconnectOutcome.REVOKE_FAILED:
        messages.warning(
            request,
            format_html(
                _(
                    "Google Drive was disconnected and the stored access was deleted, so "
                    "backups have stopped. Google could not be reached to withdraw the access "
                    'itself: to remove it, open <a href="{url}">{url}</a>, choose Drive Backup '
                    "and select “Remove access”."
                ),
                url=connection.GOOGLE_PERMISSIONS_URL,
            ),
        )
    elif outcome is DisconnectOutcome.KEPT_FOR_OTHER_MERCHANT:
        messages.success(
            request,
            _(
                "Google Drive was disconnected and backups have stopped. The Google account "
                "stays connected to another merchant account on this platform, so its access "
                "was not withdrawn at Google."
            ),
        )
    else:
        messages.info(request, _("Google Drive is not connected."))
