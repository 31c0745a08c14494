"""Callback signatures and AES envelopes (doc 91144), on top of wechatpy's crypto.

We compute and compare the signature ourselves with ``hmac.compare_digest`` (wechatpy compares
with ``!=``), then let wechatpy's ``PrpCrypto`` decrypt and check the ReceiveId (= CorpID).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException


class BadSignature(Exception):
    pass


class WrongCorp(Exception):
    pass


class BadCiphertext(Exception):
    pass


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """sha1 over the four values sorted as strings and concatenated (lowercase hex)."""
    joined = "".join(sorted([token, timestamp, nonce, encrypted]))
    return hashlib.sha1(joined.encode()).hexdigest()  # noqa: S324 — the protocol's choice


class Crypto:
    def __init__(self, token: str, aes_key: str, corp_id: str) -> None:
        self.token = token
        self.corp_id = corp_id
        self.key = base64.b64decode(aes_key + "=")
        self._wechat = WeChatCrypto(token, aes_key, corp_id)

    def verify(self, sig: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = signature(self.token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected.encode(), sig.lower().encode()):
            raise BadSignature

    def decrypt(self, encrypted: str) -> str:
        """Decrypt a verified ``Encrypt`` value; WrongCorp if the ReceiveId is not our CorpID."""
        try:
            return str(PrpCrypto(self.key).decrypt(encrypted, self.corp_id))
        except InvalidCorpIdException:
            raise WrongCorp from None
        except (ValueError, TypeError, IndexError, UnicodeDecodeError, binascii.Error) as exc:
            raise BadCiphertext(type(exc).__name__) from None

    def encrypt_reply(self, xml: str, nonce: str, timestamp: str) -> str:
        """The encrypted envelope for a passive reply (also used by tests to build callbacks)."""
        return str(self._wechat.encrypt_message(xml, nonce, timestamp))
