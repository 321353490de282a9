"""Content-Security-Policy (django-csp), with the Google sign-in page as a form target.

The policy itself is CONTENT_SECURITY_POLICY in settings. "Connect Google account" is a form
whose answer redirects to Google's consent page, and Chromium checks form-action against that
redirect too, so the origin of GOOGLE_OAUTH_AUTH_URI (Google, or the local fake_google) is
added to each answer's form-action, as configured at that moment.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def google_sign_in_origin() -> str:
    parts = urlsplit(settings.GOOGLE_OAUTH_AUTH_URI)
    return f"{parts.scheme}://{parts.netloc}"


class PanelCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        update = dict(parts.update or {})
        form_action = update.get("form-action", [])
        update["form-action"] = [*form_action, google_sign_in_origin()]
        parts.update = update
        return parts
