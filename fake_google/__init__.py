"""A faithful local stand-in for Google OAuth 2.0 and the Drive v3 API. See README.md."""

from __future__ import annotations

from .config import Config
from .core import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI, DEFAULT_USERS
from .server import AuthorizeError, FakeGoogle
from .state import FOLDER_MIME

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_REDIRECT_URI",
    "DEFAULT_USERS",
    "FOLDER_MIME",
    "AuthorizeError",
    "Config",
    "FakeGoogle",
]
