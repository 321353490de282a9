from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections
from django.utils import translation

pytest_plugins = ["fake_google.pytest_plugin"]


def pytest_sessionfinish(session, exitstatus):
    from tests.isolation import release_session_slot

    release_session_slot()


@pytest.fixture(autouse=True)
def _fast_test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters (the cache) start empty in every test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test ends in the default language: a request in another one (the test client runs
    it in this thread) leaves that language active, and LocaleMiddleware does not reset it, so
    amounts and texts of later tests would come out in it."""
    yield
    translation.deactivate()


@pytest.fixture
def eager_celery():
    """Tasks (and their retries, and the e-mails they queue) run in the calling thread."""
    from backupsite.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = saved


FAKE_CLIENT_ID = "fake-client-id.apps.googleusercontent.com"
FAKE_CLIENT_SECRET = "fake-client-secret"
TEST_SERVER_CALLBACK = "http://testserver/integrations/google-drive/callback/"


@pytest.fixture
def google_settings(settings, fake_google, monkeypatch):
    """Point the app's Google endpoints at a fresh fake_google; returns the fake."""
    settings.GOOGLE_OAUTH_CLIENT_ID = FAKE_CLIENT_ID
    settings.GOOGLE_OAUTH_CLIENT_SECRET = FAKE_CLIENT_SECRET
    settings.GOOGLE_OAUTH_AUTH_URI = f"{fake_google.url}/o/oauth2/auth"
    settings.GOOGLE_OAUTH_TOKEN_URI = f"{fake_google.url}/token"
    settings.GOOGLE_OAUTH_REVOKE_URI = f"{fake_google.url}/revoke"
    settings.GOOGLE_API_ROOT = f"{fake_google.url}/"
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    fake_google.register_client(FAKE_CLIENT_ID, FAKE_CLIENT_SECRET, [TEST_SERVER_CALLBACK])
    return fake_google


CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling Google's hosts, which a closed
# network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def debian_chromium() -> Iterator:
    """Debian's Chromium driven by Playwright (never a browser downloaded by Playwright)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            # While Playwright's event loop runs in this thread, Django keeps the thread's
            # database connections in a slot of their own (asgiref's Local follows the running
            # loop's context), apart from the ones it uses without a loop. Once the loop stops,
            # nothing reaches them to close them: on PostgreSQL such a session stays open and
            # the test database cannot be dropped at the end of the run.
            connections.close_all()


@pytest.fixture
def browser(monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip(f"Debian chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
    # itself are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with debian_chromium() as chromium:
        yield chromium
