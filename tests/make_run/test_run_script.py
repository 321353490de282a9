"""What `make run` starts for the PORT, FAKE_GOOGLE_PORT and SITE_URL it is given."""

from __future__ import annotations


def test_e_mail_links_lead_to_the_port_make_run_serves(make_run):
    started = make_run(PORT="8790")

    assert started.returncode == 0, started.stderr
    assert started.honcho_args[-2:] == ["--port", "8790"]
    assert started.env["SITE_URL"] == "http://127.0.0.1:8790"


def test_site_url_defaults_to_the_default_port(make_run):
    assert make_run().env["SITE_URL"] == "http://127.0.0.1:8000"


def test_a_site_url_given_is_kept(make_run):
    started = make_run(PORT="8790", SITE_URL="https://panel.example.com")

    assert started.env["SITE_URL"] == "https://panel.example.com"


def test_fake_google_listens_on_8765_by_default(make_run):
    started = make_run()

    assert "google: python -m fake_google --port 8765 " in started.procfile
    assert started.env["GOOGLE_API_ROOT"] == "http://127.0.0.1:8765/"


def test_fake_google_moves_aside_for_a_web_server_on_its_default_port(make_run):
    started = make_run(PORT="8765")

    assert started.returncode == 0, started.stderr
    assert started.honcho_args[-2:] == ["--port", "8765"]
    assert "google: python -m fake_google --port 8766 " in started.procfile
    assert "--redirect-uri http://127.0.0.1:8765/integrations" in started.procfile
    assert started.env["GOOGLE_API_ROOT"] == "http://127.0.0.1:8766/"


def test_fake_google_port_given_is_used(make_run):
    started = make_run(PORT="8790", FAKE_GOOGLE_PORT="8791")

    assert "google: python -m fake_google --port 8791 " in started.procfile
    assert started.env["GOOGLE_OAUTH_TOKEN_URI"] == "http://127.0.0.1:8791/token"


def test_the_same_port_for_both_is_refused_before_anything_starts(make_run):
    started = make_run(PORT="8790", FAKE_GOOGLE_PORT="8790")

    assert started.returncode != 0
    assert "FAKE_GOOGLE_PORT" in started.stderr
    assert "honcho" not in started.stdout
    assert not started.fake_env_file.exists()


def test_dot_env_fills_in_what_the_shell_leaves_unset(make_run, checkout):
    (checkout / ".env").write_text(
        "# the operator's settings\nPORT=8790\nexport DATABASE_URL='postgres://db/from-dotenv'\n"
    )

    started = make_run()

    assert started.returncode == 0, started.stderr
    assert started.env["DATABASE_URL"] == "postgres://db/from-dotenv"
    assert started.honcho_args[-2:] == ["--port", "8790"]
    assert started.env["SITE_URL"] == "http://127.0.0.1:8790"


def test_the_shell_wins_over_dot_env_as_for_manage_py(make_run, checkout):
    """honcho reads no env file itself: it would let .env override the shell."""
    (checkout / ".env").write_text("DATABASE_URL=postgres://db/from-dotenv\nPORT=8790\n")

    started = make_run(DATABASE_URL="postgres://db/from-shell", PORT="8791")

    assert started.env["DATABASE_URL"] == "postgres://db/from-shell"
    assert started.honcho_args[-2:] == ["--port", "8791"]
    assert started.honcho_args[started.honcho_args.index("--env") + 1] == "/dev/null"


def test_a_value_with_spaces_and_quotes_arrives_whole(make_run, checkout):
    (checkout / ".env").write_text("""DATABASE_URL="postgres://db/it's $HOME; echo no"\n""")

    started = make_run()

    assert started.returncode == 0, started.stderr
    assert started.env["DATABASE_URL"] == "postgres://db/it's $HOME; echo no"
