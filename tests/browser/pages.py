"""A browser page in a given language, signed in as a user or not, for the browser tests."""

from __future__ import annotations

from django.conf import settings
from django.test import Client


def page_in(browser, live_server, language: str, user=None, width: int = 1280):
    """A new page whose language cookie is `language`; signed in as `user` when given."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=language)
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    if user is not None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append(
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}
        )
    context.add_cookies(cookies)
    return context.new_page()
