"""The review queue and the audit log in the admin API (see `admin` for the token and errors).

    GET  /admin/cases?status=open&limit=100    GET  /admin/cases/{id}   (with notes)
    POST /admin/cases/{id}/assign  {author, assignee}
    POST /admin/cases/{id}/comment {author, text}
    POST /admin/cases/{id}/confirm {author, reason}   the configured sanction, every member
    POST /admin/cases/{id}/dismiss {author, reason}   members labelled benign, left alone
    GET  /admin/audit?subject=ID&limit=1000

The admin token is shared by a team, so each decision names its `author`, which the case's
notes and the audit log keep.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from distillguard.gateway.admin_body import (
    json_response,
    object_body,
    query_int,
    query_text,
    text_field,
)
from distillguard.gateway.auth import Authenticator
from distillguard.gateway.enforcement import Enforcement
from distillguard.store import Case, Store

_MAX_LIMIT = 10_000


def case_record(case: Case) -> dict[str, Any]:
    return dataclasses.asdict(case)


class CaseApi:
    def __init__(
        self, store: Store, auth: Authenticator, enforcement: Enforcement, sanction: str
    ) -> None:
        self._store = store
        self._auth = auth
        self._enforcement = enforcement
        self._sanction = sanction

    def handlers(self) -> list[tuple[str, Callable[[Request], Any], str]]:
        return [
            ("/admin/cases", self.list_cases, "GET"),
            ("/admin/cases/{id}", self.get_case, "GET"),
            ("/admin/cases/{id}/assign", self.assign, "POST"),
            ("/admin/cases/{id}/comment", self.comment, "POST"),
            ("/admin/cases/{id}/confirm", self.confirm, "POST"),
            ("/admin/cases/{id}/dismiss", self.dismiss, "POST"),
            ("/admin/audit", self.audit, "GET"),
        ]

    async def list_cases(self, request: Request) -> Response:
        status = query_text(request, "status")
        limit = query_int(request, "limit", 100, 1, _MAX_LIMIT)
        cases = await asyncio.to_thread(self._store.list_cases, status, limit)
        return json_response({"data": [case_record(c) for c in cases]})

    async def get_case(self, request: Request) -> Response:
        case = await asyncio.to_thread(self._store.get_case, request.path_params["id"])
        return json_response(case_record(case))

    async def assign(self, request: Request) -> Response:
        body = await object_body(request)
        author, assignee = text_field(body, "author"), text_field(body, "assignee")
        case_id = request.path_params["id"]
        case = await asyncio.to_thread(self._store.assign_case, case_id, assignee, author)
        return json_response(case_record(case))

    async def comment(self, request: Request) -> Response:
        body = await object_body(request)
        author, text = text_field(body, "author"), text_field(body, "text", long=True)
        case_id = request.path_params["id"]
        case = await asyncio.to_thread(self._store.comment_case, case_id, author, text)
        return json_response(case_record(case))

    async def confirm(self, request: Request) -> Response:
        body = await object_body(request)
        author, reason = text_field(body, "author"), text_field(body, "reason", long=True)
        case = await asyncio.to_thread(
            self._store.confirm_case, request.path_params["id"], author, reason, self._sanction
        )
        self._auth.forget()  # suspended members are refused here at once
        return json_response(case_record(case))

    async def dismiss(self, request: Request) -> Response:
        body = await object_body(request)
        author, reason = text_field(body, "author"), text_field(body, "reason", long=True)
        case = await asyncio.to_thread(
            self._store.dismiss_case, request.path_params["id"], author, reason
        )
        self._enforcement.allow(case.members)  # here at once; elsewhere within a minute
        return json_response(case_record(case))

    async def audit(self, request: Request) -> Response:
        subject = query_text(request, "subject")
        limit = query_int(request, "limit", 1000, 1, _MAX_LIMIT)
        entries = await asyncio.to_thread(self._store.audit_log, subject, limit)
        return json_response({"data": [dataclasses.asdict(e) for e in entries]})
