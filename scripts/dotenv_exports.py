"""Print ``export KEY=value`` for each key of a .env file that the environment leaves unset.

scripts/run.sh evaluates the output, so the processes of ``make run`` see .env the way
backupsite/settings.py and every ``manage.py`` command do: a variable the shell sets wins over
.env. (honcho, left to read .env itself, would let .env win.) The file is parsed by
django-environ, as settings.py parses it.

    python scripts/dotenv_exports.py .env
"""

from __future__ import annotations

import os
import shlex
import sys

import environ


def exports(path: str) -> list[str]:
    before = set(os.environ)
    environ.Env.read_env(path, overwrite=False)
    added = sorted(set(os.environ) - before)
    return [f"export {key}={shlex.quote(os.environ[key])}" for key in added if key.isidentifier()]


if __name__ == "__main__":
    print("\n".join(exports(sys.argv[1])))
