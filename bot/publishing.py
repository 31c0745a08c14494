"""Publications seen where they happen (issue 17; Art. 10 先审后发, Art. 11 cadence, Art. 13).

Two directions, one vocabulary, no platform detail here (the implementations live in their
channel folder, ``bot.channels.wechat.publish``; feeds in ``bot.feeds``):

- **Publishing** an approved version on a WeChat official account: ``Publisher.submit`` uploads
  the images, creates the draft (``draft/add``) from exactly the approved text and submits it
  (``freepublish/submit``), returning WeChat's ``publish_id``; ``Publisher.status`` asks how that
  job ended (``freepublish/get``), the fallback for a ``PUBLISHJOBFINISH`` event that never came.
- **Watching** what an account published, approved or not: ``Publisher.published`` reads the
  account's published list (``freepublish/batchget``); an account's RSS/Atom feed gives the same
  ``PublishedItem`` (``bot.feeds``). A sweep matches each new item to an approved version
  (``bot.matching``) or reports it as published without approval.

Every method may raise ``PublishError``: ``PublishRefused`` when retrying cannot help (the API
not authorised to the account, its IP allow-list, a body WeChat refuses — the officer is told
why), ``PublishThrottled`` when it can (the caller retries later), ``PublishUncertain`` when a
submission may have gone through unanswered (never retried), plain ``PublishError`` for anything
temporary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class PublishError(Exception):
    """A publishing call failed (``code``: the platform's error code, as text; ``reason``: a
    sentence in Chinese for the officer, when the platform's answer means something to them)."""

    def __init__(self, message: str, *, code: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class PublishRefused(PublishError):
    """Permanent: retrying cannot help until someone changes something (permission, IP list,
    the content)."""


class PublishThrottled(PublishError):
    """Rate limited (e.g. 45009): try again later."""


class PublishUncertain(PublishError):
    """The submission may have been carried out though no answer came (a timeout or a 5xx on
    ``freepublish/submit``): submitting again could publish the article twice, so the caller
    must not; the watch finds it if it went out."""


@dataclass(frozen=True)
class Credentials:
    """An official account's API identity, from the organisation file (``Account.wechat``)."""

    account: str  # our account's name (for logs and keys)
    app_id: str
    app_secret: str

    def __repr__(self) -> str:  # never the secret
        return f"Credentials(account={self.account!r}, app_id={self.app_id!r})"


@dataclass(frozen=True)
class Image:
    name: str
    data: bytes
    mime: str = "image/jpeg"


@dataclass(frozen=True)
class Article:
    """Exactly what was approved, made publishable: the title, the body as HTML (made from the
    approved text by a library, ``bot.article_html``), the cover (the first image) and the images
    that go in the body, in order (their ``<img>`` placeholders are ``src="cid:<index>"`` until
    the publisher has uploaded them and put WeChat's URLs in)."""

    title: str
    html: str
    author: str = ""
    digest: str = ""  # the summary shown under the title in a share (≤ 120 characters)
    cover: Image | None = None
    images: tuple[Image, ...] = ()
    source_url: str = ""  # 阅读原文, if the draft had a link


@dataclass(frozen=True)
class PublishStatus:
    """How a publish job ended, or that it has not yet."""

    state: str  # "publishing" | "published" | "failed"
    article_url: str = ""  # published: the article's URL
    article_id: str = ""  # published: WeChat's article_id
    reason: str = ""  # failed: why, in Chinese, for the officer (the platform's review refused it…)
    code: str = ""  # failed: the platform's status code, as text


@dataclass(frozen=True)
class PublishedItem:
    """One item an account published, as its platform or feed shows it."""

    source_id: str  # stable per item: WeChat article_id + index, a feed entry's id or link
    title: str
    url: str
    published_at: datetime | None  # None when the source does not say
    text: str  # the body as plain text (HTML stripped), "" when the source gives none
    extra: dict[str, str] = field(default_factory=dict)


class Publisher(Protocol):
    """A WeChat official account's publishing API. Every method may raise ``PublishError``."""

    async def submit(self, credentials: Credentials, article: Article) -> str:
        """Upload the images, create the draft, submit it; WeChat's ``publish_id``."""

    async def status(self, credentials: Credentials, publish_id: str) -> PublishStatus:
        """How the publish job ``publish_id`` stands (``freepublish/get``)."""

    async def published(self, credentials: Credentials, *, offset: int = 0, count: int = 20
                        ) -> tuple[list[PublishedItem], int]:
        """One page of the account's published articles, newest first, and the total
        (``freepublish/batchget``)."""
