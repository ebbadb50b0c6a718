"""WXBizMsgCrypt, the callback scheme WeCom (企业微信, 微信客服) and the Official Account share,
written on `cryptography`.

signature  sha1 over the sorted strings token, timestamp, nonce (and the ciphertext when there is one)
key        base64(EncodingAESKey + "="): 32 bytes, AES-256-CBC with IV = key[:16]
padding    PKCS#7 to 32-byte blocks (not AES's 16)
plaintext  16 random bytes + 4-byte big-endian length + message + receive id (CorpID or AppID)

CryptoError
├── SignatureError   the signature does not match: the request did not come from WeChat (403)
├── ReceiveIdError   decrypted, but for another CorpID / AppID
└── BadCiphertext    not base64, not whole blocks, bad padding or a length past the end
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from knowledge.errors import RongchuangError

BLOCK = 32
RANDOM_BYTES = 16


class CryptoError(RongchuangError):
    """A callback that cannot be trusted or read."""


class SignatureError(CryptoError):
    pass


class ReceiveIdError(CryptoError):
    pass


class BadCiphertext(CryptoError):
    pass


def signature(token: str, timestamp: str, nonce: str, encrypt: str | None = None) -> str:
    """The hex sha1 WeChat puts in `signature` (plain) or `msg_signature` (with a ciphertext)."""
    parts = [token, timestamp, nonce] + ([encrypt] if encrypt is not None else [])
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_signature(expected: str, given: str | None) -> None:
    if not given or not hmac.compare_digest(expected.encode(), given.lower().encode()):
        raise SignatureError("签名不对：这个请求不是微信发来的。")


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte key from the 43-character EncodingAESKey of the admin console."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("EncodingAESKey 应是 43 位字母和数字，请从后台复制完整。") from exc
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise ValueError("EncodingAESKey 应是 43 位字母和数字，请从后台复制完整。")
    return key


def pad(data: bytes) -> bytes:
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def unpad(data: bytes) -> bytes:
    if not data:
        raise BadCiphertext("密文是空的。")
    n = data[-1]
    if not 1 <= n <= BLOCK or data[-n:] != bytes([n]) * n:
        raise BadCiphertext("密文的填充不对。")
    return data[:-n]


class MsgCrypt:
    """One callback's crypto: the Token, EncodingAESKey and receive id set in the admin console."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        self.token = token
        self.key = aes_key(encoding_aes_key)
        self.receive_id = receive_id

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, message: str | bytes, random16: bytes | None = None) -> str:
        """Base64 ciphertext of `message` (random16 only for reproducing published vectors)."""
        body = message.encode() if isinstance(message, str) else message
        prefix = random16 if random16 is not None else os.urandom(RANDOM_BYTES)
        if len(prefix) != RANDOM_BYTES:
            raise ValueError("random16 must be 16 bytes")
        plain = prefix + struct.pack(">I", len(body)) + body + self.receive_id.encode()
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(pad(plain)) + enc.finalize()).decode()

    def decrypt(self, encrypt: str) -> bytes:
        """The message inside `encrypt`; checks padding, length and the receive id."""
        try:
            raw = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadCiphertext("密文不是 base64。") from exc
        if not raw or len(raw) % 16:
            raise BadCiphertext("密文长度不对（被截断了？）。")
        dec = self._cipher().decryptor()
        plain = unpad(dec.update(raw) + dec.finalize())
        if len(plain) < RANDOM_BYTES + 4:
            raise BadCiphertext("密文太短。")
        (length,) = struct.unpack(">I", plain[RANDOM_BYTES : RANDOM_BYTES + 4])
        start = RANDOM_BYTES + 4
        if start + length > len(plain):
            raise BadCiphertext("密文里的长度超出了内容（被截断了？）。")
        received = plain[start + length :]
        if not hmac.compare_digest(received, self.receive_id.encode()):
            raise ReceiveIdError("消息不是发给这个 CorpID / AppID 的。")
        return plain[start : start + length]

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return signature(self.token, timestamp, nonce, encrypt)

    def open(self, msg_signature: str | None, timestamp: str, nonce: str, encrypt: str) -> bytes:
        """Verify, then decrypt: URL verification's echostr and a POST's <Encrypt> alike."""
        check_signature(self.sign(timestamp, nonce, encrypt), msg_signature)
        return self.decrypt(encrypt)

    def seal(self, message: str, timestamp: str, nonce: str) -> tuple[str, str]:
        """(ciphertext, msg_signature) for a passive reply."""
        encrypt = self.encrypt(message)
        return encrypt, self.sign(timestamp, nonce, encrypt)
