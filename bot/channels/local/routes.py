"""HTTP side of the local channel: the simulator page at ``/`` and its small JSON API.

- ``GET  /sim/api/people``                    who can be picked (people on file, and a stranger)
- ``GET  /sim/api/messages?as=&after=&wait=`` long poll for the person's chat and group chats
- ``POST /sim/api/send``  JSON ``{as, id, text}`` or ``{as, id, link: {title, url}}``, or
  multipart ``as, id, file`` (an image when its type is image/*)
- ``POST /sim/api/tap``   JSON ``{as, id, card_id, payload}``
- ``POST /sim/api/follower``  JSON ``{as, id, text}``: a WeChat follower writes to an official account
- ``POST /sim/api/directory`` JSON ``{id, change, person?, department?}``: the address book changes
  (issue 16): ``left`` (离职, ``person``), ``updated`` (调岗: ``person`` moves to ``department``),
  ``department_removed`` (``department``); codes as ``/sim/api/people`` lists them
- ``POST /sim/api/publish-by-hand`` JSON ``{id, account, title, text}``: someone publishes on a WeChat
  official account straight in its back office, not through the bot (issue 17, Art. 10): the
  simulated publishing API (``bot.channels.local.publisher``) lists it, and the watch reads that
  account at once (a first read is the baseline, so an account never read is read before), so
  the 【未经审核发布】 alert shows in the page; accounts as ``/sim/api/people`` lists them
  (``wechat_accounts``: live, with AppID and AppSecret)
- ``GET  /sim/articles/{article_id}`` an article the simulated official account published (its
  HTML; the article URL the bot records)

Like a platform callback, a request only validates, turns the input into a domain event, stores
it (``accept``: dedupe by the client's ``id``) and answers; the bot's work happens afterwards.
A directory change is a ``ContactChange`` from sender ``directory`` exactly as WeCom's or
DingTalk's would be after their channel's ``prepare``: the simulator is its own directory, so the
facts a platform leaves to ``prepare`` (the new department's name, the departments still there)
are filled here, and a rename is not played (``name`` stays None: unknown, nothing renamed).
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot import texts
from bot.cards import Text
from bot.channels.local.channel import GROUP_PREFIX, LocalChannel
from bot.channels.local.publisher import SimArticle
from bot.events import (
    CardAction,
    Change,
    ContactChange,
    Event,
    FileMessage,
    ImageMessage,
    LinkMessage,
    PublicInquiry,
    TextMessage,
    bounded_key,
)
from bot.publish_jobs import credentials
from models import Account, AccountStatus, Department, InboundEvent, Person, Platform
from models.drafts import TITLE_MAX
from models.org import info_center_admin_query

Accept = Callable[[Event], Awaitable[bool]]
# The demo follower's openid has a real openid's shape and length (28 characters): a short one
# once hid an inquiry that did not fit its column.
DEMO_OPENID = "oXmtDemoFan_8fK2pQ7wLz3vN5aR"
FOLLOWER: dict[str, Any] = {"code": f"follower:{DEMO_OPENID}", "name": texts.FOLLOWER_NAME, "title": "",
                            "department": None, "department_name": "", "roles": []}
STRANGER: dict[str, Any] = {"code": "visitor", "name": texts.STRANGER_NAME, "title": "", "department": None,
            "department_name": "", "roles": []}
DIRECTORY = "directory"  # the sender of every ContactChange, as on the platforms
MAX_TEXT = 20_000
MAX_WAIT = 25.0


def _bad(reason: str, status: int = 400) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def _sender(data: Any) -> str | None:
    value = data.get("as") if hasattr(data, "get") else None
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    return value.strip()


def _event_id(data: Any) -> str:
    value = data.get("id") if hasattr(data, "get") else None
    if isinstance(value, str) and 0 < len(value) <= 128:
        return value
    return uuid.uuid4().hex


def _code(data: dict[str, Any], name: str) -> str | None:
    """A person's or department's code from the body: a non-empty string of at most 64 (the
    columns' length); None when absent or of another shape."""
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    return value.strip()


def setup(app: web.Application, channel: LocalChannel, accept: Accept) -> None:
    """Register the simulator's routes on ``app``."""

    async def index(_: web.Request) -> web.Response:
        page = resources.files("bot.channels.local").joinpath("static/index.html").read_text("utf-8")
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    async def people(_: web.Request) -> web.Response:
        depts = {d.id: d for d in await Department.all().order_by("id")}
        admins = {a.id for a in await info_center_admin_query().only("id")}
        rows = []
        for p in await Person.filter(active=True).order_by("department_id", "id"):
            dept = depts.get(p.department_id or 0)
            roles = []
            if dept and dept.head_id == p.id:
                roles.append("head")
            if p.is_officer:
                roles.append("officer")
            if p.id in admins:  # the Information Center's admins (Art. 2, 6): models.org's one rule
                roles.append("info_center")
            rows.append({
                "code": p.code, "name": p.name, "title": p.title,
                "department": dept.code if dept else None,
                "department_name": dept.name if dept else "", "roles": roles,
            })
        groups = [{"address": GROUP_PREFIX + d.code, "name": texts.group_chat_name(d.name),
                   "department": d.code} for d in depts.values()]
        # The follower writes to an official account: the page shows it as that account's chat.
        official = await Account.filter(platform=Platform.WECHAT).order_by("id").values_list(
            "name", "status")
        follows = [str(name) for name, status in official if AccountStatus(status).live]
        # The directory control (通讯录变更) offers these as where to move someone, what to remove.
        departments = [{"code": d.code, "name": d.name} for d in depts.values()]
        # The 公众号后台直接发布 control offers the accounts the watch reads through the API.
        wechat_accounts = [a.name for a in await Account.filter(platform=Platform.WECHAT).order_by("id")
                           if a.status.live and credentials(a) is not None]
        return web.json_response({"people": [*rows, STRANGER, {**FOLLOWER, "follows": follows}],
                                  "groups": groups, "departments": departments,
                                  "wechat_accounts": wechat_accounts})

    async def addresses_of(code: str) -> set[str]:
        person = await Person.get_or_none(code=code).prefetch_related("department")
        out = {code}
        if person is not None and person.department is not None:
            out.add(GROUP_PREFIX + person.department.code)
        return out

    async def messages(request: web.Request) -> web.Response:
        code = _sender(request.query)
        if code is None:
            return _bad(texts.SIM_PICK_PERSON)
        try:
            after = int(request.query.get("after", "0"))
            wait = min(MAX_WAIT, max(0.0, float(request.query.get("wait", "0"))))
        except ValueError:
            return _bad(texts.SIM_BAD_NUMBERS)
        addresses = await addresses_of(code)
        found = await channel.wait(addresses, after, wait)
        return web.json_response({
            "messages": [m.to_json() for m in found],
            "seq": max([after, *(m.seq for m in found)]),
        })

    async def send(request: web.Request) -> web.Response:
        now = channel.clock()
        event: Event
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            code = _sender(form)
            upload = form.get("file")
            if code is None or not isinstance(upload, web.FileField):
                return _bad(texts.SIM_FILE_REQUIRED)
            data = upload.file.read()
            mime = upload.content_type or "application/octet-stream"
            common: dict[str, Any] = {"channel": "local", "sender": code, "key": _event_id(form),
                                      "received_at": now}
            if mime.startswith("image/"):
                event = ImageMessage(**common, name=upload.filename, mime=mime, data=data)
                shown: dict[str, Any] = {"type": "image", "name": upload.filename,
                                         "size": len(data)}
            else:
                event = FileMessage(**common, name=upload.filename, mime=mime, data=data)
                shown = {"type": "file", "name": upload.filename, "size": len(data)}
        else:
            try:
                body = await request.json()
            except ValueError:
                return _bad(texts.SIM_NOT_JSON)
            code = _sender(body)
            if code is None:
                return _bad(texts.SIM_PICK_PERSON)
            common = {"channel": "local", "sender": code, "key": _event_id(body),
                      "received_at": now}
            link = body.get("link")
            text = body.get("text")
            if isinstance(link, dict) and isinstance(link.get("url"), str):
                event = LinkMessage(**common, title=str(link.get("title") or link["url"])[:255],
                                    url=link["url"][:2048])
                shown = {"type": "link", "title": event.title, "url": event.url}
            elif isinstance(text, str) and text.strip() and len(text) <= MAX_TEXT:
                event = TextMessage(**common, text=text)
                shown = {"type": "text", "text": text}
            else:
                return _bad(texts.sim_text_length(MAX_TEXT))
        fresh = await accept(event)
        if fresh:
            await channel.record_inbound(code, code, shown)
        return web.json_response({"accepted": fresh, "duplicate": not fresh})

    async def follower(request: web.Request) -> web.Response:
        """A WeChat follower of an official account writes (``@账号 question``, or the first
        operating WeChat account): it becomes an inquiry, as through /wechat/{account}/callback."""
        try:
            body = await request.json()
        except ValueError:
            return _bad(texts.SIM_NOT_JSON)
        code = _sender(body)
        text = body.get("text") if isinstance(body, dict) else None
        if code is None or not code.startswith("follower:") or not isinstance(text, str) \
                or not text.strip() or len(text) > MAX_TEXT:
            return _bad(texts.SIM_FOLLOWER_REQUIRED)
        text = typed = text.strip()
        account = None
        if text[0] in "@＠":
            name, _, text = text[1:].partition(" ")
            account = await Account.get_or_none(name=name)
            if account is None:
                return _bad(texts.sim_follower_unknown(name))
            if account.platform != Platform.WECHAT:  # only an official account takes 留言
                return _bad(texts.sim_follower_not_wechat(account.name))
        else:
            account = await Account.filter(platform=Platform.WECHAT,
                                           status=AccountStatus.OPERATING).order_by("id").first()
        if account is None or not account.status.live:
            return _bad(texts.SIM_FOLLOWER_NO_ACCOUNT)
        if not text.strip():
            return _bad(texts.SIM_FOLLOWER_EMPTY)
        openid = code.removeprefix("follower:")
        event = PublicInquiry(channel="wechat", sender=openid, key=f"sim:{_event_id(body)}",
                              received_at=channel.clock(), account=account.name, text=text.strip(),
                              asker=openid)
        fresh = await accept(event)
        if fresh:  # what the follower wrote, then the account's passive reply (as on WeChat)
            await channel.record_inbound(code, code, {"type": "text", "text": typed})
            await channel.send(code, Text(texts.FOLLOWER_ACK), key=f"ack:{event.key}")
        return web.json_response({"accepted": fresh, "duplicate": not fresh})

    async def tap(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return _bad(texts.SIM_NOT_JSON)
        code = _sender(body)
        payload = body.get("payload") if isinstance(body, dict) else None
        if code is None or not isinstance(payload, str) or not payload or len(payload) > 1024:
            return _bad(texts.SIM_TAP_REQUIRED)
        event = CardAction(channel="local", sender=code, key=_event_id(body),
                           received_at=channel.clock(), payload=payload,
                           card_id=str(body.get("card_id", ""))[:128])
        fresh = await accept(event)
        return web.json_response({"accepted": fresh, "duplicate": not fresh})

    async def directory(request: web.Request) -> web.Response:
        """The demo's address book changes (issue 16): a person leaves (离职), moves to another
        department (调岗), or a department is removed. One ``ContactChange`` through ``accept``,
        as a platform's change event goes: deduped by the click's ``id``, handled in one
        transaction by the same handler."""
        try:
            body = await request.json()
        except ValueError:
            return _bad(texts.SIM_NOT_JSON)
        if not isinstance(body, dict):
            return _bad(texts.SIM_DIRECTORY_REQUIRED)
        change = body.get("change")
        wanted = {c.value for c in Change}
        if not isinstance(change, str) or change not in wanted:
            return _bad(texts.SIM_DIRECTORY_REQUIRED)
        key = f"directory:{_event_id(body)}"
        if await InboundEvent.exists(key=bounded_key("local", key)):  # the same click again (a retry):
            return web.json_response({"accepted": False, "duplicate": True,  # even if the change
                                      "said": texts.SIM_DIRECTORY_DUPLICATE})  # made it invalid now
        common: dict[str, Any] = {"channel": "local", "sender": DIRECTORY, "key": key,
                                  "received_at": channel.clock()}
        target: Department | None = None
        if change != Change.LEFT.value:
            dept_code = _code(body, "department")
            if dept_code is None:
                return _bad(texts.SIM_DIRECTORY_DEPARTMENT_REQUIRED)
            target = await Department.get_or_none(code=dept_code)
            if target is None:
                return _bad(texts.sim_directory_no_department(dept_code))
        if change == Change.DEPARTMENT_REMOVED.value and target is not None:
            remaining = await Department.exclude(id=target.id).order_by("id").values_list("name", flat=True)
            event = ContactChange(**common, change=change, department=target.code,
                                  remaining=[str(n) for n in remaining])
            said = texts.sim_directory_removed(target.name)
        else:
            person_code = _code(body, "person")
            if person_code is None:
                return _bad(texts.SIM_DIRECTORY_PERSON_REQUIRED)
            person = await Person.get_or_none(code=person_code, active=True)
            if person is None:
                return _bad(texts.sim_directory_no_person(person_code))
            if target is None:
                event = ContactChange(**common, change=change, userid=person.code)
                said = texts.sim_directory_left(person.name)
            else:
                if person.department_id == target.id:
                    return _bad(texts.sim_directory_already_in(person.name, target.name))
                event = ContactChange(**common, change=change, userid=person.code,
                                      departments=[target.name], name=None)
                said = texts.sim_directory_moved(person.name, target.name)
        fresh = await accept(event)
        return web.json_response({"accepted": fresh, "duplicate": not fresh,
                                  "said": said if fresh else texts.SIM_DIRECTORY_DUPLICATE})

    async def publish_by_hand(request: web.Request) -> web.Response:
        """公众号后台直接发布: an article published on the platform without the bot (see the module
        docstring). Validated, put in the simulated back office, then the watch reads the account."""
        publisher = channel.publisher
        if publisher is None or publisher.watch is None:
            return _bad(texts.SIM_PUBLISH_OFF)
        try:
            body = await request.json()
        except ValueError:
            return _bad(texts.SIM_NOT_JSON)
        if not isinstance(body, dict):
            return _bad(texts.SIM_PUBLISH_REQUIRED)
        name, title, text = body.get("account"), body.get("title"), body.get("text")
        if not isinstance(name, str) or not name.strip() or len(name) > 128:
            return _bad(texts.SIM_PUBLISH_REQUIRED)
        if not isinstance(title, str) or not title.strip() or len(title.strip()) > TITLE_MAX:
            return _bad(texts.sim_publish_title(TITLE_MAX))
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            return _bad(texts.sim_publish_text(MAX_TEXT))
        account = await Account.get_or_none(name=name.strip())
        if account is None:
            return _bad(texts.sim_publish_unknown(name.strip()))
        if account.platform != Platform.WECHAT:
            return _bad(texts.sim_publish_not_wechat(account.name))
        if not account.status.live or credentials(account) is None:
            return _bad(texts.sim_publish_not_watched(account.name))
        if publisher.seen_click(f"{_event_id(body)}"):
            return web.json_response({"accepted": False, "duplicate": True,
                                      "said": texts.SIM_PUBLISH_DUPLICATE})
        if account.watched_at is None:  # never read: this first read is the baseline
            await publisher.watch(account.id)
        article = publisher.publish_by_hand(account.name, title.strip(), text.strip())
        reported = await publisher.watch(account.id)
        return web.json_response({"accepted": True, "duplicate": False, "url": article.url,
                                  "reported": reported,
                                  "said": texts.sim_published_by_hand(account.name, article.title, reported)})

    def published_article(request: web.Request) -> SimArticle:
        found = channel.publisher.articles.get(request.match_info["article_id"]) \
            if channel.publisher is not None else None
        if found is None:
            raise web.HTTPNotFound(text="article not found (the simulator keeps articles until it restarts)")
        return found

    async def article_page(request: web.Request) -> web.Response:
        article = published_article(request)
        body = article.html
        for index in range(len(article.images)):  # the placeholders the publisher fills in
            body = body.replace(f'src="cid:{index}"',
                                f'src="/sim/articles/{article.article_id}/images/{index}"')
        how = texts.SIM_ARTICLE_BY_HAND if article.by_hand else texts.SIM_ARTICLE_BY_BOT
        when = article.published_at.astimezone(channel.tz).strftime("%Y-%m-%d %H:%M")
        page = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(article.title)}</title><style>"
            "body{max-width:680px;margin:0 auto;padding:20px 16px;font:17px/1.75 -apple-system,"
            '"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#1f2329}'
            "h1{font-size:22px;line-height:1.4;margin:0 0 10px}.meta{color:#8f959e;font-size:14px}"
            ".meta b{color:#576b95;font-weight:normal}.note{margin-top:32px;color:#a0a5ad;font-size:13px}"
            "img{max-width:100%}</style></head><body>"
            f"<h1>{html.escape(article.title)}</h1>"
            f'<div class="meta"><b>{html.escape(article.account)}</b> · {html.escape(when)} · '
            f"{html.escape(how)}</div>{body}"
            f'<div class="note">{html.escape(texts.SIM_ARTICLE_NOTE)}</div></body></html>')
        return web.Response(text=page, content_type="text/html", charset="utf-8", headers={
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"})

    async def article_image(request: web.Request) -> web.Response:
        article = published_article(request)
        try:
            image = article.images[int(request.match_info["index"])]
        except (ValueError, IndexError):
            raise web.HTTPNotFound() from None
        return web.Response(body=image.data, content_type=image.mime)

    async def download(request: web.Request) -> web.Response:
        try:
            doc = channel.file(int(request.match_info["file_id"]))
        except ValueError:
            doc = None
        if doc is None:
            raise web.HTTPNotFound()
        quoted = quote(doc.name)
        return web.Response(body=doc.data, content_type=doc.mime, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quoted}"})

    app.router.add_get("/", index)
    app.router.add_get("/sim/files/{file_id}", download)
    app.router.add_get("/sim/api/people", people)
    app.router.add_get("/sim/api/messages", messages)
    app.router.add_post("/sim/api/send", send)
    app.router.add_post("/sim/api/tap", tap)
    app.router.add_post("/sim/api/follower", follower)
    app.router.add_post("/sim/api/directory", directory)
    app.router.add_post("/sim/api/publish-by-hand", publish_by_hand)
    app.router.add_get("/sim/articles/{article_id}", article_page)
    app.router.add_get("/sim/articles/{article_id}/images/{index}", article_image)
