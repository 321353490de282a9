"""Merchants (the tenant) and the people who log in to them."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.time_zones import DEFAULT_TIME_ZONE


def language_choices() -> list[tuple[str, str]]:
    # A callable, so that offering another language needs no migration.
    return list(settings.LANGUAGES)


def supported_language(code: str | None) -> str:
    """``code`` if the site offers it, or the offered variant of it ("pt" → "pt-br");
    otherwise the default language."""
    try:
        return translation.get_supported_language_variant(code or "")
    except LookupError:
        return settings.LANGUAGE_CODE


class Merchant(models.Model):
    """A merchant account: owns every order, document and integration."""

    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(
        _("language of documents and e-mails"),
        max_length=15,
        choices=language_choices,
        default=settings.LANGUAGE_CODE,
        help_text=_(
            "Prints of invoices and receipts, the PDFs saved to Google Drive from now on and "
            "the e-mails about backups use this language. Files already in Drive stay as "
            "they are."
        ),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=DEFAULT_TIME_ZONE,
        help_text=_(
            "The panel shows times in this time zone. Google Drive backups run during its "
            "night, unless the Google Drive page names another time zone."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    external_accounting_enabled = models.BooleanField(
        _("external accounting integration enabled"),
        default=False,
        help_text=_("Invoices are issued by an external accounting system."),
    )
    # Only a hash of the API token is stored; the token is shown once when generated.
    api_token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    api_token_prefix = models.CharField(max_length=8, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def rotate_api_token(self) -> str:
        """Issue a new API token, keep only its hash and return the plaintext once."""
        token = "dbk_" + secrets.token_urlsafe(32)
        self.api_token_hash = hash_api_token(token)
        self.api_token_prefix = token[:8]
        self.save(update_fields=["api_token_hash", "api_token_prefix"])
        return token


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class EmailUserManager(UserManager):
    def _create_user(self, username, email, password, **extra_fields):  # type: ignore[override]
        email = self.normalize_email(email or username)
        return super()._create_user(email, email, password, **extra_fields)

    def create_user(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        return super().create_user(email, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        return super().create_superuser(email, email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in with an e-mail address and belongs to one merchant."""

    email = models.EmailField(_("e-mail address"), unique=True)
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="users",
        null=True,
        blank=True,
        help_text=_("Staff accounts of the platform may have none."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = EmailUserManager()

    def save(self, *args, **kwargs):
        # The username mirrors the e-mail so Django's admin and tooling keep working.
        self.username = self.email
        super().save(*args, **kwargs)
