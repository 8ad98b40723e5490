"""`distillguard audit --read-with MODEL --served EVENTS`: audit a suspect model's weights.

The suspect reads, teacher-forced, the answers the gateway served each candidate account, and
its most likely next tokens are tested against every key (`forensics.reading`). It must share
the watermark's tokenizer; otherwise only its outputs can be audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from distillguard.errors import AuditError
from distillguard.forensics.audit import AuditReport, Chat, audit_tokens, message_text
from distillguard.forensics.reading import read_windows
from distillguard.forensics.watermark import U64, WatermarkScheme
from distillguard.forensics.watermark_keys import KeyRing


def _prompt_ids(tokenizer: Any, asked: list[dict[str, Any]] | str) -> list[int]:
    if isinstance(asked, str):
        text = asked
    else:
        messages = [
            {"role": str(m.get("role", "user")), "content": message_text(m.get("content"))}
            for m in asked
            if isinstance(m, dict)
        ]
        text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids


def read_audit(
    weights: Path,
    tokenizer: Any,
    chats: dict[str, list[Chat]],
    ring: KeyRing,
    scheme: WatermarkScheme,
    contexts: dict[str, U64],
    alpha: float,
    evidence: int,
    max_answers: int,
) -> AuditReport:
    """Read up to `max_answers` served answers per account with the suspect; test the guesses."""
    from distillguard.gateway.upstreams.local_model_engine import resolve_model_path
    from distillguard.gateway.upstreams.local_model_hf import argmax_next, load

    model, own = load(resolve_model_path(weights))
    if own.get_vocab() != tokenizer.get_vocab():
        raise AuditError(
            f"the suspect model {weights} has another tokenizer than the watermark's",
            "reading needs the same tokenizer: audit the suspect's outputs (SUSPECT.jsonl)",
        )
    pairs = [
        (
            _prompt_ids(tokenizer, asked)[-512:],
            tokenizer(answer, add_special_tokens=False)["input_ids"],
        )
        for account_chats in chats.values()
        for asked, answer in account_chats[:max_answers]
    ]
    windows = read_windows(argmax_next(model, tokenizer.pad_token_id), pairs, scheme.context)
    return audit_tokens(windows, ring, scheme, alpha, evidence, None, contexts)
