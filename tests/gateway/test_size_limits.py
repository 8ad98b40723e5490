"""Oversized bodies and headers are refused before they are read, and the client reads why."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import orjson
from gateway_harness import Gateway

from distillguard.events import EventReader

LIMIT = 64 << 10


def _raw_post(url: str, secret: str, length: int, sent: int) -> bytes:
    """POST announcing `length` bytes, send up to `sent` of them, and read what comes back."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {secret}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n"
        )
        sock.sendall(head.encode())
        chunk = b"x" * 65536
        try:
            for _ in range(sent // len(chunk)):
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may stop reading; what it answered is still in our buffer
        data = b""
        try:
            while part := sock.recv(65536):
                data += part
        except ConnectionResetError:
            pass
        return data


def test_a_body_over_the_limit_gets_413_from_its_length_without_being_read(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway(server={"max_body_bytes": LIMIT})
    answer = _raw_post(gw.url, gw.secret, 40 << 20, 1 << 20)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"connection: close" in answer.lower()
    body = orjson.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["error"]["code"] == "body_too_large"
    assert "65,536" in body["error"]["message"]


def test_a_chunked_body_is_cut_at_the_limit(start_gateway: Callable[..., Gateway]) -> None:
    gw = start_gateway(server={"max_body_bytes": LIMIT})

    def parts() -> Iterator[bytes]:
        yield b'{"model": "sim-large", "messages": [{"role": "user", "content": "'
        for _ in range(4):
            yield b"y" * 32768
        yield b'"}]}'

    reply = httpx.post(
        gw.url + "/v1/chat/completions",
        content=parts(),
        headers={"authorization": f"Bearer {gw.secret}"},
    )
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "body_too_large"
    folder = Path(gw.app.state.proxy.settings.events.dir)
    gw.stop()  # after its key was checked, the refusal is the account's event
    (event,) = [e.raw for p in folder.glob("events-*.jsonl") for e in EventReader(p)]
    assert event["status"] == 413 and event["error"]["code"] == "body_too_large"


def test_a_body_under_the_limit_is_served(start_gateway: Callable[..., Gateway]) -> None:
    gw = start_gateway(server={"max_body_bytes": LIMIT})
    reply = gw.client().chat.completions.create(
        model="sim-large", messages=[{"role": "user", "content": "z" * (LIMIT // 2)}]
    )
    assert reply.choices[0].message.content


def test_headers_over_the_limit_get_431_and_are_not_stored(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway(server={"max_header_bytes": 8192})
    reply = httpx.post(
        gw.url + "/v1/chat/completions",
        json={"model": "sim-large", "messages": [{"role": "user", "content": "hi"}]},
        headers={"authorization": f"Bearer {gw.secret}", "user-agent": "u" * 20_000},
    )
    assert reply.status_code == 431
    assert "8,192" in reply.json()["error"]["message"]
    ok = httpx.get(gw.url + "/healthz", headers={"user-agent": "u" * 1000})
    assert ok.status_code == 200
