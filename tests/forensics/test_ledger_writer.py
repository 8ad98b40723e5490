"""The ledger writer: the documented chain, checkpoints, reopening, rotation, crashes, privacy."""

from __future__ import annotations

import copy
import hashlib
import shutil
import time
from pathlib import Path

import orjson
import pytest
from ledger_helpers import build, event, make_keys, obj, read

from distillguard.errors import LedgerError
from distillguard.forensics import Ledger, PromptHasher, verify_ledger
from distillguard.forensics.ledger_files import ledger_files


def test_records_follow_the_documented_chain(tmp_path: Path) -> None:
    """Recomputed here from the docstring's formula, independently of the verifier."""
    keys = make_keys(tmp_path)
    folder = build(tmp_path / "ledger", keys, n=5, every=100)
    lines = read(folder / "ledger-000001.jsonl")
    prev = "0" * 64
    for seq, line in enumerate(lines[:5], start=1):
        record = obj(line)
        assert list(record) == ["seq", "prev", "hash", "event"]
        assert (record["seq"], record["prev"]) == (seq, prev)
        canon = orjson.dumps(event(seq), option=orjson.OPT_SORT_KEYS)
        assert line.endswith(b',"event":' + canon + b"}")  # stored in canonical form
        expected = hashlib.sha256(bytes.fromhex(prev) + seq.to_bytes(8, "big") + canon)
        assert record["hash"] == expected.hexdigest()
        prev = record["hash"]
    checkpoint = obj(lines[5])  # the close signs what is unsigned
    assert checkpoint["checkpoint"]["seq"] == 5 and checkpoint["checkpoint"]["hash"] == prev
    assert checkpoint["checkpoint"]["key_id"] == keys.verifier.key_id
    assert len(lines) == 6
    assert (folder / "ledger.head").read_bytes() == lines[5] + b"\n"


def test_checkpoints_every_n_records_and_at_close(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    folder = build(tmp_path / "ledger", keys, n=25, every=10)
    lines = [obj(x) for x in read(folder / "ledger-000001.jsonl")]
    assert [x["checkpoint"]["seq"] for x in lines if "checkpoint" in x] == [10, 20, 25]
    assert [i for i, x in enumerate(lines, 1) if "checkpoint" in x] == [11, 22, 28]


def test_a_reopened_ledger_continues_the_chain(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    folder = tmp_path / "ledger"
    for start in (1, 8):
        with Ledger(folder, keys.signer, checkpoint_every=100) as ledger:
            assert ledger.seq == start - 1
            for i in range(start, start + 7):
                ledger.append(event(i))
    report = verify_ledger(folder, keys.verifier)
    assert report.ok, report.summary()
    assert (report.records, report.checkpoints, report.signed and report.signed.seq) == (14, 2, 14)


def test_rotated_files_carry_one_chain(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    folder = build(tmp_path / "ledger", keys, n=40, every=1000, rotate_bytes=4096)
    files = ledger_files(folder)
    assert len(files) >= 3
    for path in files[:-1]:  # each full file is signed before the next begins
        assert obj(read(path)[-1])["checkpoint"]["seq"] == obj(read(path)[-2])["seq"]
    assert obj(read(files[1])[0])["prev"] == obj(read(files[0])[-2])["hash"]
    report = verify_ledger(folder, keys.verifier)
    assert report.ok and report.records == 40, report.summary()
    alone = verify_ledger(files[1], keys.verifier)  # a later file cannot stand alone
    assert alone.problem is not None and "expected record 1 here" in alone.problem.problem


def test_after_a_crash_the_cut_line_goes_and_the_unsigned_tail_is_signed(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    live = tmp_path / "live"
    ledger = Ledger(live, keys.signer, checkpoint_every=10)
    for i in range(1, 15):
        ledger.append(event(i))
    ledger.flush()
    crashed = tmp_path / "crashed"
    shutil.copytree(live, crashed)  # what a killed process leaves behind
    ledger.close()
    with open(crashed / "ledger-000001.jsonl", "ab") as fh:
        fh.write(b'{"seq":15,"prev":"ab')  # a write the crash cut short
    before = verify_ledger(crashed, keys.verifier)
    assert before.problem is not None and "not valid JSON" in before.problem.problem
    with Ledger(crashed, keys.signer, checkpoint_every=10) as reopened:
        assert (reopened.seq, reopened.signed_seq) == (14, 14)  # signed on opening
        reopened.append(event(15))
    report = verify_ledger(crashed, keys.verifier)
    assert report.ok, report.summary()
    assert (report.records, report.signed and report.signed.seq) == (15, 15)


def test_one_writer_per_folder(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    with Ledger(tmp_path / "ledger", keys.signer), pytest.raises(LedgerError, match="another"):
        Ledger(tmp_path / "ledger", keys.signer)
    Ledger(tmp_path / "ledger", keys.signer).close()  # free again once closed


def test_hashed_prompts_keep_no_text_and_still_verify(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    hasher = PromptHasher(b"a secret of 16+ bytes")
    original = event(3)
    given = copy.deepcopy(original)
    with Ledger(tmp_path / "ledger", keys.signer, hasher=hasher) as ledger:
        ledger.append(given)
    assert given == original  # the caller's event (the analyzer's input) is not changed
    raw = (tmp_path / "ledger" / "ledger-000001.jsonl").read_bytes()
    for text in ("careful tutor", "problem #3", "by induction"):
        assert text.encode() not in raw
    stored = obj(raw.splitlines()[0])["event"]
    user = original["request"]["messages"][1]["content"]
    assert stored["request"]["messages"][1]["content"] == hasher.digest(user)
    assert stored["request"]["messages"][1]["content"].startswith("hmac-sha256:")
    assert stored["response"]["choices"][0]["message"]["content"] == hasher.digest(
        original["response"]["choices"][0]["message"]["content"]
    )
    assert stored["account"] == original["account"]
    assert stored["response"]["usage"] == original["response"]["usage"]
    other = PromptHasher(b"another secret, 16+ bytes")
    assert other.digest(user) != hasher.digest(user)  # keyed: no guessing without the secret
    assert verify_ledger(tmp_path / "ledger", keys.verifier).ok


def test_hashed_prompts_cover_parts_prompts_and_tool_arguments() -> None:
    hasher = PromptHasher(b"0123456789abcdef")
    stored = hasher.apply(
        {
            "account": "a",
            "request": {
                "prompt": ["first secret", "second secret"],
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "secret part"}]},
                    {
                        "role": "assistant",
                        "tool_calls": [{"function": {"name": "f", "arguments": '{"q":"x"}'}}],
                    },
                ],
            },
            "response": {"choices": [{"text": "secret answer", "logprobs": {"tokens": ["s"]}}]},
        }
    )
    text = orjson.dumps(stored)
    for secret in (b"secret", b'\\"q\\"', b'"tokens"'):
        assert secret not in text
    assert stored["request"]["messages"][1]["tool_calls"][0]["function"]["name"] == "f"


def test_a_quiet_ledger_signs_after_the_interval(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    with Ledger(
        tmp_path / "ledger", keys.signer, checkpoint_every=1000, checkpoint_interval_s=0.05
    ) as ledger:
        ledger.append(event(1))
        assert ledger.signed_seq == 0
        time.sleep(0.06)
        ledger.append(event(2))  # the first append past the interval signs
        assert (ledger.signed_seq, ledger.checkpoints) == (2, 1)
