"""`read_labels`: a good file parses; every bad line names file:line and what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from distillguard.errors import InputNotFoundError, LabelFormatError
from distillguard.evaluation import Label, read_labels

GOOD = '{"account": "a", "label": "benign", "kind": "rag_app"}'
WriteLines = Callable[..., Path]


def test_reads_labels_and_skips_blank_lines(write_lines: WriteLines) -> None:
    path = write_lines(
        [
            GOOD,
            "",
            '{"account": "b", "label": "extraction", "campaign": "c1", "kind": "hydra"}',
            '{"account": "c", "label": "extraction", "campaign": null}',
        ],
        name="labels.jsonl",
    )
    assert read_labels(path) == {
        "a": Label("a", False, None, "rag_app"),
        "b": Label("b", True, "c1", "hydra"),
        "c": Label("c", True, None, None),
    }


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"label": "benign"}', "field 'account' must be a string"),
        ('{"account": 7, "label": "benign"}', "field 'account' must be a string"),
        ('{"account": "x"}', "field 'label' must be 'extraction' or 'benign', got None"),
        ('{"account": "x", "label": "bad"}', "must be 'extraction' or 'benign', got 'bad'"),
        ('{"account": "x", "label": "extraction", "campaign": 3}', "'campaign' must be a string"),
        ('{"account": "x", "label": "benign", "kind": ["a"]}', "field 'kind' must be a string"),
        (GOOD, "account 'a' labelled twice"),
    ],
)
def test_bad_line_names_file_and_line(write_lines: WriteLines, line: str, problem: str) -> None:
    # The bad line comes third, after a blank line: line numbers count every line.
    path = write_lines([GOOD, "", line], name="labels.jsonl")
    with pytest.raises(LabelFormatError) as info:
        read_labels(path)
    assert str(info.value).startswith(f"{path}:3: ")
    assert problem in str(info.value)
    assert (info.value.path, info.value.line) == (str(path), 3)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="labels file not found"):
        read_labels(tmp_path / "nope.jsonl")
