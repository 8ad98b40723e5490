"""The /admin API on a real gateway: its token, accounts, keys, attributes and detection."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import httpx
import openai
import orjson
import pytest
from gateway_harness import Gateway

TOKEN = "admin-token-0123456789abcdef"


@pytest.fixture
def admin(start_gateway: Callable[..., Gateway]) -> tuple[Gateway, httpx.Client]:
    gw = start_gateway(admin={"token": TOKEN})
    client = httpx.Client(base_url=gw.url, headers={"authorization": f"Bearer {TOKEN}"})
    gw.clients.append(client)  # type: ignore[arg-type]  # closed with the gateway
    return gw, client


def test_admin_api_is_off_without_a_token(start_gateway: Callable[..., Gateway]) -> None:
    gw = start_gateway()
    r = httpx.get(gw.url + "/admin/accounts", headers={"authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 404
    assert "[admin] token" in r.json()["error"]["message"]


def test_admin_token_is_required_and_api_keys_do_not_pass(admin) -> None:
    gw, _ = admin
    for headers in (
        {},
        {"authorization": "Bearer wrong-token-0123456789"},
        {"authorization": f"Bearer {gw.secret}"},
    ):
        r = httpx.get(gw.url + "/admin/accounts", headers=headers)
        assert r.status_code == 401, headers
        assert r.json()["error"]["code"] == "invalid_admin_token"


def test_account_lifecycle_through_the_admin_api(admin) -> None:
    gw, client = admin
    r = client.post(
        "/admin/accounts",
        json={"name": "Acme", "tier": "open", "org": "acme", "verification": "business"},
    )
    assert r.status_code == 201, r.text
    account = r.json()
    assert account["name"] == "Acme" and account["verification"] == "business"
    assert account["id"] in [a["id"] for a in client.get("/admin/accounts").json()["data"]]

    r = client.post(f"/admin/accounts/{account['id']}/keys")
    assert r.status_code == 201
    secret = r.json()["secret"]
    key_id = r.json()["key"]["id"]
    assert secret.startswith("sk-dg-") and "secret_hash" not in r.text
    assert [
        k["id"] for k in client.get(f"/admin/accounts/{account['id']}/keys").json()["data"]
    ] == [key_id]

    chat = gw.client(secret)
    ask = [{"role": "user", "content": "hi"}]
    assert chat.chat.completions.create(model="sim-large", messages=ask).choices

    assert client.post(f"/admin/accounts/{account['id']}/suspend").json()["status"] == "suspended"
    with pytest.raises(openai.PermissionDeniedError):
        chat.chat.completions.create(model="sim-large", messages=ask)
    client.post(f"/admin/accounts/{account['id']}/activate").raise_for_status()
    assert chat.chat.completions.create(model="sim-large", messages=ask).choices

    assert client.post(f"/admin/keys/{key_id}/revoke").json()["revoked_at"] is not None
    with pytest.raises(openai.AuthenticationError):
        chat.chat.completions.create(model="sim-large", messages=ask)

    deadline = time.monotonic() + 10  # detection takes events after the reorder window
    while True:
        got = client.get(f"/admin/accounts/{account['id']}").json()
        if got["detection"] is not None and got["detection"]["requests"] >= 2:
            break
        assert time.monotonic() < deadline, got["detection"]
        time.sleep(0.05)


def test_attributes_are_checked_and_named(admin) -> None:
    gw, client = admin
    r = client.patch(
        f"/admin/accounts/{gw.account.id}",
        json={"org_type": "education", "affiliated_developer": True},
    )
    assert r.status_code == 200 and r.json()["org_type"] == "education"
    assert r.json()["affiliated_developer"] is True
    assert gw.store.get_account(gw.account.id).org_type == "education"
    bad = client.patch(f"/admin/accounts/{gw.account.id}", json={"verification": "passport"})
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "verification"
    assert "email" in bad.json()["error"]["message"]
    wrong_type = client.patch(
        f"/admin/accounts/{gw.account.id}", json={"affiliated_developer": "y"}
    )
    assert (
        wrong_type.status_code == 400
        and wrong_type.json()["error"]["param"] == "affiliated_developer"
    )
    missing = client.post("/admin/accounts", json={"tier": "open"})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "name"
    unknown = client.get("/admin/accounts/acct_000000000000")
    assert unknown.status_code == 404 and "acct_000000000000" in unknown.json()["error"]["message"]
    tiers = {t["name"]: t for t in client.get("/admin/tiers").json()["data"]}
    assert tiers["trial"]["allowed_params"] == ["max_tokens", "temperature"]


def test_detection_lists_flagged_accounts_with_reasons(
    start_gateway: Callable[..., Gateway],
) -> None:
    """A logit-bias sweep replayed with its own clock gets flagged, and says why.

    A sweep is evidence by itself; behaviour needs peers to rank against, which a
    one-account gateway does not have (see tests/detect for the population).
    """
    gw = start_gateway(admin={"token": TOKEN}, events={"trust_event_time": True})
    client = httpx.Client(base_url=gw.url, headers={"authorization": f"Bearer {TOKEN}"})
    gw.clients.append(client)  # type: ignore[arg-type]
    rng = random.Random(3)
    chat = gw.client()
    t0 = 1.8e9
    for i in range(240):
        chat.chat.completions.create(
            model="sim-large",
            messages=[{"role": "user", "content": f"Say one word {rng.random()}"}],
            logit_bias={str(rng.randrange(50_000)): 100 for _ in range(4)},
            max_tokens=1,
            extra_headers={"x-distillguard-event-time": str(t0 + 30 * i)},
        )
    deadline = time.monotonic() + 10
    report = client.get("/admin/detection").json()
    while report["events"] < 240 and time.monotonic() < deadline:
        time.sleep(0.1)
        report = client.get("/admin/detection").json()
    assert report["enabled"] and report["events"] == 240
    flagged = {a["account"]: a for a in report["accounts"]}
    assert gw.account.id in flagged
    assert any("logit_bias" in r for r in flagged[gw.account.id]["reasons"])
    detail = client.get(f"/admin/accounts/{gw.account.id}").json()["detection"]
    assert detail["requests"] == 240 and detail["flagged"]
    logs = gw.recorder.log.folder.glob("events-*.jsonl")
    written = [line for f in logs for line in f.read_text().splitlines()]
    assert len(written) == 240 and '"2027-01-15T08:00:00' in written[0]  # the replay's clock


def test_event_time_header_is_ignored_unless_trusted(gateway: Gateway) -> None:
    gw = gateway
    before = time.time()
    gw.client().chat.completions.create(
        model="sim-large",
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-distillguard-event-time": "1000"},
    )
    gw.recorder.log.flush()
    deadline = time.monotonic() + 5
    while not gw.recorder.log.written and time.monotonic() < deadline:
        time.sleep(0.05)
    logs = gw.recorder.log.folder.glob("events-*.jsonl")
    events = [orjson.loads(line) for f in logs for line in f.read_bytes().splitlines()]
    assert events and not events[-1]["ts"].startswith("1970")
    assert events[-1]["ts"] >= time.strftime("%Y-%m-%dT%H", time.gmtime(before))
