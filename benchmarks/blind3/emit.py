"""Build request and response bodies from an account's cues, and collect serialised events."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from . import catalog as C
from .text import Pools, Writer, tok
from .timing import Traces, latency_ms

try:
    import orjson

    def _dumps(o) -> bytes:
        return orjson.dumps(o)
except ImportError:  # pragma: no cover

    def _dumps(o) -> bytes:
        return json.dumps(o, ensure_ascii=False, separators=(",", ":")).encode()


START = datetime(2026, 11, 23, tzinfo=UTC).timestamp()  # a Monday, 00:00 UTC
TOOL_BY_NAME = {t["function"]["name"]: t for t in C.TOOLS}
DROP = object()


def iso(t: float) -> str:
    ms = int(round(t * 1000))
    s, m = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{m:03d}Z"


class Ctx:
    def __init__(self, pools: Pools, traces: Traces, days: int, variant: str):
        self.P, self.T, self.W = pools, traces, Writer(pools)
        self.days, self.variant = days, variant
        self.H = days * 86400.0
        self.out: list[tuple[int, int, bytes]] = []
        self.seq = 0
        self.ext = 0

    # ---- low level --------------------------------------------------------------------------
    def record(
        self,
        a,
        t: float,
        endpoint: str,
        req: dict,
        resp: dict | None,
        status: int,
        lat: float,
        ip: str,
    ) -> None:
        if t < 0 or t >= self.H:
            return
        ts = START + t
        cues = a.cues
        ua = cues["ua2"] if cues["ua2"] and a.rng.random() < 0.3 else cues["ua"]
        key = (
            a.keys[0]
            if len(a.keys) == 1 or a.rng.random() < 0.6
            else a.keys[int(a.rng.integers(0, len(a.keys)))]
        )
        ev = {
            "ts": iso(ts),
            "account": a.id,
            "key": key,
            "org": a.org,
            "ip": ip,
            "user_agent": ua,
            "endpoint": endpoint,
            "request": req,
        }
        if resp is not None:
            ev["response"] = resp
        ev["status"] = status
        ev["latency_ms"] = lat
        self.seq += 1
        self.ext += a.label == "extraction"
        self.out.append((int(round(ts * 1000)), self.seq, _dumps(ev)))

    def ip(self, a, net, session_ip: str | None = None) -> str:
        """Address of one request: proxy pools rotate per request, others per session."""
        mode = a.cues["ip_mode"]
        r = a.rng
        if mode == "proxy":
            pool = net.proxy_pools[a.cues["proxy_pool"]]
            return pool[int(r.integers(0, len(pool)))]
        if session_ip is not None:
            return session_ip
        if mode == "client":
            if r.random() < 0.05:
                return net.vpn_exits[int(r.integers(0, len(net.vpn_exits)))]
            return a.ips[int(r.integers(0, len(a.ips)))] if r.random() < 0.3 else net.residential()
        return a.ips[int(r.integers(0, len(a.ips)))]

    # ---- one request ------------------------------------------------------------------------
    def call(
        self,
        a,
        net,
        t: float,
        msgs=None,
        *,
        prompt=None,
        style: str = "prose",
        ntok: int = 200,
        ref: str = "",
        tools: list[str] | None = None,
        tool_calls: list[str] | None = None,
        extra: dict | None = None,
        model: str | None = None,
        endpoint: str = "chat.completions",
        ip: str | None = None,
        user: str | None = None,
        retry: bool = True,
    ):
        """Emit one request (and its failed attempts and re-sends); return (text, t_done)."""
        r, cues = a.rng, a.cues
        model = model or cues["models"][int(r.integers(0, len(cues["models"])))]
        req: dict = {"model": model}
        if endpoint == "completions":
            req["prompt"] = prompt
        else:
            req["messages"] = msgs
        if cues["temperature"] is not None:
            req["temperature"] = cues["temperature"]
        if cues["top_p"] is not None:
            req["top_p"] = cues["top_p"]
        if cues["max_tokens"] is not None:
            req[cues["max_key"] if endpoint != "completions" else "max_tokens"] = cues["max_tokens"]
        if cues["n"]:
            req["n"] = cues["n"]
        if cues["seed"]:
            req["seed"] = 1234
        if cues["json"] and style != "code" and not tools:
            req["response_format"] = {"type": "json_object"}
            style = "json"
        if cues["stream"]:
            req["stream"] = True
            if r.random() < 0.5:
                req["stream_options"] = {"include_usage": True}
        if tools:
            req["tools"] = [TOOL_BY_NAME[n] for n in tools]
            if cues["tool_choice"]:
                req["tool_choice"] = cues["tool_choice"]
        if cues["logprobs"]:
            req["logprobs"] = True if endpoint != "completions" else cues["logprobs"]
            if endpoint != "completions":
                req["top_logprobs"] = cues["logprobs"]
        if model == "m-reason" and cues["effort"]:
            req["reasoning_effort"] = cues["effort"]
        if user is not None and cues["user_field"]:
            req["user"] = user
        if extra:
            for k, v in extra.items():
                if v is DROP:
                    req.pop(k, None)
                else:
                    req[k] = v
        ip = ip or self.ip(a, net)
        ptok = self._prompt_tokens(req)
        # failed attempts first
        if r.random() < cues["errors"]:
            status = int(r.choice([429, 500, 503, 408], p=[0.6, 0.2, 0.15, 0.05]))
            lat = round(float(r.uniform(30, 400 if status != 408 else 60000)), 1)
            self.record(a, t, endpoint, req, None, status, lat, ip)
            if not retry or r.random() < 0.15:
                return None, t + lat / 1000
            t += lat / 1000 + float(r.exponential(4.0)) + 0.5
            ip = self.ip(a, net, ip if a.cues["ip_mode"] != "proxy" else None)
        resp, lat = self._response(a, t, req, endpoint, style, ntok, ref, tool_calls, ptok)
        self.record(a, t, endpoint, req, resp, 200, lat, ip)
        done = t + lat / 1000
        if r.random() < cues["resend"]:  # regenerate button, client timeout, duplicate job
            t2 = done + float(r.lognormal(2.5, 1.0))
            resp2, lat2 = self._response(a, t2, req, endpoint, style, ntok, ref, tool_calls, ptok)
            self.record(
                a,
                t2,
                endpoint,
                req,
                resp2,
                200,
                lat2,
                self.ip(a, net, ip if cues["ip_mode"] != "proxy" else None),
            )
            done = t2 + lat2 / 1000
        return self._content(resp, endpoint), done

    @staticmethod
    def _content(resp: dict, endpoint: str):
        ch = resp["choices"][0]
        return ch.get("text") if endpoint == "completions" else ch["message"]

    def _prompt_tokens(self, req: dict) -> int:
        n = 0
        if "messages" in req:
            for m in req["messages"]:
                c = m.get("content")
                n += 4 + (tok(c) if isinstance(c, str) else 0)
                if m.get("tool_calls"):
                    n += 30 * len(m["tool_calls"])
        else:
            p = req["prompt"]
            n += sum(tok(x) for x in p) if isinstance(p, list) else tok(p)
        for tdef in req.get("tools", ()):
            n += C.TOOL_CHARS[tdef["function"]["name"]] // 4
        return n

    def _response(self, a, t, req, endpoint, style, ntok, ref, tool_calls, ptok):
        r = a.rng
        model = req["model"]
        cap = req.get("max_tokens") or req.get("max_completion_tokens")
        reasoning = int(ntok * r.uniform(0.8, 4.0)) if model == "m-reason" else 0
        visible = ntok
        finish = "stop"
        if cap is not None and visible + reasoning >= cap:
            visible, finish = max(1, cap - reasoning) if cap > reasoning else 1, "length"
            if cap <= reasoning:
                reasoning = cap - 1 if cap > 1 else 0
        temp = req.get("temperature")
        det_key = (
            json.dumps(req.get("messages") or req.get("prompt"))[-400:] if temp == 0.0 else None
        )
        choices = []
        for i in range(req.get("n", 1) if endpoint != "completions" else 1):
            if tool_calls:
                calls = [
                    {
                        "id": "call_" + format(int(r.integers(0, 2**40)), "010x"),
                        "type": "function",
                        "function": {"name": nm, "arguments": self._args(r, nm)},
                    }
                    for nm in tool_calls
                ]
                msg = {"role": "assistant", "content": None, "tool_calls": calls}
                visible, fin = 18 * len(calls) + int(r.integers(0, 30)), "tool_calls"
            else:
                text = self.W.write(r, style, visible, ref, det_key if i == 0 else None)
                msg, fin = {"role": "assistant", "content": text}, finish
            ch: dict = (
                {"index": i, "text": msg["content"] or "", "finish_reason": fin}
                if endpoint == "completions"
                else {"index": i, "message": msg, "finish_reason": fin}
            )
            if req.get("logprobs"):
                ch["logprobs"] = self._logprobs(
                    r,
                    min(visible, 24),
                    req.get("top_logprobs")
                    or (req["logprobs"] if endpoint == "completions" else 0),
                    endpoint,
                )
            choices.append(ch)
        comp = (visible + reasoning) * len(choices)
        usage: dict = {
            "prompt_tokens": ptok,
            "completion_tokens": comp,
            "total_tokens": ptok + comp,
        }
        if reasoning:
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        resp = {
            "id": ("cmpl-" if endpoint == "completions" else "chatcmpl-")
            + format((self.seq + 1) * 2654435761 % 2**48, "012x"),
            "object": "text_completion" if endpoint == "completions" else "chat.completion",
            "created": int(START + t),
            "model": model,
            "choices": choices,
            "usage": usage,
        }
        return resp, latency_ms(r, model, ptok, comp, C.TPOT_MS[model])

    @staticmethod
    def _args(r, name: str) -> str:
        fn = TOOL_BY_NAME[name]["function"]["parameters"]
        out = {}
        for k, spec in fn["properties"].items():
            if k in fn["required"] or r.random() < 0.4:
                if spec.get("type") == "integer":
                    out[k] = int(r.integers(1, 10))
                elif spec.get("enum"):
                    out[k] = spec["enum"][int(r.integers(0, len(spec["enum"])))]
                elif spec.get("type") == "array":
                    out[k] = ["team@example.com"]
                else:
                    out[k] = (
                        C.PLACES[int(r.integers(0, len(C.PLACES)))]
                        if k in ("location", "name")
                        else (f"{k}-{int(r.integers(100, 99999))}")
                    )
        return json.dumps(out)

    def _logprobs(self, r, n: int, top: int, endpoint: str) -> dict:
        corpus = self.P.prose
        starts = r.integers(0, len(corpus) - 8, n + 1)
        toks = [corpus[s : s + int(r.integers(2, 7))] for s in starts]
        lps = (-r.exponential(0.6, n)).round(4).tolist()
        if endpoint == "completions":
            return {
                "tokens": toks[:n],
                "token_logprobs": lps,
                "top_logprobs": [
                    {toks[i]: lps[i], toks[i + 1]: round(lps[i] - 1.3, 4)} for i in range(n)
                ]
                if top
                else None,
            }
        content = []
        for i in range(n):
            alts = [{"token": toks[i], "logprob": lps[i]}]
            for j in range(1, top or 0):
                alts.append(
                    {
                        "token": corpus[int(starts[i]) + j : int(starts[i]) + j + 3],
                        "logprob": round(lps[i] - 0.7 * j, 4),
                    }
                )
            content.append({"token": toks[i], "logprob": lps[i], "top_logprobs": alts})
        return {"content": content}

    def embed(self, a, net, t: float, texts: list[str], ip: str | None = None) -> None:
        n = sum(tok(x) for x in texts)
        req = {"model": C.EMBED_MODEL, "input": texts if len(texts) > 1 else texts[0]}
        resp = {
            "object": "list",
            "model": C.EMBED_MODEL,
            "data": [{"object": "embedding", "index": i} for i in range(len(texts))],
            "usage": {"prompt_tokens": n, "total_tokens": n},
        }
        self.record(
            a,
            t,
            "embeddings",
            req,
            resp,
            200,
            round(float(a.rng.lognormal(4.2, 0.4)) + n * 0.02, 1),
            ip or self.ip(a, net),
        )

    def write(self, path_events, path_labels, accounts) -> tuple[int, int]:
        self.out.sort(key=lambda x: (x[0], x[1]))
        nbytes = 0
        with open(path_events, "wb") as f:
            for _, _, line in self.out:
                f.write(line)
                f.write(b"\n")
                nbytes += len(line) + 1
        with open(path_labels, "w", encoding="utf-8") as f:
            for a in accounts:
                f.write(json.dumps(a.label_row()) + "\n")
        return len(self.out), nbytes
