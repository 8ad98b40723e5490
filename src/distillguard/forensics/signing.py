"""Ed25519 keys of the ledger: make a pair, load a signer or a verifier, sign, check.

Private key files are PEM (PKCS#8, unencrypted; what `distillguard ledger keygen` writes, mode
0600) or the 32 raw bytes of the seed. Public key files are PEM (SubjectPublicKeyInfo) or the
32 raw bytes. A key's id is the first 16 hex digits of SHA-256 over its 32 raw public bytes;
checkpoints name the key that signed them by this id.

Signatures cover `DOMAIN + message`, so that a ledger key's signature can never be passed off
as one over another kind of message made with the same key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from distillguard.errors import LedgerKeyError

DOMAIN = b"distillguard-ledger-checkpoint-v1\n"

_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def key_id(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(public.public_bytes(*_RAW)).hexdigest()[:16]


@dataclass(frozen=True)
class Verifier:
    """Checks checkpoint signatures with one public key."""

    public: Ed25519PublicKey
    key_id: str

    @classmethod
    def of(cls, public: Ed25519PublicKey) -> Verifier:
        return cls(public, key_id(public))

    def verify(self, signature_b64: str, message: bytes) -> bool:
        try:
            sig = base64.b64decode(signature_b64, validate=True)
            self.public.verify(sig, DOMAIN + message)
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """Signs checkpoints with one private key."""

    private: Ed25519PrivateKey
    verifier: Verifier

    @property
    def key_id(self) -> str:
        return self.verifier.key_id

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(DOMAIN + message)).decode("ascii")


def public_path(private_path: Path) -> Path:
    """Where `keygen` puts the public key of `private_path`: beside it, with `.pub` added."""
    return private_path.with_name(private_path.name + ".pub")


def generate_keypair(out: Path, *, overwrite: bool = False) -> tuple[Path, Path]:
    """Write a new private key to `out` (mode 0600) and its public key beside it."""
    pub = public_path(out)
    for path in (out, pub):
        if path.exists() and not overwrite:
            raise LedgerKeyError(str(path), "exists already; pass --force to replace it")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)  # so the mode below applies to a fresh file
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pub.write_bytes(public)
    return out, pub


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise LedgerKeyError(str(path), f"{what} not found") from None
    except OSError as err:
        raise LedgerKeyError(str(path), f"cannot read the {what}: {err.strerror}") from None


def load_signer(path: Path) -> Signer:
    """The private key in `path` (PEM or 32 raw bytes)."""
    data = _read(path, "private key")
    private: object
    if len(data) == 32:
        private = Ed25519PrivateKey.from_private_bytes(data)
    else:
        try:
            private = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as err:
            raise LedgerKeyError(
                str(path), f"is not an unencrypted PEM or raw 32-byte Ed25519 key ({err})"
            ) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise LedgerKeyError(str(path), f"holds a {type(private).__name__}, not an Ed25519 key")
    return Signer(private, Verifier.of(private.public_key()))


def load_verifier(path: Path) -> Verifier:
    """The public key in `path` (PEM or 32 raw bytes); a private key file also gives one."""
    data = _read(path, "public key")
    if b"PRIVATE KEY" in data:
        return load_signer(path).verifier
    public: object
    if len(data) == 32:
        public = Ed25519PublicKey.from_public_bytes(data)
    else:
        try:
            public = serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as err:
            raise LedgerKeyError(
                str(path), f"is not a PEM or raw 32-byte Ed25519 public key ({err})"
            ) from None
    if not isinstance(public, Ed25519PublicKey):
        raise LedgerKeyError(str(path), f"holds a {type(public).__name__}, not an Ed25519 key")
    return Verifier.of(public)
