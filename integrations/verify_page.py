"""What the Google Drive page's "Check my backup" section says (templates/integrations/
_verify_report.html): the last report, in the merchant's words, and whether a repair may start."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from integrations import verify
from integrations.engine.verify import MAX_FILES_PER_CATEGORY
from integrations.models import (
    VERIFY_CATEGORIES,
    BackedUpFile,
    GoogleDriveIntegration,
    VerifyReport,
)
from integrations.run_history import refusal_message
from integrations.runs import back_up_now_refusal

# Each category: its name on the page, what it means, and the badge it gets.
CATEGORY_LABELS = {
    "present": (_("Present"), _("where the backup put them, unchanged"), "badge-ok"),
    "changed": (_("Changed"), _("their content was changed in Drive"), "badge-warn"),
    "trashed": (_("In the trash"), _("in the trash of your Google Drive"), "badge-error"),
    "missing": (_("Deleted"), _("deleted for good from your Google Drive"), "badge-error"),
    "moved": (_("Moved"), _("moved to another folder; that is fine, they are kept"), "badge-info"),
    "unknown": (
        _("Not in the records"),
        _("made by Drive Backup, but not in its records"),
        "badge-info",
    ),
}
FAILURES = {
    verify.ACCESS_LOST: _("access to your Google Drive was lost. Reconnect, then check again."),
    verify.GOOGLE_UNAVAILABLE: _("Google Drive could not be reached. Please try again later."),
    verify.INTERRUPTED: _("it was interrupted. Please try again."),
}


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    meaning: str
    badge: str
    count: int
    files: list[dict] = field(default_factory=list)

    @property
    def more(self) -> int:
        """Files of the category the report does not list (it keeps the first ones); present
        files are only counted."""
        return 0 if self.name == "present" else max(0, self.count - len(self.files))


@dataclass(frozen=True)
class CheckSection:
    report: VerifyReport | None
    active: VerifyReport | None
    categories: list[Category]
    repair_refusal: str | None
    orders_lost: bool

    @property
    def failure(self) -> str:
        if self.report is None or self.report.status != VerifyReport.Status.FAILED:
            return ""
        return str(FAILURES.get(self.report.error, FAILURES[verify.GOOGLE_UNAVAILABLE]))

    @property
    def can_repair(self) -> bool:
        return bool(self.report and self.report.lost) and self.repair_refusal is None

    @property
    def repair_hint(self) -> str:
        return refusal_message(self.repair_refusal) if self.repair_refusal else ""


def section_for(integration: GoogleDriveIntegration) -> CheckSection:
    reports = VerifyReport.objects.filter(integration=integration)
    report = reports.filter(status__in=(VerifyReport.Status.DONE, VerifyReport.Status.FAILED))
    report = report.order_by("-id").first()
    categories = _categories(report) if report and report.status == VerifyReport.Status.DONE else []
    lost_files = [f for c in categories if c.name in ("trashed", "missing") for f in c.files]
    return CheckSection(
        report=report,
        active=verify.active_check(integration.pk),
        categories=categories,
        repair_refusal=back_up_now_refusal(integration),
        orders_lost=any(f.get("kind") == BackedUpFile.Kind.ORDERS for f in lost_files),
    )


def _categories(report: VerifyReport) -> list[Category]:
    result = []
    for name in VERIFY_CATEGORIES:
        label, meaning, badge = CATEGORY_LABELS[name]
        files = [f for f in report.files if f.get("category") == name][:MAX_FILES_PER_CATEGORY]
        result.append(Category(name, str(label), str(meaning), badge, getattr(report, name), files))
    return result
