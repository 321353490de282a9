"""The invoice API's error answer: ``{"error": {"code", "message", "field", "details"}}``."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.details = details or ([{"field": field, "message": message}] if field else [])
        self.headers = headers or {}

    def response(self) -> JsonResponse:
        body = {
            "error": {
                "code": self.code,
                "message": self.message,
                "field": self.field,
                "details": self.details,
            }
        }
        response = JsonResponse(body, status=self.status)
        if self.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        for name, value in self.headers.items():
            response[name] = value
        return response


def too_large() -> ApiError:
    limit = settings.API_MAX_PDF_BYTES
    return ApiError(
        413, "too_large", f"The PDF is larger than the limit of {limit} bytes.", field="pdf"
    )
