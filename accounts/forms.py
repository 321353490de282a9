from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Merchant, User, supported_language


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

    def clean_merchant_name(self) -> str:
        name = self.cleaned_data["merchant_name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter the name of your company or shop."))
        return name

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email

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
    def save(self, *, language: str) -> User:
        """The merchant and its first user; ``language`` is the one the sign-up page was in."""
        merchant = Merchant.objects.create(
            name=self.cleaned_data["merchant_name"], language=supported_language(language)
        )
        return User.objects.create_user(
            email=self.cleaned_data["email"],
            password=self.cleaned_data["password1"],
            merchant=merchant,
        )


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class MerchantSettingsForm(forms.ModelForm):
    class Meta:
        model = Merchant
        fields = ["name", "language", "external_accounting_enabled"]
        labels = {"name": _("Company or shop name")}
