"""The open-weights audit: does a suspect model predict an account's green tokens in its answers?

When the suspect's weights are at hand (a released model, an inspection), the auditor need not
sample it. Teacher-forced on the answers the gateway served an account, any model independent
of that account's key predicts a green token next with probability gamma at each position; a
model fine-tuned on those answers learned to favour the tokens they hold, which the watermark
made green more often, so it predicts green more often (Sander et al. 2024, "reading mode").

Each answer position becomes a window: the `context` answer tokens before it and the model's
most likely next token. Only the first position of each context in an answer counts: where the
context came before, the token after it then (drawn from the key's green list) is in what the
model reads, and any model tends to repeat it, so later guesses there are green more often
whatever the model learned (measured: a model never trained on watermarked text guessed 25.6%
green over all positions, gamma 25%). Windows are text like any other to
`audit.audit_tokens`: distinct (context, token) pairs scored once, exact binomial p-values,
Holm over every account, each account tested in the contexts it was served. The suspect must
share the watermark's tokenizer.

    predict = argmax_next(model)                    # gateway.upstreams.local_model_hf
    found = read_windows(predict, [(prompt_ids, answer_ids), ...], scheme.context)
    report = audit_tokens(found, ring, scheme, served=contexts)

`benchmarks/forensics/radioactivity/` measures it on students fine-tuned on 3% to 100%
watermarked text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from distillguard.errors import AuditError

# Rows of token ids -> for each row, the most likely next token after every position.
Predict = Callable[[list[list[int]]], list[list[int]]]
Chat = tuple[Sequence[int], Sequence[int]]  # (prompt ids, answer ids)


def read_windows(
    predict: Predict, chats: Sequence[Chat], context: int, batch: int = 16
) -> list[list[int]]:
    """One `context + 1`-token window per answer position where its `context` answer tokens
    stand for the first time in the answer: those tokens, then the suspect's guess for the next
    one (all chats, flattened)."""
    read = read_chats(predict, chats, context, batch)
    return [w for chat in read for w in first_occurrences(chat, context)]


def first_occurrences(windows: Sequence[list[int]], context: int) -> list[list[int]]:
    """The windows of one answer whose context has not stood earlier in it (module docstring)."""
    seen: set[tuple[int, ...]] = set()
    out = []
    for w in windows:
        ctx = tuple(w[:context])
        if ctx not in seen:
            seen.add(ctx)
            out.append(w)
    return out


def read_chats(
    predict: Predict, chats: Sequence[Chat], context: int, batch: int = 16
) -> list[list[list[int]]]:
    """Every answer position's window, chat by chat in the order of `chats`, repeated contexts
    included (`first_occurrences` drops them). Rows go to `predict` in batches of similar
    length (less padding for a batched model)."""
    if context < 1:
        raise ValueError(f"context must be 1 or more tokens, not {context}")
    order = sorted(range(len(chats)), key=lambda i: len(chats[i][0]) + len(chats[i][1]))
    out: list[list[list[int]]] = [[] for _ in chats]
    for start in range(0, len(order), batch):
        rows = order[start : start + batch]
        guesses = predict([[*chats[i][0], *chats[i][1]] for i in rows])
        for i, guess in zip(rows, guesses, strict=True):
            prompt, answer = chats[i]
            if len(guess) != len(prompt) + len(answer):
                raise AuditError(
                    f"the suspect model gave {len(guess)} predictions for a row of "
                    f"{len(prompt) + len(answer)} tokens",
                    "its predict function must return one next token per input position",
                )
            # The guess at position len(prompt) + j - 1 is for answer token j.
            base = len(prompt) - 1
            out[i] = [
                [*answer[j - context : j], guess[base + j]] for j in range(context, len(answer))
            ]
    return out
