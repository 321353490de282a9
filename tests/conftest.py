from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections
from django.utils import translation

pytest_plugins = ["fake_google.pytest_plugin"]


def pytest_configure(config):
    from tests.clock import start_session_clock

    start_session_clock()


def pytest_collection_modifyitems(config, items):
    """Under a mutant of `make mutation`, the fastest tests first: mutmut stops at the first
    failure (-x), and the short tests written for a function usually fail long before a whole
    night of backups does; mutmut would run them in no particular order."""
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return
    stats = Path("mutmut-stats.json")  # mutmut runs the tests inside mutants/
    if not stats.is_file():
        return
    durations = json.loads(stats.read_text())["duration_by_test"]
    items.sort(key=lambda item: durations.get(item.nodeid, math.inf))


def pytest_report_header(config):
    from tests.clock import chosen_moment

    moment = chosen_moment()
    return f"clock: {moment.isoformat()} (TEST_NOW)" if moment else "clock: the wall clock"


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


# Chromium reports every Content-Security-Policy violation on the console; the page's own
# securitypolicyviolation event is logged there too, with the directive and what it blocked.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => console.error(
  `Content Security Policy violation: ${event.violatedDirective} blocked ` +
  `${event.blockedURI || "inline code"} at ${event.sourceFile}:${event.lineNumber}`));
"""


class CspViolations:
    """Collects the CSP violations of every page opened through the `browser` fixture."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch_page(self, page) -> None:
        page.on("console", lambda message: self._console(page, message))

    def watch_context(self, context) -> None:
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("page", self.watch_page)

    def _console(self, page, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.messages.append(f"{page.url}: {message.text}")

    def install(self, chromium) -> None:
        """Wrap the browser's new_context and new_page so every page is watched."""
        new_context = chromium.new_context

        def watched_context(*args, **kwargs):
            context = new_context(*args, **kwargs)
            self.watch_context(context)
            return context

        def watched_page(*args, **kwargs):
            context = watched_context(*args, **kwargs)
            page = context.new_page()
            # Closing a page from new_page() closes its context too, as Playwright's does.
            page.on("close", lambda _page: context.close())
            return page

        chromium.new_context, chromium.new_page = watched_context, watched_page


@pytest.fixture
def csp_violations() -> CspViolations:
    return CspViolations()


@pytest.fixture
def browser(monkeypatch, csp_violations):
    if not CHROMIUM.exists():
        pytest.skip(f"Debian chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
    # itself are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with debian_chromium() as chromium:
        csp_violations.install(chromium)
        yield chromium
    # Every page a browser test opened ran under the panel's Content-Security-Policy.
    assert csp_violations.messages == [], "\n".join(csp_violations.messages)
