"""The Google Drive backup settings (S3, S11) and the merchant's time zone for "night"."""

from __future__ import annotations

from django import forms
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from accounts.models import Merchant
from accounts.time_zones import time_zone_choices
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
            "backup_invoices": _("One PDF per invoice, in the folder of its issue month."),
            "backup_receipts": _("One PDF per receipt, in the folder of its issue month."),
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
