"""Evaluation of detector output against labels: metrics at the account level."""

from distillguard.evaluation.labels import Label, read_labels
from distillguard.evaluation.metrics import Evaluation, evaluate, read_scores

__all__ = ["Evaluation", "Label", "evaluate", "read_labels", "read_scores"]
