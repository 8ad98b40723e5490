"""The console's actions (POST): each needs a reviewer's role, the session's CSRF token and a
comment, and is written to the audit log under the reviewer's name.

They call the same store methods as `distillguard cases ...` and `/admin/cases`, and tell the
gateway what changed as the admin API does: a confirmation or suspension forgets cached keys
(so a suspended account's next call is refused at once), a dismissal allowlists the members,
an allowlisting lets one account alone until its end (or until a reviewer ends it early).
The evidence bundle is the one `distillguard evidence` writes, sent as a download, and its
export is audited too.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from distillguard.console import forms
from distillguard.console.sessions import PATH, Gate, Visitor
from distillguard.forensics.evidence import build_bundle, record_export
from distillguard.gateway.auth import Authenticator
from distillguard.gateway.enforcement import Enforcement
from distillguard.settings import Settings
from distillguard.store import AccountStatus, Store

# An action answers with the page to go back to, or with a response of its own (a download).
Action = Callable[[Visitor, str, forms.FormData, str], Awaitable[str | Response]]
MAX_ALLOWLIST_DAYS = 365
DAY_S = 86_400.0


class Actions:
    def __init__(
        self,
        gate: Gate,
        store: Store,
        auth: Authenticator,
        enforcement: Enforcement,
        settings: Settings,
        env: Environment,
    ) -> None:
        self._gate = gate
        self._store = store
        self._auth = auth
        self._enforcement = enforcement
        self._sanction = settings.policy.sanction
        self._settings = settings

    def routes(self) -> list[BaseRoute]:
        case_actions: dict[str, Action] = {
            "assign": self.assign,
            "comment": self.comment,
            "confirm": self.confirm,
            "dismiss": self.dismiss,
        }
        account_actions: dict[str, Action] = {
            "suspend": self.suspend,
            "activate": self.activate,
            "allowlist": self.allowlist,
            "unallowlist": self.unallowlist,
            "evidence": self.evidence,
        }
        return [
            *(
                Route(f"/cases/{{id}}/{name}", self._post(act), methods=["POST"])
                for name, act in case_actions.items()
            ),
            *(
                Route(f"/accounts/{{id}}/{name}", self._post(act), methods=["POST"])
                for name, act in account_actions.items()
            ),
        ]

    def _post(self, act: Action) -> Callable[[Request], Awaitable[Response]]:
        """Sign-in, role, CSRF and the required comment, then `act`; back to its page."""

        async def handle(request: Request) -> Response:
            visitor = await self._gate.visitor(request)
            self._gate.require_actor(visitor)
            form = await forms.read_form(request)
            self._gate.check_csrf(visitor, form)
            comment = forms.text(form, "comment", long=True)
            back = await act(visitor, request.path_params["id"], form, comment)
            if isinstance(back, Response):
                return back
            return RedirectResponse(PATH + back, status_code=303)

        return handle

    # -- cases
    async def assign(self, v: Visitor, case_id: str, form: forms.FormData, comment: str) -> str:
        assignee = forms.text(form, "assignee")
        await asyncio.to_thread(self._store.assign_case, case_id, assignee, v.name)
        await asyncio.to_thread(self._store.comment_case, case_id, v.name, comment)
        return f"/cases/{case_id}"

    async def comment(self, v: Visitor, case_id: str, form: forms.FormData, comment: str) -> str:
        await asyncio.to_thread(self._store.comment_case, case_id, v.name, comment)
        return f"/cases/{case_id}"

    async def confirm(self, v: Visitor, case_id: str, form: forms.FormData, comment: str) -> str:
        store, sanction = self._store, self._sanction
        await asyncio.to_thread(store.confirm_case, case_id, v.name, comment, sanction)
        self._auth.forget()  # suspended members are refused here at once
        return f"/cases/{case_id}"

    async def dismiss(self, v: Visitor, case_id: str, form: forms.FormData, comment: str) -> str:
        case = await asyncio.to_thread(self._store.dismiss_case, case_id, v.name, comment)
        self._enforcement.allow(case.members)  # here at once; elsewhere within a minute
        return f"/cases/{case_id}"

    # -- accounts
    async def suspend(self, v: Visitor, account_id: str, form: forms.FormData, comment: str) -> str:
        return await self._set_status(v, account_id, AccountStatus.SUSPENDED, comment)

    async def activate(
        self, v: Visitor, account_id: str, form: forms.FormData, comment: str
    ) -> str:
        return await self._set_status(v, account_id, AccountStatus.ACTIVE, comment)

    async def _set_status(
        self, v: Visitor, account_id: str, status: AccountStatus, comment: str
    ) -> str:
        store = self._store
        await asyncio.to_thread(store.change_status, account_id, status, v.name, comment, "console")
        self._auth.forget()  # this replica at once; the others within auth.cache_ttl_s
        return f"/accounts/{account_id}"

    async def allowlist(
        self, v: Visitor, account_id: str, form: forms.FormData, comment: str
    ) -> str:
        forms.text(form, "days")  # required: every allowlisting ends
        days = forms.whole(form, "days", 1, 1, MAX_ALLOWLIST_DAYS)
        until = time.time() + days * DAY_S
        store = self._store
        await asyncio.to_thread(
            store.allowlist_account, account_id, v.name, comment, until, "console"
        )
        self._enforcement.allow([account_id], until)  # here at once; elsewhere within a minute
        return f"/accounts/{account_id}"

    async def unallowlist(
        self, v: Visitor, account_id: str, form: forms.FormData, comment: str
    ) -> str:
        await asyncio.to_thread(self._store.end_allowlist, account_id, v.name, comment, "console")
        self._enforcement.disallow([account_id])  # here at once; elsewhere within a minute
        return f"/accounts/{account_id}"

    async def evidence(
        self, v: Visitor, account_id: str, form: forms.FormData, comment: str
    ) -> Response:
        data = await asyncio.to_thread(self._bundle, v, account_id, comment)
        name = re.sub(r"[^A-Za-z0-9_-]", "_", account_id)[:80]
        disposition = f'attachment; filename="evidence-{name}.zip"'
        return Response(
            data, media_type="application/zip", headers={"content-disposition": disposition}
        )

    def _bundle(self, v: Visitor, account_id: str, comment: str) -> bytes:
        """The zip of `distillguard evidence`, built in a scratch folder and read back."""
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "bundle.zip"
            bundle = build_bundle(self._store, self._settings, account_id, out=out)
            data = out.read_bytes()
        record_export(self._store, bundle, data, account_id, v.name, comment, via="console")
        return data
