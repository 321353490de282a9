"""`python -m fake_google --port N`: run the fake until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .core import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI
from .server import FakeGoogle


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m fake_google", description="Local stand-in for Google OAuth + Drive v3."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=None, help="seed of ids and fault dice")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument(
        "--write-limit", action="store_true", help="3 writes/s per user, 403 beyond the burst"
    )
    parser.add_argument("--access-token-lifetime", type=int, default=3599, metavar="SECONDS")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=None,
        help=f"repeatable; default {DEFAULT_REDIRECT_URI}",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    fake = FakeGoogle(
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=args.redirect_uri or [DEFAULT_REDIRECT_URI],
        seed=args.seed,
        latency_ms=args.latency_ms,
        write_limit=args.write_limit,
        access_token_lifetime=args.access_token_lifetime,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    fake.start(args.host, args.port)
    print(f"fake_google listening on {fake.url}", flush=True)
    while not stop.wait(0.5):
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
