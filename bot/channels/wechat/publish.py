"""``Publisher`` for WeChat official accounts (issue 17; Art. 10 先审后发): ``WechatPublisher``.

``submit`` turns an approved ``Article`` into a published job, in WeChat's order
(docs/wechat-publishing.md has every call, field and code with its page):

1. the cover → ``POST /cgi-bin/material/add_material?type=image`` (multipart ``media``): a
   permanent ``media_id``, the draft's ``thumb_media_id``. A news article (``article_type`` news,
   the default) *must* have one, so an article without a cover is refused before any call;
2. each body image → ``POST /cgi-bin/media/uploadimg`` (multipart ``media``): a URL. WeChat drops
   ``<img>`` whose URL it did not give, so the ``src="cid:<index>"`` placeholders are replaced by
   these URLs and by nothing else. These images must be JPG/PNG under 1 MB: checked here first
   (by their bytes, not the MIME type the chat gave) so the officer hears which image and why;
3. ``POST /cgi-bin/draft/add`` with the one article → the draft's ``media_id``. The JSON is sent as
   UTF-8, not ``\\uXXXX`` escapes: the page says WeChat would keep escapes as typed;
4. ``POST /cgi-bin/freepublish/submit`` {media_id} → ``publish_id``. Success only means the job
   was accepted: how it ends comes later (``PUBLISHJOBFINISH``, or ``status``).

``status`` is ``freepublish/get``; ``published`` is one page of ``freepublish/batchget``, each
article of each published item a ``PublishedItem`` (``source_id`` = ``article_id:idx``, idx from
1 as WeChat numbers articles), its HTML made plain text by ``html.parser``.

Errors (``bot.publishing``): a refused token (40001 / 40014 / 42001) is renewed and the call made
once more (``bot.channels.tokens.with_renewal``); refused again it is temporary. -1, HTTP 5xx,
timeouts and codes not listed here are ``PublishError`` (temporary); 45009 ``PublishThrottled``;
the codes of ``REFUSALS`` are ``PublishRefused`` with the reason for the officer: 40164 / 61004 the
server's IP is not on the account's allow-list (the IP WeChat saw is quoted), 48001 the API is not
authorised to the account, 40013 / 40125 / 40001-at-token the AppID or secret, 40007 an unknown
media id, image and length limits, 53503 / 53504 / 53505 the draft refused at submit.

A timeout or 5xx *on freepublish/submit* is ambiguous (WeChat may have accepted the job): it is
``PublishError`` with ``code == UNCERTAIN``; the caller must not submit again blindly (the watch
finds the article in ``batchget`` if it went out).

Tokens: one per AppID in the process, the channel's (``WechatPublisher(api_base,
tokens=channel.tokens)``, ``bot.channels.wechat.channel.WechatTokens``). Nothing here logs a URL
(they carry the token) or the secret.
"""

from __future__ import annotations

import html
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, TypeVar

import aiohttp

from bot.channels.base import DeliveryError, Throttled
from bot.channels.common import HttpClient
from bot.channels.tokens import TokenRefused, with_renewal
from bot.channels.wechat.channel import TOKEN_ERRORS, WechatTokenError, WechatTokenRefused, WechatTokens
from bot.channels.wechat.publish_events import ARTICLE_ID, PUBLISH_ID, first_url, status_of
from bot.publishing import (
    Article,
    Credentials,
    Image,
    PublishedItem,
    PublishError,
    PublishRefused,
    PublishStatus,
    PublishThrottled,
    PublishUncertain,
)
from bot.texts import wechat_publish as texts  # re-exported by bot.texts once listed there

log = logging.getLogger("xmt.wechat.publish")
T = TypeVar("T")

UNCERTAIN = "uncertain"  # PublishError.code: freepublish/submit may have been accepted
PLACEHOLDER = re.compile(r'src="cid:(\d{1,4})"')
BODY_IMAGE_MAX = 1024 * 1024 - 1  # media/uploadimg: "大小必须在1MB以下"
COVER_MAX = 10 * 1024 * 1024  # material/add_material image: 10M
CONTENT_MAX_CHARS = 20_000 - 1  # draft/add content: "必须少于2万字符，小于1M"
CONTENT_MAX_BYTES = 1024 * 1024 - 1
BATCH_MAX = 20  # freepublish/batchget count: 1..20
TEXT_MAX = 100_000  # a published article's plain text is cut here (screening reads it all before)
IP_IN_ERRMSG = re.compile(r"invalid ip ([0-9A-Fa-f.:]{3,45})")

