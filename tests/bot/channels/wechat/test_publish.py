"""Publishing an approved article on a WeChat official account (Art. 10 先审后发: what goes out is
exactly what was approved), against the fake API (tests/fake_wechat.py): what WeChat receives,
how a job ends, the published list page by page, each error code's class and reason, token
renewal and sharing, and no secret or token in the logs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from bot.channels.wechat.channel import WechatMPChannel
from bot.channels.wechat.publish import UNCERTAIN, WechatPublisher, plain_text
from bot.channels.wechat.publish_events import publish_finished
from bot.publishing import Article, Credentials, Image, PublishError, PublishRefused, PublishThrottled
from bot.texts import wechat_publish as texts
from tests.fake_wechat import FakeWechat

APP_ID, SECRET = "wx49f0ab532d5d035a", "7c0e3b1f9a2d4e6b8c0a1e3f5d7b9c1e"
CREDS = Credentials("某某发布", APP_ID, SECRET)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200))
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(50)


def article(images: tuple[Image, ...] = (Image("封面.jpg", JPEG), Image("现场.png", PNG, "image/png")),
            **kw: object) -> Article:
    html = ("<p>11月15日起全市供暖，热线 12345 &amp; 96069。</p>\n"
            + "".join(f'<p><img src="cid:{i}"/></p>\n' for i in range(len(images))))
    fields: dict[str, object] = {"title": "关于冬季供暖的通知", "html": html, "author": "张三",
                                 "digest": "11月15日起全市供暖", "cover": images[0] if images else None,
                                 "images": images, "source_url": "https://www.example.gov.cn/gr/1.html"}
    fields.update(kw)
    return Article(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def fake() -> AsyncIterator[FakeWechat]:
    async with FakeWechat(APP_ID, SECRET) as server:
        yield server


@pytest.fixture
async def publisher(fake: FakeWechat) -> AsyncIterator[WechatPublisher]:
    pub = WechatPublisher(fake.base_url, timeout=2.0)
    yield pub
    await pub.close()


async def test_submit_uploads_exactly_the_images_and_the_approved_html(
        fake: FakeWechat, publisher: WechatPublisher) -> None:
    approved = article()
    publish_id = await publisher.submit(CREDS, approved)
    assert publish_id.isdigit() and fake.submitted and publish_id in fake.jobs
    # the cover once as permanent material, each body image once through uploadimg, in order
    assert [(u["type"], u["data"], u["filename"]) for u in fake.uploads] == [("image", JPEG, "cover.jpg")]
    assert [(i["data"], i["filename"]) for i in fake.images] == [(JPEG, "image0.jpg"), (PNG, "image1.png")]
    (draft,) = fake.drafts
    (sent,) = draft["articles"]
    expected_html = approved.html
    for i, image in enumerate(fake.images):
        expected_html = expected_html.replace(f'src="cid:{i}"', f'src="{image["url"].replace("&", "&amp;")}"')
    assert sent == {"article_type": "news", "title": "关于冬季供暖的通知", "author": "张三",
                    "digest": "11月15日起全市供暖", "content": expected_html,
                    "content_source_url": "https://www.example.gov.cn/gr/1.html",
                    "thumb_media_id": fake.uploads[0]["media_id"], "need_open_comment": 0,
                    "only_fans_can_comment": 0}
    assert "cid:" not in sent["content"] and "&amp; 96069" in sent["content"]
    # UTF-8 on the wire, not \\u escapes (WeChat would keep escapes as typed)
    assert "关于冬季供暖的通知".encode() in fake.raw_drafts[0] and b"\\u" not in fake.raw_drafts[0]
    assert fake.tokens_issued == 1


async def test_an_article_without_cover_is_refused_before_any_call(
        fake: FakeWechat, publisher: WechatPublisher) -> None:
    with pytest.raises(PublishRefused) as refused:
        await publisher.submit(CREDS, article(images=()))
    assert (refused.value.code, refused.value.reason) == ("no_cover", texts.WECHAT_NO_COVER)
    assert sum(fake.calls.values()) == 0


@pytest.mark.parametrize(("image", "why"), [
    (Image("截图.webp", WEBP, "image/jpeg"), texts.WECHAT_IMAGE_NOT_JPG_PNG),  # the bytes decide
    (Image("大图.jpg", JPEG + bytes(1024 * 1024)), texts.WECHAT_IMAGE_OVER_1MB),
])
async def test_a_body_image_wechat_would_refuse_is_named_before_any_upload(
        fake: FakeWechat, publisher: WechatPublisher, image: Image, why: str) -> None:
    images = (Image("封面.jpg", JPEG), image)
    with pytest.raises(PublishRefused) as refused:
        await publisher.submit(CREDS, article(images=images))
    assert refused.value.reason == texts.wechat_image_refused(image.name, why)
    assert sum(fake.calls.values()) == 0


async def test_a_placeholder_without_image_is_refused(fake: FakeWechat, publisher: WechatPublisher) -> None:
    broken = article(html='<p>x</p><p><img src="cid:2"/></p>')
    with pytest.raises(PublishRefused) as refused:
        await publisher.submit(CREDS, broken)
    assert refused.value.reason == texts.WECHAT_UNKNOWN_PLACEHOLDER and sum(fake.calls.values()) == 0


async def test_content_over_20000_characters_is_refused_before_the_draft(
        fake: FakeWechat, publisher: WechatPublisher) -> None:
    with pytest.raises(PublishRefused) as refused:
        await publisher.submit(CREDS, article(html="<p>" + "字" * 20_000 + "</p>"))
    assert refused.value.reason == texts.WECHAT_CONTENT_TOO_LONG and fake.calls["draft/add"] == 0


async def test_status_follows_the_job_and_agrees_with_the_event(
        fake: FakeWechat, publisher: WechatPublisher) -> None:
    from wechatpy import parse_message

    publish_id = await publisher.submit(CREDS, article())
    assert (await publisher.status(CREDS, publish_id)).state == "publishing"
    event = fake.finish(publish_id, 0)
    status = await publisher.status(CREDS, publish_id)
    job = fake.jobs[publish_id]
    assert (status.state, status.article_id, status.article_url) == ("published", job.article_id, job.urls[0])
    assert publish_finished(parse_message(event)._data) == (publish_id, status)


@pytest.mark.parametrize(("code", "state", "reason"), [
    (2, "failed", texts.WECHAT_STATUS_ORIGINAL_FAILED),
    (3, "failed", texts.WECHAT_STATUS_FAILED),
    (4, "failed", texts.WECHAT_STATUS_REVIEW_REFUSED),
    (5, "failed", texts.WECHAT_STATUS_DELETED),
    (6, "failed", texts.WECHAT_STATUS_BANNED),
])
async def test_each_failed_status_has_its_reason(fake: FakeWechat, publisher: WechatPublisher,
                                                 code: int, state: str, reason: str) -> None:
    from wechatpy import parse_message

    publish_id = await publisher.submit(CREDS, article())
    event = fake.finish(publish_id, code)
    status = await publisher.status(CREDS, publish_id)
    assert (status.state, status.reason, status.code, status.article_url) == (state, reason, str(code), "")
    assert publish_finished(parse_message(event)._data) == (publish_id, status)


async def test_a_status_outside_the_table_is_not_guessed(
        fake: FakeWechat, publisher: WechatPublisher) -> None:
    publish_id = await publisher.submit(CREDS, article())
    fake.jobs[publish_id].status = 7
    with pytest.raises(PublishError) as error:
        await publisher.status(CREDS, publish_id)
    assert type(error.value) is PublishError and error.value.code == "publish_status 7"


async def test_published_pages_through_batchget_with_plain_text(
        fake: FakeWechat, publisher: WechatPublisher) -> None:
    body = "<section><p>第{n}段&nbsp;正文</p><script>x()</script><p>第二段<br/>换行</p></section>"
    ids = [fake.publish_directly(f"第{n}篇", body.format(n=n), update_time=1_790_000_000 + n)
           for n in range(25)]
    first, total = await publisher.published(CREDS, offset=0, count=20)
    second, total2 = await publisher.published(CREDS, offset=20, count=20)
    assert (total, total2, len(first), len(second)) == (25, 25, 20, 5)
    newest = first[0]
    assert newest.source_id == f"{ids[-1]}:1" and newest.title == "第24篇"
    assert newest.url.startswith("https://mp.weixin.qq.com/s/")
    assert newest.text == "第24段 正文\n第二段\n换行"
    assert newest.published_at is not None and int(newest.published_at.timestamp()) == 1_790_000_024
    assert {item.source_id for item in first + second} == {f"{i}:1" for i in ids}
    await publisher.published(CREDS, offset=0, count=500)  # clamped to WeChat's 1..20
    assert fake.calls["freepublish/batchget"] == 3


async def test_an_article_published_through_the_bot_is_listed_with_its_url(
        fake: FakeWechat, publisher: WechatPublisher) -> None:
    publish_id = await publisher.submit(CREDS, article())
    fake.finish(publish_id, 0)
    (item,), total = await publisher.published(CREDS)
    job = fake.jobs[publish_id]
    assert (item.source_id, item.url, total) == (f"{job.article_id}:1", job.urls[0], 1)
    assert item.text == "11月15日起全市供暖，热线 12345 & 96069。"


# --- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "errcode", "kind", "reason"), [
    ("freepublish/submit", 48001, PublishRefused, texts.WECHAT_API_UNAUTHORISED),
    ("draft/add", 48001, PublishRefused, texts.WECHAT_API_UNAUTHORISED),
    ("freepublish/submit", 40007, PublishRefused, texts.WECHAT_INVALID_MEDIA),
    ("freepublish/submit", 53503, PublishRefused, texts.WECHAT_DRAFT_CHECK_FAILED),
    ("freepublish/submit", 53504, PublishRefused, texts.WECHAT_DRAFT_NEEDS_WEB),
    ("freepublish/submit", 53505, PublishRefused, texts.WECHAT_DRAFT_SAVE_BY_HAND),
    ("draft/add", 45166, PublishRefused, texts.WECHAT_INVALID_CONTENT),
    ("draft/add", 45003, PublishRefused, texts.WECHAT_TITLE_TOO_LONG),
    ("media/uploadimg", 40009, PublishRefused, texts.WECHAT_BAD_IMAGE_SIZE.format(code=40009)),
    ("material/add_material", 40005, PublishRefused, texts.WECHAT_BAD_IMAGE_TYPE.format(code=40005)),
    ("draft/add", 45009, PublishThrottled, ""),
    ("material/add_material", -1, PublishError, ""),
    ("draft/add", 40035, PublishError, ""),  # not in the table: temporary, counted
])
async def test_each_error_code_has_its_class_and_reason(
        fake: FakeWechat, publisher: WechatPublisher, path: str, errcode: int,
        kind: type[PublishError], reason: str) -> None:
    fake.fail(path, errcode)
    with pytest.raises(PublishError) as error:
        await publisher.submit(CREDS, article())
    assert type(error.value) is kind
    assert (error.value.code, error.value.reason) == (str(errcode), reason)
    assert fake.calls[path] == 1 and not fake.submitted  # a faulted call is not carried out


async def test_an_ip_outside_the_allow_list_is_explained_with_the_ip(
        fake: FakeWechat, publisher: WechatPublisher) -> None:
    fake.ip_allowed = False
    with pytest.raises(PublishRefused) as refused:
        await publisher.status(CREDS, "2247483655")
    assert refused.value.code == "40164"
    assert refused.value.reason == texts.wechat_ip_not_allowed("127.0.0.1")
    assert "设置与开发 → 基本配置 → IP白名单" in refused.value.reason and "127.0.0.1" in refused.value.reason
    fake.ip_allowed = True
    fake.fail("freepublish/get", 40164)  # on an API call, an errmsg without the IP: still explained
    with pytest.raises(PublishRefused) as again:
        await publisher.status(CREDS, "2247483655")
    assert again.value.reason == texts.wechat_ip_not_allowed("")


async def test_a_wrong_secret_or_appid_is_a_refusal_for_the_information_center(fake: FakeWechat) -> None:
    for creds, code in ((Credentials("x", APP_ID, "wrong"), 40125),
                        (Credentials("x", "wx0000", SECRET), 40013)):
        publisher = WechatPublisher(fake.base_url)
        try:
            with pytest.raises(PublishRefused) as refused:
                await publisher.published(creds)
        finally:
            await publisher.close()
        assert refused.value.reason == texts.WECHAT_BAD_CREDENTIALS.format(code=code)


async def test_transport_failures_are_temporary_and_a_lost_submit_is_uncertain(
        fake: FakeWechat, publisher: WechatPublisher) -> None:
    fake.fail("media/uploadimg", "http500")
    with pytest.raises(PublishError) as error:
        await publisher.submit(CREDS, article())
    assert type(error.value) is PublishError and error.value.code == "http500"
    fake.timeout_delay = 5.0
    fake.fail("freepublish/submit", "late")  # WeChat took the job; the answer never came
    with pytest.raises(PublishError) as lost:
        await publisher.submit(CREDS, article())
    assert lost.value.code == UNCERTAIN and len(fake.jobs) == 1


async def test_a_refused_token_is_renewed_once(fake: FakeWechat, publisher: WechatPublisher) -> None:
    await publisher.published(CREDS)
    fake.expire_tokens()  # 42001 for the cached token: renewed, the call made again
    await publisher.published(CREDS)
    assert fake.tokens_issued == 2 and fake.calls["freepublish/batchget"] == 3
    fake.fail("freepublish/batchget", 40001, times=2)  # refused again after renewal: temporary
    with pytest.raises(PublishError) as error:
        await publisher.published(CREDS)
    assert type(error.value) is PublishError and error.value.code == "token"
    assert fake.tokens_issued == 3  # the renewed one was refused too
    await publisher.published(CREDS)  # the next call fetches a fresh token
    assert fake.tokens_issued == 4


async def test_the_channel_and_the_publisher_share_one_token_per_app_id(fake: FakeWechat) -> None:
    channel = WechatMPChannel(fake.base_url)
    publisher = WechatPublisher(fake.base_url, tokens=channel.tokens)
    try:
        await publisher.published(CREDS)
        token = await channel.tokens.cache(APP_ID, SECRET).get()
        await publisher.submit(CREDS, article())
        assert fake.tokens_issued == 1 and channel.tokens.fetched == 1
        assert channel.tokens.cache(APP_ID, SECRET) is publisher.tokens.cache(APP_ID, SECRET)
        assert token
    finally:
        await publisher.close()
        await channel.close()


async def test_neither_the_secret_nor_a_token_is_logged_or_in_an_error(
        fake: FakeWechat, publisher: WechatPublisher, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    publish_id = await publisher.submit(CREDS, article())
    for path, fault in (("freepublish/get", 40001), ("freepublish/get", "http500"), ("draft/add", 48001)):
        fake.fail(path, fault, times=2)
        try:
            if path == "draft/add":
                await publisher.submit(CREDS, article())
            else:
                await publisher.status(CREDS, publish_id)
        except PublishError as exc:
            errors.append(f"{exc} {exc.code} {exc.reason} {exc!r}")
    issued = await publisher.tokens.cache(APP_ID, SECRET).get()
    assert len(errors) == 3 and fake.token_queries[0]["secret"] == SECRET  # it was sent, to WeChat only
    for text in (caplog.text, *errors, repr(CREDS)):
        assert SECRET not in text and issued not in text and "access_token=" not in text


def test_plain_text_reads_like_the_article() -> None:
    markup = "<p>甲&amp;乙</p><p>丙<br>丁</p><style>p{}</style><script>alert(1)</script>"
    assert plain_text(markup) == "甲&乙\n丙\n丁"
    assert plain_text("<section>  多个   空格 </section>") == "多个 空格"
    assert plain_text("") == "" and plain_text("<p>甲</p><!-- 注释 --><p>&lt;b&gt;</p>") == "甲\n<b>"
