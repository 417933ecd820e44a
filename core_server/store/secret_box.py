"""Encryption at rest of tenant secrets (bot tokens, provider keys) with AES-256-GCM.

Each value gets a fresh 96-bit nonce and is bound to its purpose and owner through the associated
data (e.g. b"tenant:<id>:bot_token"), so a ciphertext copied into another row or column fails to
decrypt instead of leaking under the wrong name.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core_server.store.key_files import write_private_file

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_VERSION = b"\x01"


class MasterKeyError(Exception):
    """The master key is missing or malformed."""


class SecretBox:
    """Encrypts and decrypts small secrets under the master key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != KEY_BYTES:
            raise MasterKeyError(f"master key must be {KEY_BYTES} bytes, got {len(master_key)}")
        self._aead = AESGCM(master_key)

    def encrypt(self, plaintext: str, context: bytes) -> bytes:
        return self.encrypt_bytes(plaintext.encode(), context)

    def decrypt(self, blob: bytes, context: bytes) -> str:
        return self.decrypt_bytes(blob, context).decode()

    def encrypt_bytes(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT_VERSION + nonce + self._aead.encrypt(nonce, plaintext, context)

    def decrypt_bytes(self, blob: bytes, context: bytes) -> bytes:
        if blob[:1] != FORMAT_VERSION:
            raise ValueError("unknown secret format")
        nonce, ciphertext = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        return self._aead.decrypt(nonce, ciphertext, context)


def parse_master_key(text: str) -> bytes:
    """Decode a base64 master key (as `BILLING_HUB_MASTER_KEY` holds it)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as error:
        raise MasterKeyError("BILLING_HUB_MASTER_KEY is not valid base64") from error
    if len(key) != KEY_BYTES:
        raise MasterKeyError(f"BILLING_HUB_MASTER_KEY must decode to {KEY_BYTES} bytes")
    return key


def load_or_create_key_file(path: Path) -> bytes:
    """Read the master key file, or create it (mode 0600, see `key_files`) with a fresh random key.

    The file is never replaced: when another process creates it first, its key is the one used.
    """
    if not path.exists():
        key = AESGCM.generate_key(bit_length=256)
        if write_private_file(path, base64.b64encode(key).decode() + "\n", replace=False):
            return key
    return parse_master_key(path.read_text())
