"""How a WeChat publish job ended: the ``PUBLISHJOBFINISH`` event and ``freepublish/get`` alike.

WeChat pushes ``PUBLISHJOBFINISH`` to the account's server callback (``/wechat/{account}/callback``)
when a job submitted with ``freepublish/submit`` ends (docs/wechat-publishing.md)::

    <xml><ToUserName>gh_…</ToUserName><FromUserName>mphelper…</FromUserName><CreateTime>…</CreateTime>
    <MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event>
    <PublishEventInfo><publish_id>2247503051</publish_id><publish_status>0</publish_status>
      <article_id>b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4</article_id>
      <article_detail><count>1</count><item><idx>1</idx><article_url>…</article_url></item></article_detail>
    </PublishEventInfo></xml>

A failure carries ``fail_idx`` (one element per failed article, repeated) instead of the detail.
``publish_finished`` takes the document as wechatpy's ``parse_message`` leaves it in
``message._data`` (xmltodict: one child is a dict, repeated children a list, text a str) and
checks every value before it is used: ids are digits or base64url of bounded length, the URL an
http(s) URL of at most 2,048 characters, the status 1-3 digits; anything else is
``verify.Malformed`` (HTTP 400; WeChat retries, the ``freepublish/get`` poll remains).

``publish_status`` (the same table for the event and ``freepublish/get``): 0 success, 1 publishing,
2 原创失败, 3 常规失败, 4 平台审核不通过, 5 成功后用户删除所有文章, 6 成功后系统封禁所有文章.
``status_of`` maps it to ``PublishStatus``; 5 and 6 are "failed" (the article is not there any
more) with the reason. A status outside the table is ``None``: not understood, left to the poll.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from bot.channels import verify
from bot.publishing import PublishStatus
from bot.texts import wechat_publish as texts  # re-exported by bot.texts once listed there

EVENT = "PUBLISHJOBFINISH"
PUBLISH_ID = re.compile(r"[0-9]{1,32}")
ARTICLE_ID = re.compile(r"[A-Za-z0-9_\-=]{1,128}")  # base64url, 43 characters in WeChat's example
STATUS = re.compile(r"[0-9]{1,3}")
IDX = re.compile(r"[0-9]{1,3}")
URL_MAX = 2048
MAX_ITEMS = 8  # a draft holds at most 8 articles

FAILURES: dict[int, str] = {
    2: texts.WECHAT_STATUS_ORIGINAL_FAILED,
    3: texts.WECHAT_STATUS_FAILED,
    4: texts.WECHAT_STATUS_REVIEW_REFUSED,
    5: texts.WECHAT_STATUS_DELETED,
    6: texts.WECHAT_STATUS_BANNED,
}


def status_of(code: int, *, article_id: str = "", article_url: str = "") -> PublishStatus | None:
    """WeChat's ``publish_status`` as a ``PublishStatus``; None for a status outside the table."""
    if code == 0:
        return PublishStatus("published", article_url=article_url, article_id=article_id, code="0")
    if code == 1:
        return PublishStatus("publishing", code="1")
    if code in FAILURES:
        return PublishStatus("failed", article_id=article_id, reason=FAILURES[code], code=str(code))
    return None


def article_url(value: Any, *, name: str = "article_url") -> str:
    """An article's URL as WeChat gives it: http(s), a host, at most ``URL_MAX`` characters."""
    url = verify.text(value, name=name, max_len=URL_MAX)
    if not url.isascii() or any(c.isspace() for c in url):
        raise verify.Malformed(f"{name}: not a URL")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise verify.Malformed(f"{name}: not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise verify.Malformed(f"{name}: not an http(s) URL")
    return url


def _items(value: Any, *, name: str) -> list[Any]:
    """xmltodict's one-or-many: a repeated element is a list, a single one is not."""
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_ITEMS:
        raise verify.Malformed(f"{name}: more than {MAX_ITEMS}")
    return items


def _number(value: Any, *, name: str) -> int:
    """A small count or index: XML text of 1-3 digits, or a JSON integer (freepublish/get)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return int(verify.ident(value, name=name, max_len=3, pattern=IDX))


def first_url(detail: Any) -> str:
    """The URL of article 1 (or the first listed) in ``article_detail``; "" when there is none."""
    if detail in (None, ""):
        return ""
    if not isinstance(detail, dict):
        raise verify.Malformed("article_detail: not an element")
    if detail.get("count") not in (None, ""):
        _number(detail.get("count"), name="count")
    raw = detail.get("item")
    if raw in (None, ""):
        return ""
    urls: list[tuple[int, str]] = []
    for item in _items(raw, name="item"):
        if not isinstance(item, dict):
            raise verify.Malformed("item: not an element")
        idx = _number(item.get("idx"), name="idx")
        urls.append((idx, article_url(item.get("article_url"))))
    return min(urls)[1]


def publish_finished(root: dict[str, Any]) -> tuple[str, PublishStatus] | None:
    """``(publish_id, how it ended)`` for a ``PUBLISHJOBFINISH`` event; None for any other message
    or for a status outside WeChat's table. A malformed event raises ``verify.Malformed``."""
    if not isinstance(root, dict):
        raise verify.Malformed("not an XML document")
    msg_type, event = root.get("MsgType"), root.get("Event")
    if not (isinstance(msg_type, str) and msg_type == "event" and isinstance(event, str)
            and event.upper() == EVENT):
        return None
    info = root.get("PublishEventInfo")
    if not isinstance(info, dict):
        raise verify.Malformed("PublishEventInfo: not an element")
    publish_id = verify.ident(info.get("publish_id"), name="publish_id", max_len=32, pattern=PUBLISH_ID)
    code = int(verify.ident(info.get("publish_status"), name="publish_status", max_len=3, pattern=STATUS))
    article_id = verify.ident(info.get("article_id"), name="article_id", max_len=128, pattern=ARTICLE_ID,
                              required=code == 0)
    if info.get("fail_idx") not in (None, ""):
        for idx in _items(info["fail_idx"], name="fail_idx"):
            verify.ident(idx, name="fail_idx", max_len=3, pattern=IDX)
    url = first_url(info.get("article_detail")) if code == 0 else ""
    status = status_of(code, article_id=article_id, article_url=url)
    return None if status is None else (publish_id, status)
