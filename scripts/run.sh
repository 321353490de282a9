#!/usr/bin/env bash
# Brings the whole product up locally: web, worker, beat and, without Google credentials,
# fake_google in their place. Stop everything with Ctrl+C.
set -euo pipefail
mkdir -p var
# .env fills in what the shell leaves unset, as for settings.py and manage.py; honcho is then
# given no env file, because it would let .env override the shell.
if [ -f .env ]; then
  dotenv_exports="$(.venv/bin/python scripts/dotenv_exports.py .env)"
  eval "$dotenv_exports"
fi
# No secret is written in the code: the first run generates SECRET_KEY and the key that
# encrypts the stored Google tokens into var/local-secrets.env, which settings.py reads for
# what the environment leaves unset (development only; production sets both).
.venv/bin/python scripts/local_secrets.py var/local-secrets.env
procfile=Procfile
web_port="${PORT:-8000}"
# Links in the e-mails lead to this server unless SITE_URL says otherwise.
export SITE_URL="${SITE_URL:-http://127.0.0.1:${web_port}}"
# fake_google's settings for the app, also read by backupsite/settings.py: a manage.py command
# started from another shell (backup_now) then talks to this fake, as the processes do.
fake_env=var/fake-google.env

if [ -n "${GOOGLE_OAUTH_CLIENT_ID:-}" ]; then
  # Real Google from now on: no command may pick up the fake of an earlier run.
  rm -f "$fake_env"
else
  # The web process listens on PORT, so fake_google must not: 8765 unless that is PORT.
  default_fake_port=8765
  [ "$web_port" != 8765 ] || default_fake_port=8766
  fake_port="${FAKE_GOOGLE_PORT:-$default_fake_port}"
  if [ "$fake_port" = "$web_port" ]; then
    echo "FAKE_GOOGLE_PORT and PORT are both ${web_port}: fake_google and the web server" \
      "cannot share a port; set FAKE_GOOGLE_PORT to another one." >&2
    exit 1
  fi
  fake="http://127.0.0.1:${fake_port}"
  cat > "$fake_env.tmp" <<EOF
# Written by scripts/run.sh (make run without Google credentials). The app reads it while
# GOOGLE_OAUTH_CLIENT_ID is unset, so manage.py commands use the same fake_google as make run.
GOOGLE_OAUTH_CLIENT_ID=fake-client-id.apps.googleusercontent.com
GOOGLE_OAUTH_CLIENT_SECRET=fake-client-secret
GOOGLE_OAUTH_AUTH_URI=${fake}/o/oauth2/auth
GOOGLE_OAUTH_TOKEN_URI=${fake}/token
GOOGLE_OAUTH_REVOKE_URI=${fake}/revoke
GOOGLE_API_ROOT=${fake}/
EOF
  mv "$fake_env.tmp" "$fake_env"
  set -a
  . "$fake_env"
  set +a
  procfile=var/Procfile.fake-google
  {
    cat Procfile
    echo "google: python -m fake_google --port ${fake_port} --redirect-uri http://127.0.0.1:${web_port}/integrations/google-drive/callback/ --redirect-uri http://localhost:${web_port}/integrations/google-drive/callback/"
  } > "$procfile"
  echo "No GOOGLE_OAUTH_CLIENT_ID set: using fake_google at ${fake} (see its Drive at ${fake}/_fake/)"
fi

export PATH="$PWD/.venv/bin:$PATH"
# Every process writes its Prometheus counters here and the web process's /metrics adds them
# up (workers' uploads and Drive requests included). Emptied at start: the files of processes
# of an earlier run would otherwise count again.
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-$PWD/var/prometheus}"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
rm -f "$PROMETHEUS_MULTIPROC_DIR"/*.db
# honcho gives each process its own PORT from this base; web comes first in the Procfile.
exec honcho --procfile "$procfile" --app-root "$PWD" --env /dev/null start --port "$web_port"
