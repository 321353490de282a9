"""Log line formats: plain text for a terminal, or one JSON object per line for a log stack.

LOG_FORMAT=json switches the console handler of every process (web, workers, beat, commands)
to python-json-logger's formatter: `time`, `level`, `logger`, `message`, plus every field a
call passes as `extra` (e.g. run_id, integration_id and outcome of integrations.run_log).
"""

from __future__ import annotations

LOG_FORMATS = ("plain", "json")

JSON_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    # ISO 8601 with the UTC offset, a form log stacks parse without configuration.
    "datefmt": "%Y-%m-%dT%H:%M:%S%z",
}


def base_logging(level: str) -> dict:
    """Every process's logging: the console at `level`, chatty libraries held at WARNING."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Request lines of the OAuth libraries can carry codes and tokens.
            "oauthlib": {"level": "WARNING"},
            "requests_oauthlib": {"level": "WARNING"},
            "googleapiclient.discovery": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
            # Several INFO lines per rendered PDF ("Step 1 - Fetching and parsing HTML", ...).
            "weasyprint.progress": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }


def use_log_format(logging_config: dict, log_format: str) -> dict:
    """`logging_config` with its console handler writing `log_format` lines."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    logging_config.setdefault("formatters", {})["json"] = JSON_FORMATTER
    logging_config["handlers"]["console"]["formatter"] = log_format
    return logging_config
