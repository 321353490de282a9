#!/usr/bin/env bash
# Makes sure Redis (always) and PostgreSQL (when DATABASE_URL points at it) answer.
# Starts a local server when one is installed but stopped; otherwise says how to start one.
set -euo pipefail

redis_url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
database_url="${DATABASE_URL:-}"

redis_answers() {
  .venv/bin/python - "$redis_url" <<'PY'
import sys, redis
try:
    redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
except Exception:
    sys.exit(1)
PY
}

if ! redis_answers; then
  case "$redis_url" in
    redis://127.0.0.1:*|redis://localhost:*)
      scripts/ensure-system.sh redis
      mkdir -p var/redis
      port=$(echo "$redis_url" | sed -E 's#redis://[^:]+:([0-9]+).*#\1#')
      echo "Starting a local Redis on port $port"
      redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" \
        --appendonly no --dir "$PWD/var/redis" --logfile "$PWD/var/redis/redis.log"
      for _ in $(seq 1 50); do redis_answers && break; sleep 0.1; done
      ;;
  esac
  if ! redis_answers; then
    echo "Redis does not answer at $redis_url. Start it, e.g.:" >&2
    echo "  redis-server --daemonize yes --port 6379 --save ''" >&2
    exit 1
  fi
fi

case "$database_url" in
  postgres://*|postgresql://*|pgsql://*)
    if ! pg_isready -q -d "$database_url" 2>/dev/null; then
      if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        echo "Starting the local PostgreSQL cluster"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
        for _ in $(seq 1 50); do pg_isready -q -d "$database_url" && break; sleep 0.2; done
      fi
    fi
    if ! pg_isready -q -d "$database_url" 2>/dev/null; then
      echo "PostgreSQL does not answer at DATABASE_URL. Start it or unset DATABASE_URL" \
        "to use SQLite." >&2
      exit 1
    fi
    ;;
esac
