"""WeChat official account signatures and message encryption (WXBizMsgCrypt scheme).

* Server URL signature (every request, plain and safe mode):
  ``sha1("".join(sorted([token, timestamp, nonce])))``, lower-case hex.
* Safe mode (``encrypt_type=aes``): ``msg_signature`` adds the ``Encrypt``
  field to the sorted list. The message is AES-256-CBC with
  ``key = base64(EncodingAESKey + "=")`` (43 characters → 32 bytes),
  ``IV = key[:16]``, PKCS#7 padding to a multiple of **32** bytes, over
  ``random(16) + len(msg) as 4 bytes big-endian + msg + appid``; the appid
  after the message must be ours.

Errors carry the SDK's numeric codes (−40001 …) so logs match Tencent's docs.
The signature is always checked before anything is decrypted.
"""

import base64
import binascii
import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "AppIdMismatch",
    "Base64Error",
    "DecryptError",
    "IllegalAesKey",
    "IllegalBuffer",
    "SignatureError",
    "WeChatCrypto",
    "WeChatCryptoError",
    "check_signature",
    "msg_signature",
    "sha1_signature",
]

ENCODING_AES_KEY_LENGTH = 43
BLOCK_SIZE = 32
RANDOM_LENGTH = 16
# A reply or a message larger than this is not something WeChat sends.
MAX_MESSAGE_BYTES = 1 << 20


class WeChatCryptoError(Exception):
    """A WXBizMsgCrypt failure; ``code`` is the SDK's error code."""

    code = -40000

    def __init__(self, reason: str) -> None:
        super().__init__(f"{self.code}: {reason}")
        self.reason = reason


class SignatureError(WeChatCryptoError):
    """The signature or msg_signature does not match (ValidateSignatureError)."""

    code = -40001


class IllegalAesKey(WeChatCryptoError):
    """The EncodingAESKey is not 43 base64 characters for 32 bytes."""

    code = -40004


class AppIdMismatch(WeChatCryptoError):
    """The decrypted message names another appid (ValidateAppidError)."""

    code = -40005


class DecryptError(WeChatCryptoError):
    """AES decryption or padding failed."""

    code = -40007


class IllegalBuffer(WeChatCryptoError):
    """The decrypted buffer's length field or content is inconsistent."""

    code = -40008


class Base64Error(WeChatCryptoError):
    """The ciphertext is not valid base64."""

    code = -40010


def sha1_signature(*parts: str) -> str:
    """SHA-1 hex of the parts sorted as strings and concatenated."""
    joined = "".join(sorted(parts)).encode("utf-8", "surrogatepass")
    return hashlib.sha1(joined).hexdigest()


def _same(expected: str, provided: str | None) -> bool:
    if provided is None or not provided.isascii():
        return False
    return hmac.compare_digest(expected, provided.strip().lower())


def check_signature(
    token: str, timestamp: str, nonce: str, signature: str | None
) -> bool:
    """Verify the ``signature`` query parameter of a WeChat request."""
    return _same(sha1_signature(token, timestamp, nonce), signature)


def msg_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """The safe-mode ``msg_signature`` over the ``Encrypt`` value."""
    return sha1_signature(token, timestamp, nonce, encrypt)


def _decode_key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key) != ENCODING_AES_KEY_LENGTH:
        raise IllegalAesKey(f"EncodingAESKey must be {ENCODING_AES_KEY_LENGTH} chars")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError) as error:
        raise IllegalAesKey("EncodingAESKey is not base64") from error
    if len(key) != 32:
        raise IllegalAesKey("EncodingAESKey does not decode to 32 bytes")
    return key


def _pad(data: bytes) -> bytes:
    amount = BLOCK_SIZE - len(data) % BLOCK_SIZE
    return data + bytes([amount]) * amount


