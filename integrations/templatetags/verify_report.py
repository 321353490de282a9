"""`{% verify_section integration as check %}`: the "Check my backup" section's content."""

from __future__ import annotations

from django import template

from integrations import verify_page
from integrations.models import GoogleDriveIntegration

register = template.Library()


@register.simple_tag
def verify_section(integration: GoogleDriveIntegration) -> verify_page.CheckSection:
    return verify_page.section_for(integration)
