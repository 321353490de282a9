"""What the Google Drive page shows about backup runs: history, "Back up now", live progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from integrations import run_errors
from integrations.models import BackupRun, GoogleDriveIntegration
from integrations.runs import BackupNowRefused, active_run, back_up_now_refusal

HISTORY_LENGTH = 30
# SI symbols, the same in every language of the panel.
SIZE_UNITS = ("kB", "MB", "GB", "TB")
# The run_errors code of a run that stopped because Google Drive was disconnected.
DISCONNECTED_CODE = "disconnected"

REFUSAL_MESSAGES = {
    BackupNowRefused.NOT_CONNECTED: gettext_lazy(
        "Connect a Google account first: backups need access to your Google Drive."
    ),
    BackupNowRefused.ACCESS_LOST: gettext_lazy(
        "Reconnect your Google account first: Google no longer lets backups into your Drive."
    ),
    BackupNowRefused.NOTHING_SELECTED: gettext_lazy(
        "Tick at least one kind of document under “What to back up” first."
    ),
    BackupNowRefused.ALREADY_ACTIVE: gettext_lazy(
        "A backup is already in progress. You can start another one when it has finished."
    ),
}

STATUS_BADGES = {
    BackupRun.Status.QUEUED: "badge-info",
    BackupRun.Status.RUNNING: "badge-info",
    BackupRun.Status.SUCCEEDED: "badge-ok",
    BackupRun.Status.PARTIAL: "badge-warn",
    BackupRun.Status.FAILED: "badge-error",
}


@dataclass(frozen=True)
class RunHistory:
    runs: list[BackupRun]
    active_run: BackupRun | None
    refusal: str | None

    @property
    def refusal_message(self) -> str:
        return str(REFUSAL_MESSAGES[self.refusal]) if self.refusal else ""

    @property
    def button_hint(self) -> str:
        """Why "Back up now" is disabled. A backup in progress (often the one the merchant
        just started) is no refusal: the hint only says what is going on."""
        if self.refusal == BackupNowRefused.ALREADY_ACTIVE:
            if self.active_run is not None and waiting_for_retry(self.active_run):
                return retry_message(self.active_run)
            return _("Backing up now…")
        return self.refusal_message


def history_for(integration: GoogleDriveIntegration) -> RunHistory:
    runs = list(integration.runs.order_by("-queued_at", "-id")[:HISTORY_LENGTH])
    return RunHistory(
        runs=runs,
        active_run=active_run(integration),
        refusal=back_up_now_refusal(integration),
    )


def refusal_message(reason: str) -> str:
    return str(REFUSAL_MESSAGES[reason])


def stopped_by_disconnect(run: BackupRun) -> bool:
    """The merchant disconnected (or switched Google accounts) while the run was going.

    Not a failure of the backup: the run stopped because it was told to.
    """
    errors = run.errors or []
    return (
        run.status not in BackupRun.ACTIVE_STATUSES
        and bool(errors)
        and errors[0].get("code") == DISCONNECTED_CODE
    )


def waiting_for_retry(run: BackupRun) -> bool:
    """The run started, met trouble Google may get over (a 503, a timeout) and waits to go on.

    Such a run is queued again; its problems so far are what the retry will try to mend, not
    what "the next backup" will.
    """
    return run.status == BackupRun.Status.QUEUED and run.started_at is not None


def retry_time(run: BackupRun) -> str:
    """When a run waiting for its retry goes on, in the panel's (the merchant's) time zone."""
    if run.not_before is None:
        return ""
    return formats.time_format(timezone.localtime(run.not_before), "TIME_FORMAT")


def retry_message(run: BackupRun) -> str:
    at = retry_time(run)
    if at:
        # Retries wait 1, 5 and 15 minutes: the time says more than "in a few minutes".
        return _("Google Drive did not answer; the backup goes on at %(time)s…") % {"time": at}
    return _("Google Drive did not answer; the backup will go on in a few minutes…")


def result_label(run: BackupRun) -> str:
    if stopped_by_disconnect(run):
        return _("Stopped")
    if waiting_for_retry(run):
        return _("Waiting to retry")
    return str(run.get_status_display())


def result_note(run: BackupRun) -> str:
    """Why the run stopped, under its result: short enough for the badge's column to wrap."""
    if stopped_by_disconnect(run):
        return _("Google Drive was disconnected")
    return ""


