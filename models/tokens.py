"""WeChat official-account access tokens shared by every bot instance on one database (issue 17,
point 5: "tokens cached per account and shared by instances").

Why: WeChat keeps one access token per AppID. Fetching a new one (``/cgi-bin/token``) retires the
previous one five minutes later, and the fetch has a daily quota (2,000 a day on the 接口频率限制
table; docs/wechat-publishing.md, "Tokens shared by instances"). Several bot instances on one
PostgreSQL each fetching their own token would knock each other's token out every few minutes
(40001 storms) and spend the quota. So the token lives here, one row per AppID, and the instances
coordinate through conditional UPDATEs (no lock is held across a network call):

- ``token`` is the current token *sealed* (AES-GCM under a key derived from the AppSecret, the
  AppID bound in): the database's statement log (tortoise logs parameters at DEBUG) and a dump
  never show a usable token, and a token sealed under an old secret simply fails to open (the
  instance then fetches with the secret it has). ``expires_at`` is WeChat's ``expires_in`` from the
  moment of the fetch, in UTC. ``generation`` goes up by one with every stored token: it is what
  compare-and-set compares.
- **Fetch lease**: an instance that finds the token missing, expiring or refused claims the row
  with ``claim`` (an UPDATE that succeeds only if no lease is live and the generation is the one
  it read); only the winner calls WeChat and ``store``s the token (same UPDATE shape, clearing the
  lease). The others poll the row briefly and read the new token; after a bounded wait they fetch
  anyway rather than fail, and a lease left by a crashed instance expires (``lease_until``) so the
  next instance claims it.
- **A refused token** (40001 / 40014 / 42001) is dropped with ``invalidate``: only if it is still
  the stored generation, so two instances refused the same token renew it once.

The protocol (reading, waiting, sealing) is ``bot.channels.wechat.channel.WechatTokens``; this
module holds the row and its conditional updates. Never called inside a transaction (a claim held
in an open transaction would block the other instances on the row lock).
"""

from __future__ import annotations

from datetime import datetime

from tortoise import fields
from tortoise.expressions import Q
from tortoise.models import Model

#: WeChat: "access_token 的存储至少要保留 512 个字符空间"; sealed and base64url-encoded it needs
#: 4/3 × (512 + 12-byte nonce + 16-byte tag) characters.
SEALED_MAX = 1024


class WechatToken(Model):
    """The current access token of one WeChat AppID, shared by every bot instance."""

    id = fields.IntField(primary_key=True)
    app_id = fields.CharField(max_length=64, unique=True)
    token = fields.CharField(max_length=SEALED_MAX, default="")  # sealed, "" when none
    generation = fields.IntField(default=0)  # +1 per stored token: the compare-and-set key
    expires_at = fields.DatetimeField(null=True)
    fetched_at = fields.DatetimeField(null=True)
    lease_until = fields.DatetimeField(null=True)  # an instance is fetching until then
    lease_owner = fields.CharField(max_length=32, default="")

    class Meta:
        table = "wechat_token"

    @classmethod
    async def ensure(cls, app_id: str) -> None:
        """The AppID's row exists (INSERT … ON CONFLICT DO NOTHING: no error, even in a race)."""
        await cls.bulk_create([cls(app_id=app_id)], ignore_conflicts=True)

    @classmethod
    async def claim(cls, app_id: str, generation: int, owner: str, *, now: datetime,
                    until: datetime) -> bool:
        """Take the fetch lease if nobody holds a live one and no token was stored since
        ``generation`` was read."""
        free = Q(lease_until__isnull=True) | Q(lease_until__lte=now)
        taken = await cls.filter(free, app_id=app_id, generation=generation).update(
            lease_until=until, lease_owner=owner)
        return taken == 1

    @classmethod
    async def store(cls, app_id: str, generation: int, sealed: str, *, now: datetime,
                    expires_at: datetime) -> bool:
        """Store a freshly fetched token as ``generation + 1`` (and free the lease) unless another
        instance stored one since ``generation``."""
        stored = await cls.filter(app_id=app_id, generation=generation).update(
            token=sealed, generation=generation + 1, expires_at=expires_at, fetched_at=now,
            lease_until=None, lease_owner="")
        return stored == 1

    @classmethod
    async def release(cls, app_id: str, owner: str) -> None:
        """Give the lease back (the fetch failed): the next instance may try at once."""
        await cls.filter(app_id=app_id, lease_owner=owner).update(lease_until=None, lease_owner="")

    @classmethod
    async def invalidate(cls, app_id: str, generation: int, *, now: datetime) -> bool:
        """WeChat refused the token of ``generation``: it expires now, unless it was replaced."""
        dropped = await cls.filter(app_id=app_id, generation=generation).update(expires_at=now)
        return dropped == 1
