"""`make run` on a fresh checkout: it generates the two secrets once, into a private file."""

from __future__ import annotations

import stat

from cryptography.fernet import Fernet

from backupsite.settings import BASE_DIR


def read_env_file(path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if "=" in line and line[0] != "#"]
    return dict(line.split("=", 1) for line in lines)


def test_first_run_generates_both_secrets_into_a_private_file(make_run, checkout):
    started = make_run()

    assert started.returncode == 0, started.stderr
    path = checkout / "var" / "local-secrets.env"
    values = read_env_file(path)
    assert len(values["SECRET_KEY"]) >= 50
    Fernet(values["FIELD_ENCRYPTION_KEYS"].encode())  # a valid key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_later_runs_keep_the_secrets_that_encrypted_the_stored_tokens(make_run, checkout):
    make_run()
    path = checkout / "var" / "local-secrets.env"
    first = path.read_text()

    assert make_run().returncode == 0
    assert path.read_text() == first


def test_secrets_the_environment_gives_are_not_written(make_run, checkout):
    make_run(SECRET_KEY="from-the-shell", FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode())

    assert not (checkout / "var" / "local-secrets.env").exists()


def test_the_file_is_ignored_by_git():
    ignored = (BASE_DIR / ".gitignore").read_text().splitlines()
    assert "/var/" in ignored
