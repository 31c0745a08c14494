"""Links people type as evidence or as a publication's address (已认证, 注销, 已发布): one rule for
what counts as a link and what as an address a person can open.

- ``link_attempt``: the word was meant as a link (a scheme, or ``http``/``www.`` at the start), so a
  malformed one is refused saying so instead of being taken as text.
- ``valid_link``: an http(s) address with a host, no whitespace, at most ``MAX_LINK`` characters
  (the evidence and publication columns' size). ``urlparse`` raises on a malformed IPv6 host
  (``http://[``): that is a refusal, never an error.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
MAX_LINK = 2048  # the evidence columns' size


def link_attempt(token: str) -> bool:
    """Whether a word was meant as a link (so a malformed one is refused, not taken as text)."""
    lowered = token.casefold()
    return bool(_SCHEME.match(token)) or lowered.startswith(("http", "www."))


def valid_link(token: str) -> bool:
    """An http(s) address with a host: what a person can open to see the evidence."""
    if len(token) > MAX_LINK or any(c.isspace() for c in token):
        return False
    try:
        parsed = urlparse(token)
        host = parsed.hostname
    except ValueError:  # e.g. a malformed IPv6 host
        return False
    return parsed.scheme in ("http", "https") and bool(host)
