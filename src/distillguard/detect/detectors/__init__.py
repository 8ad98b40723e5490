"""Per-account detectors: one small class per signal, each pure and bounded in memory."""

from distillguard.detect.detectors.concentration import ConcentrationDetector
from distillguard.detect.detectors.elicitation import ElicitationDetector
from distillguard.detect.detectors.harvest import HarvestDetector
from distillguard.detect.detectors.novelty import NoveltyDetector
from distillguard.detect.detectors.probing import ProbeDetector
from distillguard.detect.detectors.rhythm import RhythmDetector
from distillguard.detect.detectors.sessions import SessionDetector
from distillguard.detect.detectors.streams import StreamsDetector
from distillguard.detect.detectors.templates import TemplateDetector
from distillguard.detect.detectors.volume import VolumeDetector

__all__ = [
    "ConcentrationDetector",
    "ElicitationDetector",
    "HarvestDetector",
    "NoveltyDetector",
    "ProbeDetector",
    "RhythmDetector",
    "SessionDetector",
    "StreamsDetector",
    "TemplateDetector",
    "VolumeDetector",
]
