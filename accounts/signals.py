"""What accounts tells the apps built on it, without knowing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a merchant's time zone was changed and saved: merchant=, previous_zone=.
merchant_time_zone_changed = Signal()
