import random

from distillguard.detect.sketches import HyperLogLog, RotatingBloom, SpaceSaving, hash64


def test_hyperloglog_counts_within_ten_percent_and_merges() -> None:
    a, b = HyperLogLog(p=10), HyperLogLog(p=10)
    for i in range(5000):
        a.add(hash64(f"x{i}"))
    for i in range(2500, 7500):
        b.add(hash64(f"x{i}"))
    assert 4500 < a.count() < 5500
    a.merge(b)
    assert 6750 < a.count() < 8250
    assert HyperLogLog.from_state(a.to_state()).count() == a.count()


def test_space_saving_keeps_heavy_hitters_with_fixed_capacity() -> None:
    s = SpaceSaving(8)
    rng = random.Random(3)
    for _ in range(5000):
        s.add(1 if rng.random() < 0.3 else 2 if rng.random() < 0.3 else rng.randrange(10, 10_000))
    assert len(s.counts) == 8
    assert [k for k, _ in s.top(2)] == [1, 2]
    assert SpaceSaving.from_state(s.to_state()).top() == s.top()


def test_rotating_bloom_remembers_recent_and_forgets_old() -> None:
    b = RotatingBloom(bits_log2=14, per_generation=500)
    assert not b.seen_then_add(42)
    assert b.seen_then_add(42)
    for i in range(1000, 2200):  # more than two generations later
        b.seen_then_add(i)
    assert not b.seen_then_add(42)
    false_pos = sum(b.seen_then_add(i) for i in range(10**6, 10**6 + 200))
    assert false_pos < 10
    assert len(b.current) == len(b.previous) == 2048
