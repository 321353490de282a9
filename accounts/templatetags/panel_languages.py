"""The header's language switch names each language in itself ("English", "Polski")."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def languages_in_their_own_names() -> list[tuple[str, str]]:
    # `get_available_languages` translates the names into the page's language, so a Polish
    # page offered "angielski" beside "Polski": someone who reads only English would not find
    # their way back.
    return list(settings.LANGUAGES)
