"""A fast mock OpenAI server for the gateway benchmark: raw asyncio + httptools on uvloop.

    python mock_upstream.py --port-file F [--latency-ms 30] [--chunks 5] [--chunk-ms 2]

`POST .../chat/completions` answers canned chat JSON after `--latency-ms`, or with
`"stream": true` an SSE stream (chunked) whose first chunk comes after `--latency-ms` and the
next `--chunks - 1` every `--chunk-ms`, then `[DONE]`. `GET .../models` lists one model.
It binds a port the system picks, writes it to `--port-file`, and stops on SIGTERM/SIGINT.
A raw protocol rather than a framework keeps its own CPU cost small: it shares a core with
the load generator.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import httptools
import orjson
import uvloop

MODEL = "bench-model"
_ANSWER = (
    "A careful answer takes the question apart, defines its terms, compares the usual "
    "approaches and checks the result on an example. " * 6
).strip()


def _chat(created: int) -> bytes:
    return orjson.dumps(
        {
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "created": created,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": _ANSWER},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 60, "completion_tokens": 120, "total_tokens": 180},
        }
    )


def _frame(delta: dict[str, Any], finish: str | None, created: int) -> bytes:
    chunk = {
        "id": "chatcmpl-mock",
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }
    data = b"data: " + orjson.dumps(chunk) + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(data), data)  # one HTTP chunk per SSE frame


class Canned:
    """Response bytes built once: the mock's per-request work is parsing and writing."""

    def __init__(self, chunks: int) -> None:
        now = int(time.time())
        body = _chat(now)
        self.json = (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body)
        )
        self.stream_head = (
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        words = _ANSWER.split(" ")
        step = max(1, len(words) // max(1, chunks - 1))
        frames = [_frame({"role": "assistant", "content": ""}, None, now)]
        for i in range(0, len(words), step):
            frames.append(_frame({"content": " ".join(words[i : i + step]) + " "}, None, now))
        frames = frames[: max(1, chunks - 1)]
        frames.append(_frame({}, "stop", now))
        done = b"data: [DONE]\n\n"
        frames[-1] += b"%x\r\n%s\r\n0\r\n\r\n" % (len(done), done)
        self.frames = frames
        models = orjson.dumps({"object": "list", "data": [{"id": MODEL, "object": "model"}]})
        self.models = (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(models), models)
        )
        self.not_found = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


class MockProtocol(asyncio.Protocol):
    def __init__(self, canned: Canned, latency_s: float, chunk_s: float) -> None:
        self.canned = canned
        self.latency_s = latency_s
        self.chunk_s = chunk_s
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.body: list[bytes] = []
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    # httptools callbacks
    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        url, body = self.url, b"".join(self.body)
        self.url, self.body = b"", []
        if url.endswith(b"/chat/completions"):
            stream = b'"stream"' in body and orjson.loads(body).get("stream") is True
            if stream:
                self.loop.call_later(self.latency_s, self._send_frames, 0)
            else:
                self.loop.call_later(self.latency_s, self._send, self.canned.json)
        elif url.endswith(b"/models"):
            self._send(self.canned.models)
        else:
            self._send(self.canned.not_found)

    def _send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _send_frames(self, i: int) -> None:
        frames = self.canned.frames
        self._send((self.canned.stream_head if i == 0 else b"") + frames[i])
        if i + 1 < len(frames):
            if self.chunk_s > 0:
                self.loop.call_later(self.chunk_s, self._send_frames, i + 1)
            else:
                self._send_frames(i + 1)


async def serve(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    canned = Canned(args.chunks)
    latency_s, chunk_s = args.latency_ms / 1000, args.chunk_ms / 1000
    server = await loop.create_server(
        lambda: MockProtocol(canned, latency_s, chunk_s), "127.0.0.1", 0, backlog=4096
    )
    port = server.sockets[0].getsockname()[1]
    tmp = Path(str(args.port_file) + ".tmp")
    tmp.write_text(str(port))
    os.replace(tmp, args.port_file)  # the reader never sees a half-written file
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--chunks", type=int, default=5)
    parser.add_argument("--chunk-ms", type=float, default=0.0)
    uvloop.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
