"""Template filters for backup runs (the history on the Google Drive page)."""

from __future__ import annotations

from datetime import timedelta

from django import template

from integrations import page, run_history
from integrations.models import BackupRun

register = template.Library()


@register.filter
def run_folder_url(urls: dict[int, str], run: BackupRun) -> str:
    """The link to the run's month folder in Drive, from drive_links.month_folder_urls."""
    return urls.get(run.pk, "") if urls else ""


@register.filter
def run_error_messages(run: BackupRun) -> list[str]:
    return run_history.error_messages(run)


@register.filter
def run_result_label(run: BackupRun) -> str:
    return run_history.result_label(run)


@register.filter
def run_result_note(run: BackupRun) -> str:
    return run_history.result_note(run)


@register.filter
def run_result_badge(run: BackupRun) -> str:
    return run_history.result_badge(run)


@register.filter
def run_duration(duration: timedelta | None) -> str:
    return run_history.format_duration(duration)


@register.filter
def run_size(num_bytes: int) -> str:
    return run_history.format_size(num_bytes)


@register.filter
def run_progress_percent(run: BackupRun) -> int | None:
    return run_history.progress_percent(run)


@register.filter
def run_progress_text(run: BackupRun) -> str:
    return run_history.progress_text(run)


@register.filter
def run_waiting_for_retry(run: BackupRun) -> bool:
    return run_history.waiting_for_retry(run)


@register.filter
def coverage_copies(counts) -> str:
    """ "12 of 15": copies in Drive of the documents a backup can copy."""
    return page.copies_text(counts)
