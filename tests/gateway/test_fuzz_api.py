"""schemathesis against a live gateway: requests made from /openapi.json, valid and not, over
real HTTP with real keys, must never get a 5xx, and the answers must match the document.

Bounded to stay well under a minute on two cores: a fixed number of examples per operation,
derandomized (a failure reproduces on the next run), no example database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from gateway_harness import Gateway, gateway_settings
from schemathesis import checks
from schemathesis.generation.case import Case

from distillguard.gateway import BackgroundServer, build_app
from distillguard.gateway.openapi import openapi_document
from distillguard.settings import load_settings
from distillguard.store import Store

ADMIN_TOKEN = "fuzz-admin-token-0123456789"
EXAMPLES = 30  # per operation


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with the simulated upstream, SQLite, an admin token, and one account's key."""
    folder: Path = tmp_path_factory.mktemp("fuzz")
    # Keys are checked once a minute, not on every request: scrypt would take most of the time.
    settings = gateway_settings(folder, admin={"token": ADMIN_TOKEN}, auth={"cache_ttl_s": 60})
    server = BackgroundServer(build_app(settings)).start()
    store: Store = server.app.state.store  # type: ignore[attr-defined]
    account = store.create_account("fuzzer", tier="open")
    gw = Gateway(server, account, store.create_key(account.id).secret)
    yield gw
    gw.stop()


# Loaded when the module is, before any gateway runs (schemathesis' fixture-based loader does
# not work with pytest 9.2); `test_the_fuzzed_document_is_the_served_one` pins it to what the
# live gateway serves at /openapi.json.
DOC = openapi_document(load_settings())
schema = schemathesis.openapi.from_dict(DOC)
# No generated Authorization headers: a wrong token would be answered 401 (fine), but ten of
# them a minute get the address refused by the admin API's throttle, hiding every later case.
schema.config.generation.update(
    max_examples=EXAMPLES, deterministic=True, database="none", with_security_parameters=False
)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


def _auth(live: Gateway, case: Case) -> dict[str, str]:
    token = ADMIN_TOKEN if case.path.startswith("/admin") else live.secret
    return {"authorization": f"Bearer {token}"}


@schema.parametrize()
def test_no_request_makes_a_server_error(case: Case, live: Gateway) -> None:
    """Every operation of the document, with valid and invalid requests; nothing excluded."""
    # Schema-valid /v1 bodies must be answered (the open tier has no caps or allowed-parameter
    # list); valid admin requests name ids no record has, and a 404 is right for those.
    extra = [checks.positive_data_acceptance] if case.path.startswith("/v1") else []
    case.call_and_validate(
        base_url=live.url, headers=_auth(live, case), checks=CHECKS, additional_checks=extra
    )


def test_the_fuzzed_document_is_the_served_one(live: Gateway) -> None:
    assert httpx.get(live.url + "/openapi.json").json() == DOC
