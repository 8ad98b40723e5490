import pytest

from distillguard.detect import text


@pytest.mark.parametrize(
    ("prompt", "cot"),
    [
        ("Solve this. Let's think step by step.", True),
        ("Explain your reasoning and justify each step.", True),
        ("What is the capital of France?", False),
        ("Show your work: 12 * 7", True),
    ],
)
def test_cot_cue(prompt: str, cot: bool) -> None:
    assert (text.COT.search(prompt.lower()) is not None) is cot


def test_rubric_cue() -> None:
    assert text.RUBRIC.search("rate the following response on a scale of 1 to 10")
    assert not text.RUBRIC.search("what is the exchange rate today")


def test_skeleton_masks_slots_but_keeps_template() -> None:
    a = "Given the passage: cats are mammals.\nQuestion: are cats mammals?\nAnswer:"
    b = "Given the passage: rivers flow to 3 seas.\nQuestion: where do rivers flow?\nAnswer:"
    c = "Write a poem about the sea"
    assert text.skeleton(a) == text.skeleton(b)
    assert text.skeleton(a) != text.skeleton(c)


def test_simhash_near_duplicates_are_close() -> None:
    a = text.simhash(text.words("the quick brown fox jumps over the lazy dog near the river bank"))
    b = text.simhash(text.words("the quick brown fox jumps over the lazy dog near the river side"))
    c = text.simhash(text.words("compile a python function that sorts a list of integers quickly"))
    assert (a ^ b).bit_count() < (a ^ c).bit_count()
    assert (a ^ b).bit_count() <= 8


def test_stable_hash_is_stable() -> None:
    # Pinned: detector state saved by one process must be read by another.
    assert text.stable_hash("abc") == 3227650029775379948


def test_area() -> None:
    lowered = "write a python function that returns the sum"
    assert text.area(lowered, text.words(lowered)) == "code"
    lowered = "rate this answer on a scale of 1 to 10"
    assert text.area(lowered, text.words(lowered)) == "grading"
