#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Rebuild the key file vector of docs/keyfiles.md with PyNaCl (python3-nacl),
independently of protocol/vl_keyfile.c, and print it as hex.

    /usr/bin/python3 tests/vectors/keyfile_vector.py

Inputs: seed 00..1f, passphrase "correct horse battery staple", salt 80..8f,
nonce a0..b7, Argon2id ops 2 / mem 64 MiB (VL_KDF_INTERACTIVE).
"""
import struct
import sys

from nacl import bindings, pwhash, signing

seed = bytes(range(32))
passphrase = b"correct horse battery staple"
salt = bytes(range(0x80, 0x90))
nonce = bytes(range(0xA0, 0xB8))
ops, mem = 2, 64 * 1024 * 1024

pk = bytes(signing.SigningKey(seed).verify_key)
header = b"VLKEY001" + struct.pack("<QQ", ops, mem) + salt + nonce
assert len(header) == 64
key = pwhash.argon2id.kdf(32, passphrase, salt, opslimit=ops, memlimit=mem)
ct = bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(seed + pk, header, nonce, key)
keyfile = header + ct
assert len(keyfile) == 144

# And back: decrypt with the header as associated data.
assert bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ct, header, nonce, key) == seed + pk

print("pk     ", pk.hex())
print("key    ", key.hex())
print("keyfile", keyfile.hex())
sys.exit(0)
