"""A fake WeChat official-account API (公众号) for HTTP-level tests of the publisher (issue 17).

It speaks the calls ``bot.channels.wechat.publish`` makes, with the shapes of the pages
docs/wechat-publishing.md cites: ``GET /cgi-bin/token``, ``POST /cgi-bin/material/add_material``
(multipart ``media``, ``type`` image/voice/video/thumb), ``POST /cgi-bin/media/uploadimg``
(multipart ``media``, JPG/PNG under 1 MB), ``POST /cgi-bin/draft/add``, ``POST
/cgi-bin/freepublish/submit``, ``/get`` and ``/batchget``. Answers are HTTP 200 JSON; errors carry
``errcode``/``errmsg`` with a ``rid`` as WeChat's do. Rules a client can trip over are enforced:
token missing (41001) / unknown (40001) / expired (42001); a new token for an AppID leaves the
previous one valid for 5 more minutes only; a ``thumb_media_id`` that is not a permanent media id
of this account (40007); a news article without one, or without title or content (44003); an
upload that is not an image WeChat takes (40005) or too big (40009); ``ip_allowed = False`` makes
``/cgi-bin/token`` answer 40164 with the IP, as WeChat does.

One server can stand for many official accounts (the watch's bench reads 10,000):
:meth:`FakeWechat.add_app` registers another AppID and secret with its own published list; a
token is good for its AppID's list only, and a new token retires only its own AppID's previous one.

A submitted job stays *publishing* (status 1) until the test ends it: :meth:`FakeWechat.finish`
(status 0 makes it published, with an ``article_id``, an article URL, and an entry in
``batchget``; 2-6 fail it) returns the ``PUBLISHJOBFINISH`` XML WeChat would push to the account's
callback (:meth:`FakeWechat.finish_event`). :meth:`FakeWechat.publish_directly` adds an article
published on the platform by hand, which only ``batchget`` shows.

Faults: :meth:`FakeWechat.fail` queues an errcode (or ``http500`` / ``timeout`` / ``late``) for a
path, consumed one per call; faulted calls are not recorded. What the fake received is kept:
``uploads`` (material/add_material), ``images`` (uploadimg), ``drafts`` (the parsed draft/add
bodies) and ``raw_drafts`` (their bytes, to check the JSON was sent as UTF-8), ``submitted``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web

from tests.fakes import Fault, Faults, LoopbackServer

ERR_SYSTEM_BUSY = -1
ERR_INVALID_CREDENTIAL = 40001
ERR_INVALID_MEDIA_TYPE = 40004
ERR_INVALID_FILE_TYPE = 40005
ERR_INVALID_MEDIA_ID = 40007
ERR_INVALID_IMAGE_SIZE = 40009
ERR_INVALID_APPID = 40013
ERR_INVALID_TOKEN = 40014
ERR_INVALID_PARAMETER = 40035
ERR_INVALID_APPSECRET = 40125
ERR_IP_NOT_ALLOWED = 40164
ERR_TOKEN_MISSING = 41001
ERR_TOKEN_EXPIRED = 42001
ERR_EMPTY_MEDIA = 44001
ERR_EMPTY_NEWS = 44003
ERR_RATE_LIMIT = 45009
ERR_DATA_FORMAT = 47001
ERR_API_UNAUTHORIZED = 48001
ERR_DRAFT_CHECK = 53503
ERR_DRAFT_WEB_ONLY = 53504
ERR_DRAFT_SAVE_BY_HAND = 53505
#: WeChat documents no error for an unknown ``publish_id`` on freepublish/get; 40007 (invalid
#: media_id) is the fake's stand-in.
ERR_UNKNOWN_PUBLISH_ID = ERR_INVALID_MEDIA_ID

ERRMSG: dict[int, str] = {
    ERR_SYSTEM_BUSY: "system error",
    ERR_INVALID_CREDENTIAL: "invalid credential, access_token is invalid or not latest",
    ERR_INVALID_MEDIA_TYPE: "invalid media type",
    ERR_INVALID_FILE_TYPE: "invalid file type",
    ERR_INVALID_MEDIA_ID: "invalid media_id",
    ERR_INVALID_IMAGE_SIZE: "invalid image size",
    ERR_INVALID_APPID: "invalid appid",
    ERR_INVALID_TOKEN: "invalid access_token",
    ERR_INVALID_PARAMETER: "invalid parameter",
    ERR_INVALID_APPSECRET: "invalid appsecret",
    ERR_TOKEN_MISSING: "access_token missing",
    ERR_TOKEN_EXPIRED: "access_token expired",
    ERR_EMPTY_MEDIA: "empty media data",
    ERR_EMPTY_NEWS: "empty news data",
    ERR_RATE_LIMIT: "reach max api daily quota limit",
    ERR_DATA_FORMAT: "data format error",
    ERR_API_UNAUTHORIZED: "api unauthorized",
    ERR_DRAFT_CHECK: "该草稿未通过发布检查",
    ERR_DRAFT_WEB_ONLY: "需前往公众平台官网使用草稿",
    ERR_DRAFT_SAVE_BY_HAND: "请手动保存成功后再发表",
}

PATHS = ("token", "material/add_material", "media/uploadimg", "draft/add", "freepublish/submit",
         "freepublish/get", "freepublish/batchget")

TOKEN_TTL = 7200
TOKEN_OVERLAP = 300  # the previous token stays valid 5 minutes after a new one is issued
MATERIAL_TYPES = ("image", "voice", "video", "thumb")
MATERIAL_IMAGE_MAX = 10 * 1024 * 1024
UPLOADIMG_MAX = 1024 * 1024 - 1
MAX_ARTICLES = 8
CLIENT_IP = "127.0.0.1"

_dumps = partial(json.dumps, ensure_ascii=False)


def image_kind(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    return ""


@dataclass
class _Token:
    issued_at: float
    expires_at: float
    app_id: str = ""


@dataclass
class Job:
    """A publish job: the draft's articles, its status (1 publishing until :meth:`FakeWechat.finish`)."""

    publish_id: str
    media_id: str
    articles: list[dict[str, Any]]
    status: int = 1
    article_id: str = ""
    urls: list[str] = field(default_factory=list)
    fail_idx: list[int] = field(default_factory=list)


