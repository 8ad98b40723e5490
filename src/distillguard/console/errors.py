"""What a console request can go wrong with, each shown to the reviewer as a page."""

from __future__ import annotations


class ConsoleError(Exception):
    """A page-level refusal: `status` and a message the reviewer can act on."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotSignedInError(ConsoleError):
    """No live session: the reviewer is sent to the sign-in page."""

    status = 303


class ForbiddenError(ConsoleError):
    """Signed in, but the role (or a missing CSRF token) does not allow this."""

    status = 403


class FormError(ConsoleError):
    """A form field or query parameter that cannot be used; `field` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class PageNotFoundError(ConsoleError):
    status = 404


class ThrottledError(ConsoleError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
