"""Forensics: proving after the fact which account an extracted model learned from.

The tamper-evident ledger (`ledger`: format and writer; `ledger_verify`, `ledger_export`) keeps
every event hash-chained and signed, so that its records can be shown unaltered later.
"""

from distillguard.forensics.ledger import Ledger, open_ledger
from distillguard.forensics.ledger_export import ExportSummary, export_ledger, export_slice
from distillguard.forensics.ledger_privacy import PromptHasher
from distillguard.forensics.ledger_verify import VerifyReport, verify_ledger
from distillguard.forensics.signing import (
    Signer,
    Verifier,
    generate_keypair,
    load_signer,
    load_verifier,
)

__all__ = [
    "ExportSummary",
    "Ledger",
    "PromptHasher",
    "Signer",
    "Verifier",
    "VerifyReport",
    "export_ledger",
    "export_slice",
    "generate_keypair",
    "load_signer",
    "load_verifier",
    "open_ledger",
    "verify_ledger",
]