@dataclass
class Published:
    """An entry of the account's published list (freepublish/batchget)."""

    article_id: str
    update_time: int
    news_item: list[dict[str, Any]]


def _rid() -> str:
    return "-".join(secrets.token_hex(4) for _ in range(3))


def _article_id() -> str:
    return secrets.token_urlsafe(32)[:43]  # 43 base64url characters, like WeChat's example


class FakeWechat(LoopbackServer):
    """State + fault injection for one official account; ``.app`` is the aiohttp application."""

    def __init__(self, app_id: str = "wx49f0ab532d5d035a", secret: str = "oa-secret-0123456789abcdef",  # noqa: S107
                 *, ghid: str = "gh_4d00ed8d6399", clock: Callable[[], float] = time.time) -> None:
        super().__init__(Faults(PATHS, prefix="cgi-bin/"))
        self.app_id, self.secret, self.ghid, self.clock = app_id, secret, ghid, clock
        #: False: /cgi-bin/token answers 40164 (this server's IP is not on the allow-list).
        self.ip_allowed = True
        self.tokens_issued = 0
        self.uploads: list[dict[str, Any]] = []  # material/add_material: type, filename, mime, data
        self.images: list[dict[str, Any]] = []  # media/uploadimg: filename, mime, data, url
        self.drafts: list[dict[str, Any]] = []
        self.raw_drafts: list[bytes] = []
        self.submitted: list[str] = []  # draft media_ids, in order
        self.jobs: dict[str, Job] = {}
        self.published: list[Published] = []  # newest first
        self.materials: dict[str, bytes] = {}
        self.draft_box: dict[str, list[dict[str, Any]]] = {}
        self.token_queries: list[dict[str, str]] = []
        self._tokens: dict[str, _Token] = {}
        #: Other official accounts served (``add_app``): AppID → secret, AppID → published list.
        self.secrets: dict[str, str] = {}
        self.lists: dict[str, list[Published]] = {}
        self._next_publish_id = 2247483655
        self._add_routes("/cgi-bin/", [
            ("GET", "token", self._token),
            ("POST", "material/add_material", self._add_material),
            ("POST", "media/uploadimg", self._uploadimg),
            ("POST", "draft/add", self._draft_add),
            ("POST", "freepublish/submit", self._submit),
            ("POST", "freepublish/get", self._get),
            ("POST", "freepublish/batchget", self._batchget),
        ])

    # ---- test controls -----------------------------------------------------------------------

    def add_app(self, app_id: str, secret: str) -> list[Published]:
        """Serve another official account too; returns its published list (newest first)."""
        self.secrets[app_id] = secret
        return self.lists.setdefault(app_id, [])

    def expire_tokens(self) -> None:
        """Every token issued so far is refused from now on (42001)."""
        for token in self._tokens.values():
            token.expires_at = min(token.expires_at, self.clock())

    def finish(self, publish_id: str, status: int = 0, *, fail_idx: tuple[int, ...] = (1,)) -> str:
        """End the job ``publish_id`` with ``status`` (0 published, 2-6 as WeChat's table) and
        return the PUBLISHJOBFINISH event WeChat pushes for it."""
        job = self.jobs[publish_id]
        job.status = status
        if status == 0:
            job.article_id = _article_id()
            job.urls = [f"https://mp.weixin.qq.com/s/{secrets.token_urlsafe(16)[:22]}" for _ in job.articles]
            news = [{**a, "url": url, "is_deleted": False, "show_cover_pic": 0}
                    for a, url in zip(job.articles, job.urls, strict=True)]
            self.published.insert(0, Published(job.article_id, int(self.clock()), news))
        elif status in (2, 3, 4):
            job.fail_idx = list(fail_idx)
        elif status in (5, 6):  # published, then deleted / banned
            job.article_id = job.article_id or _article_id()
        return self.finish_event(publish_id)

    def finish_event(self, publish_id: str) -> str:
        """The PUBLISHJOBFINISH callback XML (docs/wechat-publishing.md) for the job as it stands."""
        job = self.jobs[publish_id]
        info = f"<publish_id>{job.publish_id}</publish_id><publish_status>{job.status}</publish_status>"
        if job.status == 0:
            items = "".join(f"<item><idx>{i}</idx><article_url><![CDATA[{url}]]></article_url></item>"
                            for i, url in enumerate(job.urls, start=1))
            info += (f"<article_id><![CDATA[{job.article_id}]]></article_id>"
                     f"<article_detail><count>{len(job.urls)}</count>{items}</article_detail>")
        else:  # 5 / 6 come after a success: the article_id is kept (an assumption, not documented)
            if job.article_id:
                info += f"<article_id><![CDATA[{job.article_id}]]></article_id>"
            info += "".join(f"<fail_idx>{i}</fail_idx>" for i in job.fail_idx)
        return (f"<xml><ToUserName><![CDATA[{self.ghid}]]></ToUserName>"
                f"<FromUserName><![CDATA[mphelper]]></FromUserName>"
                f"<CreateTime>{int(self.clock())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                f"<Event><![CDATA[PUBLISHJOBFINISH]]></Event>"
                f"<PublishEventInfo>{info}</PublishEventInfo></xml>")

    def publish_directly(self, title: str, content: str, *, author: str = "", digest: str = "",
                         update_time: int | None = None, app_id: str = "") -> str:
        """An article published by hand on the platform (no draft through the API): only
        ``batchget`` shows it (of ``app_id``, one of ``add_app``'s, if given). Returns its
        ``article_id``."""
        article_id = _article_id()
        url = f"https://mp.weixin.qq.com/s/{secrets.token_urlsafe(16)[:22]}"
        item = {"title": title, "author": author, "digest": digest, "content": content,
                "content_source_url": "", "thumb_media_id": secrets.token_urlsafe(48)[:64],
                "show_cover_pic": 0, "need_open_comment": 0, "only_fans_can_comment": 0,
                "url": url, "is_deleted": False}
        listed = self.lists[app_id] if app_id else self.published
        listed.insert(0, Published(article_id, update_time or int(self.clock()), [item]))
        return article_id

    # ---- plumbing ----------------------------------------------------------------------------

    def _platform_fault(self, fault: Fault) -> web.StreamResponse:
        assert isinstance(fault, int)
        return self._error(fault)

    @staticmethod
    def _ok(**fields: Any) -> web.Response:
        return web.json_response(fields, dumps=_dumps)

    def _error(self, errcode: int, errmsg: str | None = None) -> web.Response:
        message = errmsg or ERRMSG.get(errcode, "fault injected")
        return web.json_response({"errcode": errcode, "errmsg": f"{message} rid: {_rid()}"}, dumps=_dumps)

    def _check_token(self, request: web.Request) -> web.Response | None:
        value = request.query.get("access_token", "")
        if not value:
            return self._error(ERR_TOKEN_MISSING)
        token = self._tokens.get(value)
        if token is None:
            return self._error(ERR_INVALID_CREDENTIAL)
        if self.clock() >= token.expires_at:
            return self._error(ERR_TOKEN_EXPIRED)
        return None

    def _list(self, request: web.Request) -> list[Published]:
        """The published list of the account whose token the request carries."""
        token = self._tokens.get(request.query.get("access_token", ""))
        app_id = token.app_id if token is not None else ""
        return self.lists[app_id] if app_id in self.lists else self.published

    async def _json(self, request: web.Request) -> dict[str, Any] | web.Response:
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return self._error(ERR_DATA_FORMAT)
        return body if isinstance(body, dict) else self._error(ERR_DATA_FORMAT)

    async def _media(self, request: web.Request) -> tuple[str, str, bytes] | None:
        if not request.content_type.startswith("multipart/"):
            return None
        reader = await request.multipart()
        async for part in _parts(reader):
            if part.name == "media":
                data = bytes(await part.read(decode=False))
                return part.filename or "", part.headers.get("Content-Type", ""), data
        return None

    # ---- endpoints ---------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        self.token_queries.append(dict(q))
        if q.get("grant_type") != "client_credential":
            return self._error(40002, "invalid grant_type")
        app_id = q.get("appid", "")
        if app_id != self.app_id and app_id not in self.secrets:
            return self._error(ERR_INVALID_APPID)
        if q.get("secret") != (self.secret if app_id == self.app_id else self.secrets[app_id]):
            return self._error(ERR_INVALID_APPSECRET)
        if not self.ip_allowed:
            return self._error(ERR_IP_NOT_ALLOWED,
                               f"invalid ip {CLIENT_IP} ipv6 ::ffff:{CLIENT_IP}, not in whitelist")
        now = self.clock()
        for token in self._tokens.values():  # the AppID's previous token: 5 more minutes
            if token.app_id == app_id:
                token.expires_at = min(token.expires_at, now + TOKEN_OVERLAP)
        value = secrets.token_urlsafe(100)
        self._tokens[value] = _Token(now, now + TOKEN_TTL, app_id)
        self.tokens_issued += 1
        return self._ok(access_token=value, expires_in=TOKEN_TTL)

    async def _add_material(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._check_token(request)) is not None:
            return refused
        kind = request.query.get("type", "")
        if kind not in MATERIAL_TYPES:
            return self._error(ERR_INVALID_MEDIA_TYPE)
        media = await self._media(request)
        if media is None or not media[2]:
            return self._error(ERR_EMPTY_MEDIA)
        filename, mime, data = media
        if kind == "image":
            if not image_kind(data):
                return self._error(ERR_INVALID_FILE_TYPE)
            if len(data) > MATERIAL_IMAGE_MAX:
                return self._error(ERR_INVALID_IMAGE_SIZE)
        media_id = secrets.token_urlsafe(48)[:64]
        self.materials[media_id] = data
        self.uploads.append({"type": kind, "filename": filename, "mime": mime, "data": data,
                             "media_id": media_id})
        fmt = image_kind(data) or "jpeg"
        return self._ok(media_id=media_id, item=[],
                        url=f"http://mmbiz.qpic.cn/mmbiz_{fmt}/{secrets.token_urlsafe(30)}/0?wx_fmt={fmt}")

    async def _uploadimg(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._check_token(request)) is not None:
            return refused
        media = await self._media(request)
        if media is None or not media[2]:
            return self._error(ERR_EMPTY_MEDIA)
        filename, mime, data = media
        fmt = image_kind(data)
        if fmt not in ("jpeg", "png"):
            return self._error(ERR_INVALID_FILE_TYPE)
        if len(data) > UPLOADIMG_MAX:
            return self._error(ERR_INVALID_IMAGE_SIZE)
        url = f"http://mmbiz.qpic.cn/sz_mmbiz_{fmt}/{secrets.token_urlsafe(30)}/0?wx_fmt={fmt}"
        self.images.append({"filename": filename, "mime": mime, "data": data, "url": url})
        return self._ok(url=url, errcode=0, errmsg="ok")

    async def _draft_add(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._check_token(request)) is not None:
            return refused
        raw = await request.read()
        body = await self._json(request)
        if isinstance(body, web.Response):
            return body
        articles = body.get("articles")
        if not isinstance(articles, list) or not 1 <= len(articles) <= MAX_ARTICLES:
            return self._error(ERR_EMPTY_NEWS)
        for article in articles:
            if not isinstance(article, dict) or not article.get("title") or not article.get("content"):
                return self._error(ERR_EMPTY_NEWS)
            if article.get("article_type", "news") == "news":
                thumb = article.get("thumb_media_id")
                if not thumb:
                    return self._error(ERR_EMPTY_NEWS)
                if thumb not in self.materials:
                    return self._error(ERR_INVALID_MEDIA_ID)
        media_id = secrets.token_urlsafe(32)[:43]
        self.drafts.append(body)
        self.raw_drafts.append(raw)
        self.draft_box[media_id] = articles
        return self._ok(media_id=media_id)

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._check_token(request)) is not None:
            return refused
        body = await self._json(request)
        if isinstance(body, web.Response):
            return body
        media_id = body.get("media_id")
        if not isinstance(media_id, str) or media_id not in self.draft_box:
            return self._error(ERR_INVALID_MEDIA_ID)
        articles = self.draft_box.pop(media_id)  # a published draft leaves the draft box
        publish_id = str(self._next_publish_id)
        self._next_publish_id += 2
        self.jobs[publish_id] = Job(publish_id, media_id, articles)
        self.submitted.append(media_id)
        return self._ok(errcode=0, errmsg="ok", publish_id=publish_id, msg_data_id=str(int(publish_id) + 1))

    async def _get(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._check_token(request)) is not None:
            return refused
        body = await self._json(request)
        if isinstance(body, web.Response):
            return body
        job = self.jobs.get(str(body.get("publish_id", "")))
        if job is None:
            return self._error(ERR_UNKNOWN_PUBLISH_ID)
        answer: dict[str, Any] = {"publish_id": job.publish_id, "publish_status": job.status}
        if job.status == 0:
            answer["article_id"] = job.article_id
            answer["article_detail"] = {"count": len(job.urls), "item": [
                {"idx": i, "article_url": url} for i, url in enumerate(job.urls, start=1)]}
            answer["fail_idx"] = []
        elif job.status in (2, 3, 4):
            answer["fail_idx"] = job.fail_idx
        elif job.status in (5, 6):
            answer["article_id"] = job.article_id
        return self._ok(**answer)

    async def _batchget(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._check_token(request)) is not None:
            return refused
        body = await self._json(request)
        if isinstance(body, web.Response):
            return body
        offset, count, no_content = body.get("offset"), body.get("count"), body.get("no_content", 0)
        if not isinstance(offset, int) or offset < 0 or not isinstance(count, int) or not 1 <= count <= 20:
            return self._error(ERR_INVALID_PARAMETER)
        listed = self._list(request)
        page = listed[offset:offset + count]
        items = [{"article_id": p.article_id, "update_time": p.update_time,
                  "content": {"news_item": [
                      {k: v for k, v in n.items() if not (no_content == 1 and k == "content")}
                      for n in p.news_item]}}
                 for p in page]
        return self._ok(total_count=len(listed), item_count=len(items), item=items)


async def _parts(reader: MultipartReader) -> AsyncIterator[BodyPartReader]:
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader):
            yield part
