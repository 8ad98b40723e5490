"""Errors as the OpenAI API returns them: `{"error": {"message", "type", "param", "code"}}`.

Handlers raise `ApiError`; the app turns it into the JSON body, status and headers, so the
official clients raise their usual exceptions (401 `AuthenticationError`, 403
`PermissionDeniedError`, 429 `RateLimitError`, 400 `BadRequestError`, ...).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping

import orjson
from starlette.responses import Response


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})
        self.counted = False  # already in the metrics (and the event log)
        # Done once the refusal's event is durable: awaited before the response goes out.
        self.durable: Awaitable[None] | None = None

    def body(self) -> bytes:
        return orjson.dumps(
            {
                "error": {
                    "message": self.message,
                    "type": self.type,
                    "param": self.param,
                    "code": self.code,
                }
            }
        )

    def response(self) -> Response:
        return Response(
            self.body(), self.status, headers=self.headers, media_type="application/json"
        )


def bad_request(message: str, param: str | None, code: str = "invalid_value") -> ApiError:
    return ApiError(400, message, param=param, code=code)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, code="invalid_api_key")


def suspended(account: str) -> ApiError:
    return ApiError(
        403,
        f"Account {account} is suspended; contact the API provider to have it reinstated.",
        type="permission_error",
        code="account_suspended",
    )


def rate_limited(limit: str, retry_after_s: float, header: str) -> ApiError:
    if limit == "daily_tokens":
        message = "Daily token budget of this account is spent; it renews at 00:00 UTC."
        kind, code = "insufficient_quota", "insufficient_quota"
    else:
        message = f"Rate limit on {limit} per minute reached; retry after {header} s."
        kind, code = limit, "rate_limit_exceeded"
    return ApiError(429, message, type=kind, code=code, headers={"retry-after": header})
