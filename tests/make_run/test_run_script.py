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
