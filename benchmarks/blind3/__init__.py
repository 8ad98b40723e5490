"""blind3: a detector-blind synthetic traffic generator (see README.md)."""