REFUSALS: dict[int, str] = {
    48001: texts.WECHAT_API_UNAUTHORISED,
    48004: texts.WECHAT_API_FORBIDDEN,
    40013: texts.WECHAT_BAD_CREDENTIALS,
    40125: texts.WECHAT_BAD_CREDENTIALS,
    40007: texts.WECHAT_INVALID_MEDIA,
    40004: texts.WECHAT_BAD_IMAGE_TYPE,
    40005: texts.WECHAT_BAD_IMAGE_TYPE,
    40006: texts.WECHAT_BAD_IMAGE_SIZE,
    40009: texts.WECHAT_BAD_IMAGE_SIZE,
    44003: texts.WECHAT_EMPTY_CONTENT,
    45002: texts.WECHAT_CONTENT_TOO_LONG,
    45003: texts.WECHAT_TITLE_TOO_LONG,
    45004: texts.WECHAT_DIGEST_TOO_LONG,
    45166: texts.WECHAT_INVALID_CONTENT,
    53503: texts.WECHAT_DRAFT_CHECK_FAILED,
    53504: texts.WECHAT_DRAFT_NEEDS_WEB,
    53505: texts.WECHAT_DRAFT_SAVE_BY_HAND,
}
IP_NOT_ALLOWED = frozenset({40164, 61004})
THROTTLED = 45009


def _ip(errmsg: str) -> str:
    found = IP_IN_ERRMSG.search(errmsg)
    return found.group(1) if found else ""


def refusal(code: int, errmsg: str, where: str) -> PublishError:
    """The ``PublishError`` for WeChat's non-zero ``errcode`` ``code`` (not a token refusal)."""
    if code in IP_NOT_ALLOWED:
        return PublishRefused(f"WeChat {where}: errcode {code}", code=str(code),
                              reason=texts.wechat_ip_not_allowed(_ip(errmsg)))
    if code in REFUSALS:
        return PublishRefused(f"WeChat {where}: errcode {code}", code=str(code),
                              reason=REFUSALS[code].format(code=code))
    if code == THROTTLED:
        return PublishThrottled(f"WeChat {where}: frequency limit", code=str(code))
    return PublishError(f"WeChat {where}: errcode {code}", code=str(code))  # -1 and the unknown


def image_kind(data: bytes) -> str:
    """"jpeg", "png", "gif", "bmp" by the file's first bytes, "" for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    return ""


def _check_body_image(image: Image) -> str:
    kind = image_kind(image.data)
    if kind not in ("jpeg", "png"):
        raise PublishRefused(f"image {image.name!r}: not JPG/PNG", code="image_type",
                             reason=texts.wechat_image_refused(image.name, texts.WECHAT_IMAGE_NOT_JPG_PNG))
    if len(image.data) > BODY_IMAGE_MAX:
        raise PublishRefused(f"image {image.name!r}: over 1 MB", code="image_size",
                             reason=texts.wechat_image_refused(image.name, texts.WECHAT_IMAGE_OVER_1MB))
    return kind


def _check_cover(image: Image) -> str:
    kind = image_kind(image.data)
    if not kind:
        raise PublishRefused(f"cover {image.name!r}: not an image WeChat takes", code="image_type",
                             reason=texts.wechat_image_refused(image.name, texts.WECHAT_IMAGE_NOT_JPG_PNG))
    if len(image.data) > COVER_MAX:
        raise PublishRefused(f"cover {image.name!r}: over 10 MB", code="image_size",
                             reason=texts.wechat_image_refused(image.name,
                                                               texts.WECHAT_IMAGE_COVER_OVER_10MB))
    return kind


class _PlainText(HTMLParser):
    """An article's HTML as text: block elements and ``<br>`` end lines, script/style dropped."""

    BLOCKS = frozenset({"p", "div", "section", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                        "blockquote", "pre", "table", "ul", "ol", "hr"})
    SKIP = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def plain_text(markup: str) -> str:
    """The text a reader sees in ``markup``: one line per block, spaces collapsed, no empty lines."""
    parser = _PlainText()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)[:TEXT_MAX]


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


