#!/usr/bin/env bash
# Brings the whole product up locally: web, worker, beat and, without Google credentials,
# fake_google in their place. Stop everything with Ctrl+C.
set -euo pipefail
mkdir -p var
procfile=Procfile

if [ -z "${GOOGLE_OAUTH_CLIENT_ID:-}" ]; then
  fake_port="${FAKE_GOOGLE_PORT:-8765}"
  fake="http://127.0.0.1:${fake_port}"
  export GOOGLE_OAUTH_CLIENT_ID="fake-client-id.apps.googleusercontent.com"
  export GOOGLE_OAUTH_CLIENT_SECRET="fake-client-secret"
  export GOOGLE_OAUTH_AUTH_URI="${fake}/o/oauth2/auth"
  export GOOGLE_OAUTH_TOKEN_URI="${fake}/token"
  export GOOGLE_OAUTH_REVOKE_URI="${fake}/revoke"
  export GOOGLE_API_ROOT="${fake}/"
  procfile=var/Procfile.fake-google
  {
    cat Procfile
    echo "google: python -m fake_google --port ${fake_port} --redirect-uri http://127.0.0.1:${PORT:-8000}/integrations/google-drive/callback/ --redirect-uri http://localhost:${PORT:-8000}/integrations/google-drive/callback/"
  } > "$procfile"
  echo "No GOOGLE_OAUTH_CLIENT_ID set: using fake_google at ${fake} (see its Drive at ${fake}/_fake/)"
fi

export PATH="$PWD/.venv/bin:$PATH"
# honcho gives each process its own PORT from this base; web comes first in the Procfile.
exec honcho --procfile "$procfile" --app-root "$PWD" start --port "${PORT:-8000}"