def _unpad(data: bytes) -> bytes:
    amount = data[-1]
    if not 1 <= amount <= BLOCK_SIZE or data[-amount:] != bytes([amount]) * amount:
        raise DecryptError("bad padding")
    return data[:-amount]


class WeChatCrypto:
    """Encrypts and decrypts messages for one official account.

    Construct it at start-up: an illegal EncodingAESKey fails there
    (``IllegalAesKey``), not on the first message.
    """

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        if not token or not app_id:
            raise ValueError("token and app_id are required")
        self.token = token
        self.app_id = app_id
        self._key = _decode_key(encoding_aes_key)
        self._app_id_bytes = app_id.encode("utf-8")

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, message: str | bytes, random: bytes | None = None) -> str:
        """Encrypt a message (normally reply XML) into the base64 ``Encrypt`` value.

        Args:
            message: The plaintext; ``str`` is encoded as UTF-8.
            random: The 16 leading random bytes; only tests pass it.
        """
        data = message.encode("utf-8") if isinstance(message, str) else message
        if random is None:
            random = secrets.token_bytes(RANDOM_LENGTH)
        if len(random) != RANDOM_LENGTH:
            raise ValueError("random must be 16 bytes")
        plain = random + len(data).to_bytes(4, "big") + data + self._app_id_bytes
        encryptor = self._cipher().encryptor()
        encrypted = encryptor.update(_pad(plain)) + encryptor.finalize()
        return base64.b64encode(encrypted).decode("ascii")

    def decrypt(self, encrypt: str) -> bytes:
        """Decrypt an ``Encrypt`` value and check its appid; returns the message.

        Only call this after ``msg_signature`` was verified (``decrypt_message``
        does both), so that nobody can probe the padding with forged input.

        Raises:
            Base64Error, DecryptError, IllegalBuffer, AppIdMismatch.
        """
        if len(encrypt) > MAX_MESSAGE_BYTES * 2:
            raise Base64Error("ciphertext too large")
        if not encrypt.isascii():
            raise Base64Error("not a base64 ciphertext")
        try:
            encrypted = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError) as error:
            raise Base64Error("not a base64 ciphertext") from error
        if not encrypted or len(encrypted) % BLOCK_SIZE:
            # AES works in 16-byte blocks, and WeChat pads to 32.
            raise DecryptError("ciphertext length is not a multiple of 32")
        decryptor = self._cipher().decryptor()
        plain = _unpad(decryptor.update(encrypted) + decryptor.finalize())
        content = plain[RANDOM_LENGTH:]
        if len(content) < 4:
            raise IllegalBuffer("buffer shorter than its length field")
        length = int.from_bytes(content[:4], "big")
        if length > len(content) - 4:
            raise IllegalBuffer("length field exceeds the buffer")
        message, app_id = content[4 : 4 + length], content[4 + length :]
        if not hmac.compare_digest(app_id, self._app_id_bytes):
            raise AppIdMismatch("appid does not match")
        return message

    def signature_for(self, timestamp: str, nonce: str, encrypt: str) -> str:
        """The ``msg_signature`` of an ``Encrypt`` value under our token."""
        return msg_signature(self.token, timestamp, nonce, encrypt)

    def check_msg_signature(
        self, signature: str | None, timestamp: str, nonce: str, encrypt: str
    ) -> bool:
        """Verify a safe-mode ``msg_signature`` in constant time."""
        return _same(self.signature_for(timestamp, nonce, encrypt), signature)

    def decrypt_message(
        self, signature: str | None, timestamp: str, nonce: str, encrypt: str
    ) -> bytes:
        """Verify ``msg_signature``, then decrypt (SDK ``DecryptMsg``).

        Raises:
            SignatureError: Before any decryption, if the signature is wrong.
            WeChatCryptoError: Any decryption failure (see ``decrypt``).
        """
        if not self.check_msg_signature(signature, timestamp, nonce, encrypt):
            raise SignatureError("msg_signature does not match")
        return self.decrypt(encrypt)