def result_badge(run: BackupRun) -> str:
    """The classes of the run's result badge; a neutral one for a run the merchant stopped."""
    if stopped_by_disconnect(run):
        return "badge"
    if waiting_for_retry(run):
        return "badge badge-warn"
    return f"badge {STATUS_BADGES.get(run.status, 'badge-info')}"


def error_messages(run: BackupRun) -> list[str]:
    """The run's problems in the viewer's language, one line each, document number first.

    A disconnect is told by the result itself, so it is no problem of its own. While the run
    waits for its retry, what went wrong so far is mended by that retry, not by "the next
    backup" the stored messages promise: one line says so, as the progress box does.
    """
    if waiting_for_retry(run) and run.errors:
        return [retry_message(run)]
    lines = []
    for entry in run.errors or []:
        if entry.get("code") == DISCONNECTED_CODE:
            continue
        text = run_errors.describe(entry)
        number = entry.get("number")
        lines.append(f"{number}: {text}" if number else text)
    return lines


def format_duration(duration: timedelta | None) -> str:
    if duration is None:
        return ""
    seconds = max(0, round(duration.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)d min %(seconds)02d s") % {"minutes": minutes, "seconds": seconds}
    return _("%(seconds)d s") % {"seconds": seconds}


def format_size(num_bytes: int) -> str:
    """Bytes in decimal units, named as such: 61,667 bytes are "61.7 kB".

    Django's filesizeformat divides by 1024 and still writes "KB" (61,667 bytes: "60.2 KB").
    Google Drive's own pages count in powers of 1000 as well.
    """
    if num_bytes < 1000:
        text = ngettext("%(size)d byte", "%(size)d bytes", num_bytes) % {"size": num_bytes}
        return text.replace(" ", "\xa0")
    value = float(num_bytes)
    for unit in SIZE_UNITS:
        value /= 1000
        # 999,960 bytes are "1.0 MB", not "1000.0 kB".
        if round(value, 1) < 1000 or unit == SIZE_UNITS[-1]:
            break
    return f"{formats.number_format(round(value, 1), 1)}\xa0{unit}"


def progress_percent(run: BackupRun) -> int | None:
    """None while the run does not know yet how much there is to do.

    A run waiting for its retry is not working: its bar stands still where it stopped (an
    indeterminate bar would say the opposite).
    """
    if not run.progress_total:
        return 0 if waiting_for_retry(run) else None
    return min(100, (100 * run.progress_done) // run.progress_total)


def progress_text(run: BackupRun) -> str:
    if run.status == BackupRun.Status.QUEUED and run.started_at is None:
        return _("Waiting to start…")
    if run.status == BackupRun.Status.QUEUED:
        return retry_message(run)
    if run.status == BackupRun.Status.RUNNING and not run.progress_total:
        return _("Preparing the files…")
    if run.status == BackupRun.Status.RUNNING:
        return ngettext(
            "%(done)s of %(total)s file backed up",
            "%(done)s of %(total)s files backed up",
            run.progress_total,
        ) % {"done": run.progress_done, "total": run.progress_total}
    return result_label(run)


def progress_payload(run: BackupRun) -> dict:
    """The JSON the page polls while a run is active."""
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": result_label(run),
        "active": run.status in BackupRun.ACTIVE_STATUSES,
        "done": run.progress_done,
        "total": run.progress_total,
        "percent": progress_percent(run),
        "text": progress_text(run),
        "files_uploaded": run.files_uploaded,
        "bytes_uploaded": run.bytes_uploaded,
        "bytes_label": format_size(run.bytes_uploaded),
        "orders_exported": run.orders_exported,
        "invoices_uploaded": run.invoices_uploaded,
        "receipts_uploaded": run.receipts_uploaded,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
