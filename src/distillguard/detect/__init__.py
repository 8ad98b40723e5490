"""Online detection of capability extraction: features, detectors, scoring, campaigns."""
