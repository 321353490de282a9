"""A manage.py command started beside `make run` sees the Google settings its processes have."""

from __future__ import annotations

import os

from backupsite.settings import read_fake_google_env

from .conftest import FAKE_GOOGLE_KEYS


def google_environ() -> dict[str, str]:
    return {key: os.environ[key] for key in FAKE_GOOGLE_KEYS if key in os.environ}


def test_commands_read_the_fake_google_that_make_run_started(make_run, clean_google_environ):
    started = make_run(FAKE_GOOGLE_PORT="8791")
    assert started.returncode == 0, started.stderr

    read_fake_google_env(started.fake_env_file)

    processes = {key: started.env[key] for key in FAKE_GOOGLE_KEYS}
    assert google_environ() == processes
    assert processes["GOOGLE_API_ROOT"] == "http://127.0.0.1:8791/"


def test_explicit_settings_win_over_the_file(make_run, clean_google_environ):
    started = make_run()
    clean_google_environ["GOOGLE_API_ROOT"] = "http://127.0.0.1:9999/"

    read_fake_google_env(started.fake_env_file)

    assert os.environ["GOOGLE_API_ROOT"] == "http://127.0.0.1:9999/"
    assert os.environ["GOOGLE_OAUTH_TOKEN_URI"] == "http://127.0.0.1:8765/token"


def test_a_real_client_never_gets_the_fake_of_an_earlier_run(make_run, clean_google_environ):
    started = make_run()
    clean_google_environ["GOOGLE_OAUTH_CLIENT_ID"] = "1234.apps.googleusercontent.com"

    read_fake_google_env(started.fake_env_file)

    assert google_environ() == {"GOOGLE_OAUTH_CLIENT_ID": "1234.apps.googleusercontent.com"}


def test_an_empty_client_id_counts_as_unset(make_run, clean_google_environ):
    started = make_run(GOOGLE_OAUTH_CLIENT_ID="")
    clean_google_environ["GOOGLE_OAUTH_CLIENT_ID"] = ""

    read_fake_google_env(started.fake_env_file)

    assert os.environ["GOOGLE_OAUTH_CLIENT_ID"] == started.env["GOOGLE_OAUTH_CLIENT_ID"]


def test_without_the_file_nothing_changes(tmp_path, clean_google_environ):
    read_fake_google_env(tmp_path / "var" / "fake-google.env")

    assert google_environ() == {}


def test_make_run_with_credentials_deletes_the_file_and_starts_no_fake(make_run):
    make_run()

    started = make_run(
        GOOGLE_OAUTH_CLIENT_ID="1234.apps.googleusercontent.com", GOOGLE_OAUTH_CLIENT_SECRET="s"
    )

    assert started.returncode == 0, started.stderr
    assert not started.fake_env_file.exists()
    assert "google:" not in started.procfile
    assert "GOOGLE_API_ROOT" not in started.env


def test_credentials_in_dot_env_count_too(make_run, checkout):
    make_run()
    (checkout / ".env").write_text("GOOGLE_OAUTH_CLIENT_ID='1234.apps.googleusercontent.com'\n")

    started = make_run()

    assert not started.fake_env_file.exists()
    assert "google:" not in started.procfile
