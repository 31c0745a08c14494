"""Typed button payloads: pack/unpack round trip, and refusals of what is not ours."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.cards import PAYLOAD_MAX_BYTES, Card, Payload, PayloadError, unpack_payload
from handlers.common import Approve, ChooseCategory


def test_pack_and_unpack_round_trip() -> None:
    assert Approve(12, 3).pack() == "ap:12:3"
    assert unpack_payload("ap:12:3") == Approve(12, 3)
    assert unpack_payload("cat:5:1:2") == ChooseCategory(5, 1, "2")


@pytest.mark.parametrize("packed", ["", "ap", "ap:x:1", "ap:1", "ap:1:2:3", "zz:1:2",
                                    "ap:" + "9" * 2000])
def test_foreign_or_malformed_payloads_are_none(packed: str) -> None:
    assert unpack_payload(packed) is None


def test_length_is_checked_against_the_platform_limit() -> None:
    @dataclass(frozen=True)
    class Note(Payload, prefix="tnote"):
        text: str

    assert Note("x").pack() == "tnote:x"
    with pytest.raises(PayloadError):
        Note("x" * PAYLOAD_MAX_BYTES).pack()
    with pytest.raises(PayloadError):
        Note("a:b").pack()


def test_closed_card_keeps_content_and_drops_buttons() -> None:
    card = Card(card_id="ap-1-1", title="t", buttons=())
    assert Card.from_json(card.closed("已通过").to_json()).status == "已通过"
