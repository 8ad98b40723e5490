"""Stage 2: a small causal transformer trained from scratch on (instruction, answer) pairs.

It uses SmolLM2's tokenizer, restricted to the token ids its training text holds (a compact
vocabulary: the output layer over all 49,152 ids would cost most of the CPU time), so its
answers decode to text with SmolLM2's tokenizer and can be audited like any other text.

An example is `instruction[-PROMPT:] SEP answer EOS` (the instruction padded on the left to
`PROMPT` tokens, so that answers always start at the same position), padded to `CONTEXT`;
the loss is on the answer and EOS only (teacher forcing), as a distiller trains on harvested
answers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

CONTEXT = 160
PROMPT = 32
PAD, SEP, EOS = 0, 1, 2  # compact ids; the tokenizer's ids start at 3


@dataclass
class Vocab:
    """SmolLM2 token id <-> compact id."""

    ids: np.ndarray  # compact id - 3 -> SmolLM2 id

    @classmethod
    def of(cls, texts: list[list[int]]) -> Vocab:
        return cls(np.unique(np.concatenate([np.asarray(t, dtype=np.int64) for t in texts])))

    def __len__(self) -> int:
        return int(self.ids.size) + 3

    def encode(self, tokens: list[int]) -> list[int]:
        pos = np.searchsorted(self.ids, tokens)
        pos = np.clip(pos, 0, self.ids.size - 1)
        known = self.ids[pos] == np.asarray(tokens)
        return [int(p) + 3 for p, k in zip(pos, known, strict=True) if k]

    def decode(self, compact: list[int]) -> list[int]:
        return [int(self.ids[c - 3]) for c in compact if c >= 3]


def examples(pairs: list[tuple[list[int], list[int]]], vocab: Vocab) -> tuple[torch.Tensor, ...]:
    """(inputs, targets) of shape (n, CONTEXT); targets are -100 outside the answers."""
    n = len(pairs)
    x = torch.full((n, CONTEXT), PAD, dtype=torch.long)
    y = torch.full((n, CONTEXT), -100, dtype=torch.long)
    for i, (ask, answer) in enumerate(pairs):
        # Left-padded to PROMPT tokens: every answer starts at the same position.
        head = [*([PAD] * PROMPT + vocab.encode(ask))[-PROMPT:], SEP]
        seq = head + vocab.encode(answer)[: CONTEXT - len(head)]
        seq = ([*seq, EOS])[: CONTEXT + 1]
        x[i, : len(seq) - 1] = torch.tensor(seq[:-1])
        y[i, len(head) - 1 : len(seq) - 1] = torch.tensor(seq[len(head) :])
    return x, y


class Block(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor, cache: list[Any] | None = None) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, d // self.heads).unbind(2)
        q, k, v = (z.transpose(1, 2) for z in (q, k, v))
        causal = True
        if cache is not None:
            if cache:
                k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
                causal = False  # one new position attends to all cached ones
            cache[:] = [k, v]
        a = F.scaled_dot_product_attention(q, k, v, is_causal=causal and t > 1)
        x = x + self.out(a.transpose(1, 2).reshape(b, t, d))
        return x + self.ff(self.ln2(x))


class Student(nn.Module):
    def __init__(self, vocab: int, d: int, layers: int, heads: int) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(CONTEXT, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        for m in self.modules():  # GPT-2's initialisation: N(0, 0.02) keeps the first loss sane
            if isinstance(m, nn.Linear | nn.Embedding):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, ids: torch.Tensor, start: int = 0, caches: Any = None) -> torch.Tensor:
        pos = torch.arange(start, start + ids.shape[1])
        x = self.emb(ids) + self.pos(pos)
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        return self.ln(x) @ self.emb.weight.T  # tied output layer


def train(
    model: Student, x: torch.Tensor, y: torch.Tensor, seconds: float, batch: int, lr: float
) -> dict[str, Any]:
    """AdamW with a cosine schedule over a wall-clock budget; returns steps and losses."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(0)
    started = time.perf_counter()
    step, losses, seen = 0, [], 0
    model.train()
    while (elapsed := time.perf_counter() - started) < seconds:
        frac = elapsed / seconds
        for group in opt.param_groups:
            group["lr"] = (
                lr * min(1.0, (step + 1) / 30) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
            )
        pick = torch.randint(0, x.shape[0], (batch,), generator=gen)
        logits = model(x[pick])
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), y[pick].view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        seen += int((y[pick] != -100).sum())
        step += 1
        if step % 50 == 0:
            print(f"    step {step} loss {np.mean(losses[-50:]):.3f} ({elapsed:.0f}s)", flush=True)
    return {
        "steps": step,
        "answer_tokens_seen": seen,
        "epochs": seen / max(1, int((y != -100).sum())),
        "first_loss": float(np.mean(losses[:20])),
        "last_loss": float(np.mean(losses[-50:])),
        "train_s": time.perf_counter() - started,
    }


@torch.inference_mode()
def sample(
    model: Student, prompts: list[list[int]], tokens: int, temperature: float, seed: int
) -> list[list[int]]:
    """One answer (compact ids, EOS excluded) per prompt, all in one batch with a KV cache."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    width = PROMPT + 1
    rows = [([PAD] * width + p[-PROMPT:] + [SEP])[-width:] for p in prompts]
    ids = torch.tensor(rows)
    caches: list[list[Any]] = [[] for _ in model.blocks]
    logits = model(ids, 0, caches)[:, -1]
    out = torch.empty((len(rows), 0), dtype=torch.long)
    for t in range(min(tokens, CONTEXT - width)):
        probs = torch.softmax(logits / temperature, -1)
        probs[:, [PAD, SEP]] = 0
        nxt = torch.multinomial(probs, 1, generator=gen)
        out = torch.cat([out, nxt], 1)
        logits = model(nxt, width + t, caches)[:, -1]
    answers = []
    for row in out.tolist():
        answers.append(row[: row.index(EOS)] if EOS in row else row)
    return answers
