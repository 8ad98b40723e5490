"""The console's pages (GET) and signing in and out."""

from __future__ import annotations

import asyncio
from typing import Any

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from distillguard.console import forms
from distillguard.console.errors import ForbiddenError, ThrottledError
from distillguard.console.sessions import (
    LOGIN_COOKIE,
    LOGIN_TTL_S,
    PATH,
    SESSION_COOKIE,
    Gate,
    Visitor,
    clear_cookie,
    set_cookie,
)
from distillguard.console.views import Views
from distillguard.gateway.recorder import EventRecorder
from distillguard.settings import Settings
from distillguard.store import CaseQuery, CaseStatus, Store
from distillguard.store.case_queue import MAX_PER_PAGE, SORTS
from distillguard.store.reviewers import LoginRejectedError

AUDIT_PER_PAGE = 50


class Pages:
    def __init__(
        self,
        env: Environment,
        gate: Gate,
        store: Store,
        views: Views,
        recorder: EventRecorder,
        settings: Settings,
    ) -> None:
        self._env = env
        self._gate = gate
        self._store = store
        self._views = views
        self._recorder = recorder
        self._sanction = settings.policy.sanction

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.queue, methods=["GET"]),
            Route("/login", self.login_form, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/cases/{id}", self.case, methods=["GET"]),
            Route("/accounts/{id}", self.account, methods=["GET"]),
            Route("/overview", self.overview, methods=["GET"]),
            Route("/audit", self.audit, methods=["GET"]),
        ]

    def render(self, name: str, visitor: Visitor | None, status: int = 200, **ctx: Any) -> Response:
        html = self._env.get_template(name).render(visitor=visitor, root=PATH, **ctx)
        return HTMLResponse(html, status_code=status)

    # -- signing in and out
    async def login_form(self, request: Request, message: str = "", status: int = 200) -> Response:
        token = self._gate.login_token()
        response = self.render("login.j2", None, status, csrf=token, message=message)
        set_cookie(response, LOGIN_COOKIE, token, LOGIN_TTL_S)
        return response

    async def login(self, request: Request) -> Response:
        form = await forms.read_form(request)
        try:
            session = await self._gate.sign_in(request, form)
        except LoginRejectedError as err:
            return await self.login_form(request, str(err).capitalize() + ".", 401)
        except (ThrottledError, ForbiddenError) as err:
            return await self.login_form(request, err.message, err.status)
        response = RedirectResponse(PATH + "/", status_code=303)
        set_cookie(response, SESSION_COOKIE, session.token, self._gate.ttl_s)
        clear_cookie(response, LOGIN_COOKIE)
        return response

    async def logout(self, request: Request) -> Response:
        visitor = await self._gate.visitor(request)
        self._gate.check_csrf(visitor, await forms.read_form(request))
        await self._gate.sign_out(request)
        response = RedirectResponse(PATH + "/login", status_code=303)
        clear_cookie(response, SESSION_COOKIE)
        return response

    # -- the queue
    async def queue(self, request: Request) -> Response:
        visitor = await self._gate.visitor(request)
        q = _query(request.query_params)
        page = await asyncio.to_thread(self._store.case_page, q)
        return self.render(
            "queue.j2",
            visitor,
            page=page,
            q=q,
            sorts=SORTS,
            states=[s.value for s in CaseStatus],
            link=_linker(q),
        )

    async def overview(self, request: Request) -> Response:
        visitor = await self._gate.visitor(request)
        view = await asyncio.to_thread(self._views.overview)
        return self.render("overview.j2", visitor, view=view)

    async def audit(self, request: Request) -> Response:
        """`distillguard audit-log [--subject ID]`, newest first, a page at a time."""
        visitor = await self._gate.visitor(request)
        params = request.query_params
        subject = forms.optional(params, "subject")
        page = forms.whole(params, "page", 1, 1, 1_000_000)
        skip = (page - 1) * AUDIT_PER_PAGE
        # One more than a page says whether there is a next one, without counting them all.
        found = await asyncio.to_thread(self._store.audit_log, subject, AUDIT_PER_PAGE + 1, skip)
        entries = list(reversed(found))
        return self.render(
            "audit.j2",
            visitor,
            entries=entries[:AUDIT_PER_PAGE],
            more=len(entries) > AUDIT_PER_PAGE,
            subject=subject or "",
            page=page,
        )

    # -- a case, an account
    async def case(self, request: Request) -> Response:
        visitor = await self._gate.visitor(request)
        case = await asyncio.to_thread(self._store.get_case, request.path_params["id"])
        if case.kind == "campaign":
            campaign = await asyncio.to_thread(self._views.campaign, case)
            return self.render(
                "campaign.j2", visitor, case=case, view=campaign, sanction=self._sanction
            )
        view = await asyncio.to_thread(self._views.account, case.subject)
        return self.render("account.j2", visitor, case=case, view=view, sanction=self._sanction)

    async def account(self, request: Request) -> Response:
        visitor = await self._gate.visitor(request)
        view = await asyncio.to_thread(self._views.account, request.path_params["id"])
        return self.render("account.j2", visitor, case=None, view=view, sanction=self._sanction)


def _query(params: forms.FormData) -> CaseQuery:
    status = forms.optional(params, "status") or "open"
    return CaseQuery(
        status=None if status == "all" else status,
        level=forms.optional(params, "level"),
        assignee=forms.optional(params, "assignee"),
        campaign=forms.optional(params, "campaign"),
        sort=forms.optional(params, "sort") or "risk",
        page=forms.whole(params, "page", 1, 1, 1_000_000),
        per_page=forms.whole(params, "per_page", 50, 1, MAX_PER_PAGE),
    )


def _linker(q: CaseQuery) -> Any:
    """A function of the template: this queue's URL with some parameters changed."""
    from urllib.parse import urlencode

    def link(**changes: Any) -> str:
        values = {
            "status": q.status or "all",
            "level": q.level,
            "assignee": q.assignee,
            "campaign": q.campaign,
            "sort": q.sort,
            "page": q.page,
        }
        values.update(changes)
        kept = {k: v for k, v in values.items() if v not in (None, "")}
        return PATH + "/?" + urlencode(kept)

    return link
