"""The time zones a merchant can pick, and the one a new merchant starts with.

A merchant's time zone says what "tonight" means for the backups and in which zone the panel
shows times. Sign-up takes it from the browser; where the browser does not say (or names a
zone this server does not know), the language of the sign-up page suggests one.
"""

from __future__ import annotations

import logging
import zoneinfo
from functools import cache

from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

DEFAULT_TIME_ZONE = "Europe/Warsaw"

# Listed first: the time zones of the markets the panel serves, then the rest alphabetically.
COMMON_TIME_ZONES = (
    "Europe/Warsaw",
    "America/Sao_Paulo",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "UTC",
)

# Where most merchants who sign up in a language live, for a browser that names no zone.
LANGUAGE_TIME_ZONES = {
    "pl": "Europe/Warsaw",
    "pt-br": "America/Sao_Paulo",
}


@cache
def available_time_zones() -> frozenset[str]:
    # "localtime" names this server's zone, not a place a merchant lives in.
    return frozenset(zoneinfo.available_timezones() - {"localtime", "Factory"})


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """The zone of that name; the default one for a name this server does not know (a row
    edited by hand, a zone a newer tzdata dropped), so a night is never lost over it."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        logger.warning("Unknown time zone %r; using %s", name, DEFAULT_TIME_ZONE)
        return zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)


def is_known_time_zone(name: str | None) -> bool:
    return bool(name) and name in available_time_zones()


def time_zone_choices() -> list:
    available = available_time_zones()
    common = [(tz, tz.replace("_", " ")) for tz in COMMON_TIME_ZONES if tz in available]
    others = [(tz, tz.replace("_", " ")) for tz in sorted(available - set(COMMON_TIME_ZONES))]
    return [(_("Common"), common), (_("All time zones"), others)]


def time_zone_for_new_merchant(browser_time_zone: str | None, language: str) -> str:
    """The browser's zone if this server knows it, else the one the language suggests."""
    if is_known_time_zone(browser_time_zone):
        return browser_time_zone  # type: ignore[return-value]
    return LANGUAGE_TIME_ZONES.get(language, DEFAULT_TIME_ZONE)
