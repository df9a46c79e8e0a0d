"""Ecwid-shaped API errors raised by the sandbox's endpoint handlers.

Ecwid answers errors with `{"errorMessage": ..., "errorCode": ...}`; codes follow
docs.ecwid.com "REST API error codes" (see shared/research/ecwid-api.md §1).
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error response: HTTP status, Ecwid `errorCode` and `errorMessage`."""

    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"errorMessage": self.message}
        if self.code:
            body["errorCode"] = self.code
        return body


def bad_param(message: str) -> ApiError:
    return ApiError(400, "WRONG_PARAMETER", message)


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)
