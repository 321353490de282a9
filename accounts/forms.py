from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Merchant, User, supported_language
from accounts.time_zones import (
    is_known_time_zone,
    time_zone_choices,
    time_zone_for_new_merchant,
)


class SignupForm(forms.Form):
    merchant_name = forms.CharField(
        label=_("Company or shop name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    # Filled in by the page's script from the browser. A hidden field's error could not be
    # shown or corrected, so anything this server does not know is dropped, never refused.
    time_zone = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_merchant_name(self) -> str:
        name = self.cleaned_data["merchant_name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter the name of your company or shop."))
        return name

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"]
        return name if is_known_time_zone(name) else ""

    def clean_email(self) -> str:
        # Whether the address has an account is never said here (accounts.signup).
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()

    def clean(self) -> dict:
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1 and cleaned.get("email"):
            probe = User(email=cleaned["email"], username=cleaned["email"])
            try:
                password_validation.validate_password(password1, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    @transaction.atomic
    def save(self, *, language: str, active: bool = True) -> User:
        """The merchant and its first user; ``language`` is the one the sign-up page was in.
        An inactive user logs in once the e-mail's confirmation link activated it."""
        language = supported_language(language)
        merchant = Merchant.objects.create(
            name=self.cleaned_data["merchant_name"],
            language=language,
            time_zone=time_zone_for_new_merchant(self.cleaned_data.get("time_zone"), language),
        )
        return User.objects.create_user(
            email=self.cleaned_data["email"],
            password=self.cleaned_data["password1"],
            merchant=merchant,
            is_active=active,
        )


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class MerchantSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=Merchant._meta.get_field("time_zone").help_text,
    )

    class Meta:
        model = Merchant
        fields = ["name", "language", "time_zone", "external_accounting_enabled"]
        labels = {"name": _("Company or shop name")}
