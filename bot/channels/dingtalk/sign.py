"""DingTalk signatures (pure): Base64(HmacSHA256(key, msg)). Checking them — header shape,
timestamp bounds, the 1-hour rule, the constant-time compare — is the shared verification
layer's job (``bot.channels.verify``); this module only computes them.

- Robot callbacks (HTTP mode) and custom robots with 加签 sign ``timestamp + "\\n" + secret``
  with the secret as key (dingstart/customize-robot-security-settings); in a URL the signature is
  encoded as ``quote_plus`` does (a raw "+" would be read as a space).
- Card callbacks carry ``x-ddpaas-signature`` = HmacSHA256(apiSecret, timestamp) (event-callback-card).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus


def hmac_b64(key: str, message: str) -> str:
    digest = hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def robot_sign(timestamp: str, secret: str) -> str:
    return hmac_b64(secret, f"{timestamp}\n{secret}")


def card_sign(timestamp: str, api_secret: str) -> str:
    return hmac_b64(api_secret, timestamp)


def signed_robot_url(webhook: str, secret: str, now_ms: int) -> str:
    """The custom robot's webhook with ``timestamp`` and the url-encoded ``sign`` appended."""
    ts = str(now_ms)
    sep = "&" if "?" in webhook else "?"
    return f"{webhook}{sep}timestamp={ts}&sign={quote_plus(robot_sign(ts, secret))}"
