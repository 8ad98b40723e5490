"""Per-account detectors: one small class per signal, each pure and bounded in memory."""

from distillguard.detect.detectors.probing import ProbeDetector
from distillguard.detect.detectors.templates import TemplateDetector
from distillguard.detect.detectors.usage import UsageDetector

__all__ = ["ProbeDetector", "TemplateDetector", "UsageDetector"]
