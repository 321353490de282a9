from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Merchant, User
from accounts.signals import merchant_time_zone_changed
from accounts.time_zones import time_zone_choices


class UserInline(admin.TabularInline):
    model = User
    fields = ("email", "first_name", "last_name", "is_active", "last_login")
    readonly_fields = ("email", "last_login")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "language",
        "time_zone",
        "external_accounting_enabled",
        "api_token_set",
        "created_at",
    )
    list_filter = ("language", "external_accounting_enabled", "created_at")
    search_fields = ("name", "users__email")
    # Only the token's prefix is shown; its hash is never editable here.
    fields = (
        "name",
        "language",
        "time_zone",
        "external_accounting_enabled",
        "api_token_prefix",
        "created_at",
    )
    readonly_fields = ("api_token_prefix", "created_at")
    inlines = [UserInline]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "time_zone":
            return forms.ChoiceField(
                label=db_field.verbose_name.capitalize(),
                choices=time_zone_choices,
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj: Merchant, form, change: bool) -> None:
        previous_zone = form.initial.get("time_zone")
        super().save_model(request, obj, form, change)
        if change and previous_zone and obj.time_zone != previous_zone:
            merchant_time_zone_changed.send(
                sender=Merchant, merchant=obj, previous_zone=previous_zone
            )

    @admin.display(boolean=True, description=_("API token"))
    def api_token_set(self, obj: Merchant) -> bool:
        return bool(obj.api_token_hash)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "merchant", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "first_name", "last_name", "merchant__name")
    list_select_related = ("merchant",)
    autocomplete_fields = ("merchant",)
    fieldsets = (
        (None, {"fields": ("email", "password", "merchant")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "merchant", "password1", "password2")}),
    )
