"""The Google Drive backup settings (S3, S11), the time zone for "night" and the start date (S9)."""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.utils import formats
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from accounts.models import Merchant
from accounts.time_zones import time_zone_choices, zone_named
from integrations.coverage import backup_start, last_months
from integrations.models import GoogleDriveIntegration
from integrations.schedule import next_run_at
from integrations.selection import invoices_backup_available


class DriveSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("Backups run during the night in this time zone."),
    )

    class Meta:
        model = GoogleDriveIntegration
        fields = ["backup_orders", "backup_invoices", "backup_receipts", "time_zone"]
        labels = {
            "backup_orders": _("Orders (CSV)"),
            "backup_invoices": _("Invoices (PDF)"),
            "backup_receipts": _("Receipts, non-fiscal (PDF)"),
        }
        help_texts = {
            "backup_orders": _(
                "One spreadsheet a night with every order whose status changed in the last 30 days."
            ),
            "backup_invoices": _(
                "One PDF per invoice issued since the backup's start date, in the folder of its "
                "issue month."
            ),
            "backup_receipts": _(
                "One PDF per receipt issued since the backup's start date, in the folder of its "
                "issue month."
            ),
        }

    def __init__(self, *args, merchant: Merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoices_available = invoices_backup_available(merchant)
        if not self.invoices_available:
            # S11: shown unticked and disabled, whatever is stored: nothing of them is backed
            # up. What is posted for it is ignored, and clean_ keeps the stored choice.
            field = self.fields["backup_invoices"]
            field.disabled = True
            field.initial = False
            self.initial["backup_invoices"] = False
            field.help_text = _(
                "Not available: invoices issued by your external accounting system are not "
                "kept by the platform, for legal reasons, so they cannot be backed up. "
                "Invoices sent in through the API can: once you send one, this option "
                "becomes available."
            )

    def save(self, commit: bool = True) -> GoogleDriveIntegration:
        if "time_zone" in self.changed_data:
            # The night is another one now: the dispatcher must look at it by the new zone.
            integration = self.instance
            integration.next_run_at = next_run_at(integration.pk, integration.time_zone, now())
        return super().save(commit)

    def clean_backup_invoices(self) -> bool:
        if not self.invoices_available:
            # The merchant's tick applies again once external accounting is off; the run
            # leaves external invoices out meanwhile (selection.invoices_wanted).
            return self.instance.backup_invoices
        return self.cleaned_data["backup_invoices"]


# How far back the merchant can move the backup's start date: five years of months.
BACKFILL_MONTHS = 60


def start_choices(start: date, today: date) -> list[tuple[str, str]]:
    """The first of each month from `today`'s back BACKFILL_MONTHS, newest first; `start`
    too if it is none of them (set with `backup_now --since`)."""
    months = last_months(today, BACKFILL_MONTHS + 1)
    if start not in months:
        months = sorted([*months, start], reverse=True)
    return [(month.isoformat(), formats.date_format(month, "DATE_FORMAT")) for month in months]


class BackupStartForm(forms.Form):
    """S9 moved back: invoices and receipts issued since this date are backed up.

    Older documents are then uploaded by the next runs, which take every document since the
    start that is not in Drive yet. Moving it forward leaves the copies in Drive alone.
    """

    documents_since = forms.TypedChoiceField(
        label=_("Back up invoices and receipts issued since"),
        coerce=date.fromisoformat,
        help_text=_(
            "Choose an earlier month to add older documents: the next backups upload them. "
            "Up to five years back."
        ),
    )

    def __init__(self, *args, integration: GoogleDriveIntegration, now: datetime, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.integration = integration
        self.start, self.start_is_default = backup_start(integration, now)
        today = now.astimezone(zone_named(integration.time_zone)).date()
        field = self.fields["documents_since"]
        field.choices = start_choices(self.start, today)
        field.initial = self.start.isoformat()

    def save(self) -> bool:
        """Store the chosen date; False if nothing changed.

        S9's default is not stored before the first run: it is the month that run starts in,
        which may be a later one than today's.
        """
        chosen = self.cleaned_data["documents_since"]
        if chosen == self.start:
            return False
        GoogleDriveIntegration.objects.filter(pk=self.integration.pk).update(documents_since=chosen)
        self.integration.documents_since = chosen
        return True
