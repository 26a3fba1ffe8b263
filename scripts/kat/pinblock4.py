#!/usr/bin/env python3
"""Independent implementation of ISO 9564-1:2017 format 4 PIN block
encipherment (9.4.2) and of mfs-ta's PIN transport-key derivation, on
pyca/cryptography's AES and HKDF. It regenerates the known-answer vectors
in proto/src/pin.rs; it is not used at run time.

Format 4 (AES): PIN field = C(4) N PIN... fill(A) to 16 nibbles, then 8
random bytes; PAN field = M (=len-12, min 0) then the PAN left-padded to 12
digits, zero-filled; block = E(E(PIN field) XOR PAN field).
"""
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes


def aes(key: bytes, block: bytes) -> bytes:
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(block) + e.finalize()


def pin_field(pin: str, random8: bytes) -> bytes:
    nib = "4" + format(len(pin), "X") + pin
    nib = nib + "A" * (16 - len(nib))
    return bytes.fromhex(nib) + random8


def pan_field(pan):
    if pan is None:
        return bytes(16)
    m = max(len(pan) - 12, 0)
    nib = str(m) + pan.rjust(12, "0")
    return bytes.fromhex(nib.ljust(32, "0"))


def format4(key_hex, pin, pan, random_hex):
    key = bytes.fromhex(key_hex)
    a = aes(key, pin_field(pin, bytes.fromhex(random_hex)))
    b = bytes(x ^ y for x, y in zip(a, pan_field(pan)))
    return aes(key, b).hex()


VECTORS = [
    ("00112233445566778899aabbccddeeff", "1234", "1234567890123456789", "0123456789abcdef"),
    ("000102030405060708090a0b0c0d0e0f", "739146285037", "4111111111111111", "fedcba9876543210"),
    ("2b7e151628aed2a6abf7158809cf4f3c", "0000", None, "0000000000000000"),
    ("2b7e151628aed2a6abf7158809cf4f3c", "98765", "12345", "a5a5a5a5a5a5a5a5"),
]

if __name__ == "__main__":
    for i, v in enumerate(VECTORS):
        print(f"KAT_BLOCK_{i} = {format4(*v)}")
    k = HKDF(algorithm=hashes.SHA256(), length=16, salt=b"mfs-ta/pin-transport/v1",
             info=b"\x04" * 65 + b"\x05" * 65).derive(b"\x11" * 32)
    print(f"KAT_TRANSPORT_KEY = {k.hex()}")
