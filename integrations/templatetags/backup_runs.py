"""Template helpers for backup runs: `{% backup_history integration as history %}` and filters."""

from __future__ import annotations

from datetime import timedelta

from django import template

from integrations import run_history
from integrations.models import BackupRun, GoogleDriveIntegration

register = template.Library()


@register.simple_tag
def backup_history(integration: GoogleDriveIntegration) -> run_history.RunHistory:
    return run_history.history_for(integration)


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
