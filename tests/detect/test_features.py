"""Features of logs that leave `usage` out: the answer's text stands in for its token count."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from traffic import harvest, population, run

from distillguard.detect.features import extract
from distillguard.events import Event, parse_event


def _raw(ev: Event) -> dict[str, Any]:
    return copy.deepcopy(dict(ev.raw))


def _answer_in_text(ev: Event, usage: bool) -> Event:
    """The event with an answer whose text is four characters per completion token, and its
    completion count kept or taken out (the prompt count stays: only answers are compared)."""
    raw = _raw(ev)
    tokens = raw["response"]["usage"]["completion_tokens"]
    raw["response"]["choices"] = [{"message": {"role": "assistant", "content": "word" * tokens}}]
    if not usage:
        del raw["response"]["usage"]["completion_tokens"]
    return parse_event(raw)


def test_an_answer_without_usage_counts_a_token_per_four_characters(
    make_event: Callable[..., Event],
) -> None:
    raw = _raw(make_event(1.8e9))
    del raw["response"]["usage"]
    raw["response"]["choices"] = [
        {"message": {"content": "a" * 4000, "reasoning_content": "r" * 800}},
        {"message": {"content": "b" * 400}},
    ]
    f = extract(parse_event(raw))
    assert (f.completion_tokens, f.reasoning_tokens) == (1300, 200)  # reasoning included


def test_usage_when_logged_is_the_count_whatever_the_text(
    make_event: Callable[..., Event],
) -> None:
    ev = _answer_in_text(make_event(1.8e9, completion_tokens=7), usage=True)
    raw = _raw(ev)
    raw["response"]["choices"][0]["message"]["content"] = "x" * 10_000
    assert extract(parse_event(raw)).completion_tokens == 7


def test_a_log_without_usage_scores_as_the_same_log_with_it(
    make_event: Callable[..., Event],
) -> None:
    events = population(make_event) + harvest(make_event, "acct_harvest", 300, 60.0)
    with_usage = run([_answer_in_text(e, usage=True) for e in events])
    without = run([_answer_in_text(e, usage=False) for e in events])
    scores = {a.account: a.score for a in with_usage.results()[0]}
    assert scores["acct_harvest"] >= 0.35  # a harvest, or the comparison says nothing
    for a in without.results()[0]:
        assert a.score == scores[a.account], a.account


def test_reasoning_tokens_are_counted_once_as_part_of_the_completion(
    make_event: Callable[..., Event],
) -> None:
    raw = _raw(make_event(1.8e9, completion_tokens=1000))
    raw["response"]["usage"]["completion_tokens_details"] = {"reasoning_tokens": 600}
    analyzer = run([parse_event(raw)])
    usage = analyzer.tracks["acct_a"].usage
    assert usage is not None
    assert round(usage.mean_out()) == 1000
