"""The durable event pipeline: the journal a gateway appends to before it answers, and what
its consumers need to take each event into effect exactly once (offsets, positions)."""
