"""``PUBLISHJOBFINISH`` (Art. 10: a publication recorded from what WeChat says went out): the
documented examples, the fake's events through wechatpy, hostile values refused as
``verify.Malformed``, and two Hypothesis properties (any well-formed event reads back as built;
any document at all gives None, a result or Malformed, nothing else)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wechatpy import parse_message

from bot.channels import verify
from bot.channels.wechat.publish_events import publish_finished
from bot.publishing import PublishStatus
from bot.texts import wechat_publish as texts


def documented(info: str) -> str:
    """An example of the freepublish_submit page (docs/wechat-publishing.md): the envelope both
    share around the lines of its ``PublishEventInfo``."""
    return f"""<xml>
<ToUserName><![CDATA[gh_4d00ed8d6399]]></ToUserName>
<FromUserName><![CDATA[oV5CrjpxgaGXNHIQigzNlgLTnwic]]></FromUserName>
<CreateTime>1481013459</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[PUBLISHJOBFINISH]]></Event>
<PublishEventInfo>
<publish_id>2247503051</publish_id>
{info}
</PublishEventInfo>
</xml>"""


# The page's two examples, the article_id without the line break the page's layout put in it.
DOC_SUCCESS = documented("""<publish_status>0</publish_status>
<article_id><![CDATA[b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4]]></article_id>
<article_detail>
<count>1</count>
<item>
<idx>1</idx>
<article_url><![CDATA[https://mp.weixin.qq.com/s/b5O2OUs25HBxRceL7hfReg]]></article_url>
</item>
</article_detail>""")
DOC_ORIGINAL_FAILED = documented("""<publish_status>2</publish_status>
<fail_idx>1</fail_idx>
<fail_idx>2</fail_idx>""")


def root(xml: str) -> dict[str, Any]:
    data = parse_message(xml)._data
    assert isinstance(data, dict)
    return data


def event(info: dict[str, Any]) -> dict[str, Any]:
    return {"ToUserName": "gh_4d00ed8d6399", "FromUserName": "mphelper", "CreateTime": "1481013459",
            "MsgType": "event", "Event": "PUBLISHJOBFINISH", "PublishEventInfo": info}


def test_the_documented_examples() -> None:
    assert publish_finished(root(DOC_SUCCESS)) == ("2247503051", PublishStatus(
        "published", article_url="https://mp.weixin.qq.com/s/b5O2OUs25HBxRceL7hfReg",
        article_id="b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4", code="0"))
    assert publish_finished(root(DOC_ORIGINAL_FAILED)) == (
        "2247503051", PublishStatus("failed", reason=texts.WECHAT_STATUS_ORIGINAL_FAILED, code="2"))


def test_other_messages_and_statuses_outside_the_table_are_none() -> None:
    text = root("<xml><ToUserName>gh_1</ToUserName><FromUserName>oFan</FromUserName>"
                "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>")
    assert publish_finished(text) is None
    assert publish_finished({**event({}), "Event": "subscribe"}) is None
    assert publish_finished(event({"publish_id": "1", "publish_status": "7"})) is None
    assert publish_finished(event({"publish_id": "1", "publish_status": "1"})) == (
        "1", PublishStatus("publishing", code="1"))


def test_the_first_article_of_several_is_the_url() -> None:
    items = [{"idx": "2", "article_url": "https://mp.weixin.qq.com/s/two"},
             {"idx": "1", "article_url": "https://mp.weixin.qq.com/s/one"}]
    info = {"publish_id": "9", "publish_status": "0", "article_id": "abc",
            "article_detail": {"count": "2", "item": items}}
    result = publish_finished(event(info))
    assert result is not None and result[1].article_url == "https://mp.weixin.qq.com/s/one"


GOOD = {"publish_id": "2247503051", "publish_status": "0", "article_id": "b5O2OUs25HBxRceL7hfReg",
        "article_detail": {"count": "1", "item": {"idx": "1", "article_url": "https://mp.weixin.qq.com/s/x"}}}


@pytest.mark.parametrize("change", [
    {"publish_id": "22475O3051"},  # a letter O
    {"publish_id": "9" * 33},
    {"publish_id": ""},
    {"publish_id": {"nested": "1"}},
    {"publish_status": "-1"},
    {"publish_status": "0000"},
    {"publish_status": ["0", "1"]},
    {"article_id": ""},  # required on success
    {"article_id": "b5O2 OUs25"},
    {"article_id": "a" * 129},
    {"article_id": "<script>"},
    {"article_detail": "text"},
    {"article_detail": {"count": "1", "item": {"idx": "1", "article_url": "javascript:alert(1)"}}},
    {"article_detail": {"count": "1", "item": {"idx": "1", "article_url": "https://"}}},
    {"article_detail": {"count": "1", "item": {"idx": "1", "article_url": "https://a/" + "x" * 2048}}},
    {"article_detail": {"count": "1", "item": {"idx": "1", "article_url": "https://a/\u202e"}}},
    {"article_detail": {"count": "1", "item": {"idx": "one", "article_url": "https://a/"}}},
    {"article_detail": {"count": "1", "item": [{"idx": "1", "article_url": "https://a/"}] * 9}},
    {"article_detail": {"count": "x", "item": {"idx": "1", "article_url": "https://a/"}}},
    {"fail_idx": ["1", "two"]},
])
def test_malformed_values_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(verify.Malformed):
        publish_finished(event({**GOOD, **change}))


def test_an_info_that_is_not_an_element_is_refused() -> None:
    for info in ("", "2247503051", ["a"], None):
        with pytest.raises(verify.Malformed):
            publish_finished(event(info))  # type: ignore[arg-type]


DIGITS = st.text("0123456789", min_size=1, max_size=32)
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
ARTICLE = st.text(BASE64URL, min_size=1, max_size=128)
PATHS = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_/?=&", max_size=200)


@settings(max_examples=200, deadline=None)
@given(publish_id=DIGITS, status=st.integers(0, 6), article_id=ARTICLE, path=PATHS,
       fails=st.lists(st.integers(1, 8), max_size=8))
def test_any_well_formed_event_reads_back_as_built(publish_id: str, status: int, article_id: str,
                                                   path: str, fails: list[int]) -> None:
    url = f"https://mp.weixin.qq.com/s/{path}"
    if status == 0:
        info = (f"<article_id><![CDATA[{article_id}]]></article_id><article_detail><count>1</count>"
                f"<item><idx>1</idx><article_url><![CDATA[{url}]]></article_url></item></article_detail>")
    else:
        info = "".join(f"<fail_idx>{i}</fail_idx>" for i in fails)
    xml = (f"<xml><ToUserName><![CDATA[gh_4d00ed8d6399]]></ToUserName><FromUserName>mphelper</FromUserName>"
           f"<CreateTime>1481013459</CreateTime><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event>"
           f"<PublishEventInfo><publish_id>{publish_id}</publish_id>"
           f"<publish_status>{status}</publish_status>{info}</PublishEventInfo></xml>")
    result = publish_finished(root(xml))
    assert result is not None
    got_id, got = result
    assert (got_id, got.code) == (publish_id, str(status))
    if status == 0:
        assert (got.state, got.article_id, got.article_url) == ("published", article_id, url)
    else:
        assert got.state == ("publishing" if status == 1 else "failed") and got.article_url == ""


SCALARS = st.one_of(st.none(), st.text(max_size=40), st.integers(-5, 10**40), st.booleans(),
                    st.sampled_from(["0", "1", "2", "6", "7", "2247503051", "https://a/b", "event",
                                     "PUBLISHJOBFINISH", "\x00", "\ud800"]))
KEYS = st.sampled_from(["publish_id", "publish_status", "article_id", "article_detail", "count", "item",
                        "idx", "article_url", "fail_idx", "x"])
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=10),
                                                      st.dictionaries(KEYS, inner, max_size=6)),
                      max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(info=VALUES, msg_type=st.sampled_from(["event", "text", None]),
       name=st.sampled_from(["PUBLISHJOBFINISH", "publishjobfinish", "subscribe", None]))
def test_any_document_gives_none_a_result_or_malformed(info: Any, msg_type: Any, name: Any) -> None:
    document = {"MsgType": msg_type, "Event": name, "PublishEventInfo": info}
    try:
        result = publish_finished(document)
    except verify.Malformed:
        return
    if result is not None:
        publish_id, status = result
        assert publish_id.isdigit() and len(publish_id) <= 32
        assert status.state in ("publishing", "published", "failed")
        assert not status.article_url or status.article_url.startswith(("http://", "https://"))
