"""The WXBizMsgCrypt scheme WeCom and WeChat official accounts share: the encrypted XML envelope,
callback signatures and AES frames (WeCom doc 91144; the WeChat official account uses the same
frame with its AppID), with the checks wechatpy leaves out. Shared by ``bot.channels.wecom`` and
``bot.channels.wechat``; neither platform's folder imports the other's.

- XML is read with ``xml_root``: ``verify.xml_guard`` first (no ``<!`` declaration, bounded depth),
  then xmltodict with entities disabled; ``scalar`` reads only text elements.

- The signature is sha1 over the four values sorted as strings; it is compared by the shared
  verification layer (``bot.channels.verify.same``: constant time, on bytes). wechatpy compares
  with ``!=``.
- The frame is ``AES-256-CBC(key, iv=key[:16])`` of ``random(16) · length(4, big-endian) · message
  · ReceiveId`` padded PKCS#7 to a multiple of **32** bytes. wechatpy's own unpadding trusts the
  last byte: pad 0 or a pad reaching into the header ends in ``struct.error`` (a 500), and pad
  bytes that disagree are accepted. ``open_frame`` checks the frame strictly — ciphertext a
  non-empty multiple of 16, pad 1..32 with every pad byte equal, at least 16+4 bytes left, the
  length inside the frame, the message UTF-8 — and refuses anything else with ``BadCiphertext``
  (400). AES itself is wechatpy's cipher (``cryptography``).
- The bot only opens frames: it answers callbacks with an empty 200, never with an encrypted
  passive reply (the tests build WeCom's side with wechatpy, ``tests/wecom_callbacks.py``).
- The ReceiveId must be our CorpID (WeCom) or the account's AppID (WeChat): ``WrongCorp`` (403).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import xmltodict
from wechatpy.crypto.cryptography import WeChatCipher

from bot.channels import verify
from bot.channels.verify import Malformed, xml_guard

BLOCK = 16
PAD_MAX = 32  # WeCom/WeChat pad to 32-byte blocks
HEADER = 16 + 4  # random bytes and the message length
MAX_ENCRYPTED = 64 * 1024  # characters of base64 (the bodies are capped at 64 KiB anyway)


class BadSignature(verify.Forbidden):
    pass


class WrongCorp(verify.Forbidden):
    pass


class BadCiphertext(verify.Malformed):
    pass


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """sha1 over the four values sorted as strings and concatenated (lowercase hex)."""
    joined = "".join(sorted([token, timestamp, nonce, encrypted]))
    return hashlib.sha1(joined.encode()).hexdigest()  # noqa: S324 — the protocol's choice


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte key an EncodingAESKey (43 characters of base64) stands for."""
    return base64.b64decode(encoding_aes_key + "=")


def open_frame(key: bytes, encrypted: str, receive_id: str) -> str:
    """The message inside a verified ``Encrypt`` value; BadCiphertext for any frame that is not
    exactly well-formed, WrongCorp if the ReceiveId is not ``receive_id``."""
    if not isinstance(encrypted, str) or len(encrypted) > MAX_ENCRYPTED or not encrypted.isascii():
        raise BadCiphertext("not base64")
    try:
        data = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise BadCiphertext("not base64") from None
    if not data or len(data) % BLOCK:
        raise BadCiphertext("not whole AES blocks")
    plain: bytes = WeChatCipher(key).decrypt(data)
    pad = plain[-1]
    if not 1 <= pad <= PAD_MAX or pad > len(plain) or plain[-pad:] != bytes([pad]) * pad:
        raise BadCiphertext("bad padding")
    frame = plain[:-pad]
    if len(frame) < HEADER:
        raise BadCiphertext("frame too short")
    length = int.from_bytes(frame[16:HEADER], "big")
    if length > len(frame) - HEADER:
        raise BadCiphertext("length beyond the frame")
    message, owner = frame[HEADER:HEADER + length], frame[HEADER + length:]
    if not hmac.compare_digest(owner, receive_id.encode()):
        raise WrongCorp
    try:
        return message.decode("utf-8")
    except UnicodeDecodeError:
        raise BadCiphertext("message is not UTF-8") from None


class Crypto:
    def __init__(self, token: str, aes_key_text: str, corp_id: str) -> None:
        self.token = token
        self.corp_id = corp_id
        self.key = aes_key(aes_key_text)

    def verify(self, sig: str, timestamp: str, nonce: str, encrypted: str) -> None:
        try:
            verify.same(signature(self.token, timestamp, nonce, encrypted), sig, fold_case=True)
        except verify.Forbidden:
            raise BadSignature from None

    def decrypt(self, encrypted: str) -> str:
        """Decrypt a verified ``Encrypt`` value; WrongCorp if the ReceiveId is not our CorpID."""
        return open_frame(self.key, encrypted, self.corp_id)


@dataclass(frozen=True)
class Envelope:
    to_user: str
    agent_id: str
    encrypted: str


def xml_root(text: str) -> dict[str, Any]:
    xml_guard(text)  # before any parser: no declarations, bounded depth
    try:
        doc = xmltodict.parse(text, disable_entities=True)
    except Exception as exc:  # expat errors, "entities are disabled", bad encodings
        raise Malformed(f"bad XML: {type(exc).__name__}") from None
    root = doc.get("xml") if isinstance(doc, dict) else None
    if not isinstance(root, dict):
        raise Malformed("no <xml> root")
    return root


def scalar(root: dict[str, Any], name: str) -> str:
    """The text of a child element; "" when it is missing, empty, or not a text element."""
    value = root.get(name)
    return value if isinstance(value, str) else ""


def parse_envelope(body: str) -> Envelope:
    root = xml_root(body)
    encrypted = root.get("Encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise Malformed("no Encrypt")
    return Envelope(scalar(root, "ToUserName"), scalar(root, "AgentID"), encrypted)
