"""WeCom rendering (pure): template cards within the platform's rules."""

from __future__ import annotations

import re

from bot.cards import Button, Card, Text
from bot.channels.wecom import render

CARD = Card(card_id="ap-12-1", title="稿件待审核 D12", subtitle="冬季供暖服务指南",
            fields=(("账号", "某某发布"), ("类别", "1 动态服务"), ("信息员", "张三"), ("附件", "无")),
            body="正文" * 200, highlights=("全文：发送“查看 D12”",),
            buttons=(Button("通过", "ap:12:1", "primary"), Button("驳回", "rj:12:1", "danger")))
TASK_ID = re.compile(r"^[0-9A-Za-z_\-@]{1,128}$")


def test_live_card_is_a_button_interaction_template_card() -> None:
    body = render.app_message(1000002, "lisi", CARD, key="approval:12:1:3")
    assert body["msgtype"] == "template_card" and body["touser"] == "lisi"
    card = body["template_card"]
    assert card["card_type"] == "button_interaction"
    assert card["main_title"] == {"title": "稿件待审核 D12", "desc": "冬季供暖服务指南"}
    assert len(card["sub_title_text"]) <= render.SUBTITLE_MAX
    assert card["horizontal_content_list"][0] == {"keyname": "账号", "value": "某某发布"}
    assert [(b["text"], b["key"], b["style"]) for b in card["button_list"]] == [
        ("通过", "ap:12:1", 1), ("驳回", "rj:12:1", 2)]
    assert TASK_ID.match(card["task_id"])


def test_task_id_is_stable_per_outbox_row_and_new_for_every_row() -> None:
    a = render.task_id("ap-12-1", "approval:12:1:3")
    assert a == render.task_id("ap-12-1", "approval:12:1:3")
    assert a != render.task_id("ap-12-1", "local:t9:r1")
    weird = render.task_id("卡片/id with spaces" * 20, "k")
    assert TASK_ID.match(weird) and len(weird) <= 128


def test_decided_card_and_texts() -> None:
    decided = CARD.closed("已通过 · 李四 · 10:42", title="稿件 D-12：已通过")
    closed = render.app_message(1, "lisi", decided, key="k")
    assert closed["msgtype"] == "markdown" and "已通过 · 李四 · 10:42" in closed["markdown"]["content"]
    assert closed["markdown"]["content"].startswith("**稿件 D-12：已通过**")
    assert render.app_message(1, "u", Text("你好"), key="k")["text"] == {"content": "你好"}
    update = render.card_update(1, "lisi", "CODE", decided)
    assert update["response_code"] == "CODE" and update["userids"] == ["lisi"]
    closed_card = update["template_card"]
    assert closed_card["main_title"]["title"] == "稿件 D-12：已通过"  # not the live 稿件待审核
    assert closed_card["horizontal_content_list"] == render.template_card(CARD, "t")[
        "horizontal_content_list"]  # the fields stay
    assert closed_card["replace_text"] == "已通过 · 李四 · 10:42"  # the button greyed with who/when
    assert [b["key"] for b in closed_card["button_list"]] == [render.CLOSED_KEY]


def test_robot_text_carries_mentions_and_fits_2048_bytes() -> None:
    body = render.robot_message(Text("提醒" * 2000), ["zhangsan"])
    assert body["text"]["mentioned_list"] == ["zhangsan"]
    assert len(body["text"]["content"].encode()) <= 2048


def test_duplicate_check_outlasts_every_resend_and_stays_within_wecom_limits() -> None:
    """A resend comes one lease after a crash, or one backoff after an ambiguous failure; WeCom's
    duplicate check must still remember the first send then (and allows at most 4 hours)."""
    from bot.cards import Text
    from bot.channels.wecom.render import DUPLICATE_CHECK_INTERVAL, app_message
    from bot.outbox import BACKOFF_CAP, LEASE

    assert LEASE.total_seconds() + BACKOFF_CAP < DUPLICATE_CHECK_INTERVAL <= 4 * 3600
    body = app_message(1000002, "zhangsan", Text("通知"), "k1")
    assert (body["enable_duplicate_check"], body["duplicate_check_interval"]) == (
        1, DUPLICATE_CHECK_INTERVAL)