class WechatPublisher(HttpClient):
    """``bot.publishing.Publisher`` over WeChat's official-account API."""

    platform = "wechat"

    def __init__(self, api_base: str, *, tokens: WechatTokens | None = None, timeout: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(timeout)
        self.api_base = api_base.rstrip("/")
        self.tokens = tokens if tokens is not None else WechatTokens(self, self.api_base, clock=clock)

    # ---- the calls ----------------------------------------------------------------------------

    async def _post(self, path: str, token: str, *, params: dict[str, str] | None = None,
                    body: dict[str, Any] | None = None, media: tuple[Image, str] | None = None,
                    ambiguous: bool = False) -> dict[str, Any]:
        """One POST to ``path``; WeChat's answer when its errcode is 0. ``ambiguous``: a call
        WeChat may have carried out although we got no answer (then ``code == UNCERTAIN``)."""
        kw: dict[str, Any] = {"params": {"access_token": token, **(params or {})}}
        if body is not None:
            kw["data"] = json.dumps(body, ensure_ascii=False).encode("utf-8")
            kw["headers"] = {"Content-Type": "application/json; charset=utf-8"}
        if media is not None:
            image, filename = media
            form = aiohttp.FormData()
            form.add_field("media", image.data, filename=filename, content_type=image.mime)
            kw["data"] = form

        def lost(message: str, code: str) -> PublishError:
            if ambiguous:
                return PublishUncertain(message, code=UNCERTAIN)
            return PublishError(message, code=code)

        try:
            with self.measured(path):
                async with self.session.post(self.api_base + path, **kw) as resp:
                    if resp.status >= 500:
                        self.api_error(f"http_{resp.status}")
                        raise lost(f"WeChat {path}: HTTP {resp.status}", f"http{resp.status}")
                    data = await resp.json(content_type=None)
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            raise lost(f"WeChat {path}: {type(exc).__name__}", "network") from None
        if not isinstance(data, dict):
            raise lost(f"WeChat {path}: not a JSON object", "answer")
        try:
            code = int(data.get("errcode", 0) or 0)
        except (TypeError, ValueError):
            raise PublishError(f"WeChat {path}: errcode not a number", code="answer") from None
        self.api_error(code)
        if code == 0:
            return data
        if code in TOKEN_ERRORS:
            raise WechatTokenRefused(f"WeChat {path}: access token refused (errcode {code})")
        raise refusal(code, _str(data.get("errmsg")), path)

    async def _call(self, credentials: Credentials,
                    attempt: Callable[[str], Awaitable[T]]) -> T:
        """``attempt(token)`` with the account's token, renewed once if WeChat refuses it; every
        failure a ``PublishError``."""
        try:
            tokens = self.tokens.cache(credentials.app_id, credentials.app_secret)
            return await with_renewal(tokens, attempt)
        except WechatTokenError as exc:  # /cgi-bin/token refused the account or this server
            if exc.errcode in TOKEN_ERRORS:  # at the token endpoint 40001 is the secret
                raise PublishRefused(str(exc), code=str(exc.errcode),
                                     reason=texts.WECHAT_BAD_CREDENTIALS.format(code=exc.errcode)) from None
            raise refusal(exc.errcode, exc.errmsg, "/cgi-bin/token") from None
        except Throttled as exc:
            raise PublishThrottled(str(exc), code=str(THROTTLED)) from None
        except TokenRefused as exc:  # refused again after renewal: temporary
            raise PublishError(str(exc), code="token") from None
        except DeliveryError as exc:
            raise PublishError(str(exc), code="token") from None

    # ---- Publisher ----------------------------------------------------------------------------

    async def submit(self, credentials: Credentials, article: Article) -> str:
        cover = article.cover
        if cover is None:
            raise PublishRefused("a news article needs a cover (thumb_media_id)", code="no_cover",
                                 reason=texts.WECHAT_NO_COVER)
        wanted = sorted({int(i) for i in PLACEHOLDER.findall(article.html)})
        if any(i >= len(article.images) for i in wanted):
            raise PublishRefused("a placeholder names no image", code="placeholder",
                                 reason=texts.WECHAT_UNKNOWN_PLACEHOLDER)
        cover_kind = _check_cover(cover)
        kinds = {i: _check_body_image(article.images[i]) for i in wanted}

        async def upload_cover(token: str) -> str:
            data = await self._post("/cgi-bin/material/add_material", token, params={"type": "image"},
                                    media=(cover, f"cover.{_ext(cover_kind)}"))
            media_id = _str(data.get("media_id"))
            if not media_id:
                raise PublishError("WeChat add_material: no media_id", code="answer")
            return media_id

        thumb_media_id = await self._call(credentials, upload_cover)
        urls: dict[int, str] = {}
        for i in wanted:
            async def upload(token: str, i: int = i) -> str:
                data = await self._post("/cgi-bin/media/uploadimg", token,
                                        media=(article.images[i], f"image{i}.{_ext(kinds[i])}"))
                url = _str(data.get("url"))
                if not url.startswith(("http://", "https://")):
                    raise PublishError("WeChat uploadimg: no url", code="answer")
                return url

            urls[i] = await self._call(credentials, upload)
        content = PLACEHOLDER.sub(lambda m: f'src="{html.escape(urls[int(m.group(1))], quote=True)}"',
                                  article.html)
        if len(content) > CONTENT_MAX_CHARS or len(content.encode("utf-8")) > CONTENT_MAX_BYTES:
            raise PublishRefused("content over WeChat's limit", code="content_too_long",
                                 reason=texts.WECHAT_CONTENT_TOO_LONG)
        draft = {"articles": [{
            "article_type": "news",
            "title": article.title,
            "author": article.author,
            "digest": article.digest,
            "content": content,
            "content_source_url": article.source_url,
            "thumb_media_id": thumb_media_id,
            "need_open_comment": 0,
            "only_fans_can_comment": 0,
        }]}

        async def add_draft(token: str) -> str:
            data = await self._post("/cgi-bin/draft/add", token, body=draft)
            media_id = _str(data.get("media_id"))
            if not media_id:
                raise PublishError("WeChat draft/add: no media_id", code="answer")
            return media_id

        media_id = await self._call(credentials, add_draft)
        log.info("wechat %s: draft created with %d image(s), submitting", credentials.account, len(urls))

        async def publish(token: str) -> str:
            data = await self._post("/cgi-bin/freepublish/submit", token, body={"media_id": media_id},
                                    ambiguous=True)
            publish_id = data.get("publish_id")  # a string on one page, an int on another
            text = str(publish_id) if isinstance(publish_id, (str, int)) else ""
            if not PUBLISH_ID.fullmatch(text):
                raise PublishUncertain("WeChat freepublish/submit: no publish_id", code=UNCERTAIN)
            return text

        publish_id = await self._call(credentials, publish)
        log.info("wechat %s: submitted, publish_id %s", credentials.account, publish_id)
        return publish_id

    async def status(self, credentials: Credentials, publish_id: str) -> PublishStatus:
        if not PUBLISH_ID.fullmatch(publish_id):
            raise PublishRefused(f"not a publish_id: {publish_id[:40]!r}", code="publish_id")

        async def get(token: str) -> dict[str, Any]:
            return await self._post("/cgi-bin/freepublish/get", token, body={"publish_id": publish_id})

        data = await self._call(credentials, get)
        try:
            code = int(data.get("publish_status"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise PublishError("WeChat freepublish/get: no publish_status", code="answer") from None
        article_id = _str(data.get("article_id"))
        if article_id and not ARTICLE_ID.fullmatch(article_id):
            raise PublishError("WeChat freepublish/get: odd article_id", code="answer")
        url = ""
        if code == 0:
            try:
                url = first_url(data.get("article_detail"))
            except ValueError:  # verify.Malformed
                raise PublishError("WeChat freepublish/get: odd article_detail", code="answer") from None
        status = status_of(code, article_id=article_id, article_url=url)
        if status is None:
            raise PublishError(f"WeChat freepublish/get: publish_status {code} not in the table",
                               code=f"publish_status {code}")
        return status

    async def published(self, credentials: Credentials, *, offset: int = 0, count: int = 20
                        ) -> tuple[list[PublishedItem], int]:
        body = {"offset": max(0, offset), "count": min(max(1, count), BATCH_MAX), "no_content": 0}

        async def batchget(token: str) -> dict[str, Any]:
            return await self._post("/cgi-bin/freepublish/batchget", token, body=body)

        data = await self._call(credentials, batchget)
        total = data.get("total_count")
        items: list[PublishedItem] = []
        for entry in data.get("item") or []:
            if not isinstance(entry, dict):
                continue
            article_id = _str(entry.get("article_id"))
            if not ARTICLE_ID.fullmatch(article_id):
                continue
            stamp = entry.get("update_time")
            when = (datetime.fromtimestamp(stamp, tz=UTC)
                    if isinstance(stamp, int) and 0 < stamp < 2**33 else None)
            content = entry.get("content")
            news = content.get("news_item") if isinstance(content, dict) else None
            for idx, news_item in enumerate(news if isinstance(news, list) else [], start=1):
                if not isinstance(news_item, dict):
                    continue
                extra = {"article_id": article_id, "idx": str(idx)}
                if news_item.get("is_deleted"):
                    extra["deleted"] = "true"
                if _str(news_item.get("author")):
                    extra["author"] = _str(news_item.get("author"))
                items.append(PublishedItem(
                    source_id=f"{article_id}:{idx}",
                    title=_str(news_item.get("title")),
                    url=_str(news_item.get("url")),
                    published_at=when,
                    text=plain_text(_str(news_item.get("content"))),
                    extra=extra,
                ))
        return items, total if isinstance(total, int) and total >= 0 else len(items)


def _ext(kind: str) -> str:
    return "jpg" if kind == "jpeg" else kind
