"""Typed button payloads: pack/unpack round trip, and refusals of what is not ours — including
integers beyond 64 bits (a draft id of 2**70 once overflowed in the handler's query), digits that
are not ASCII, and any text at all (Hypothesis: a payload or None, never an exception)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cards import PAYLOAD_MAX_BYTES, Button, Card, Payload, PayloadError, unpack_payload
from bot.draft_cards import Approve, ChooseCategory


def test_pack_and_unpack_round_trip() -> None:
    assert Approve(12, 3).pack() == "ap:12:3"
    assert unpack_payload("ap:12:3") == Approve(12, 3)
    assert unpack_payload("cat:5:1:2") == ChooseCategory(5, 1, "2")


@pytest.mark.parametrize("packed", ["", "ap", "ap:x:1", "ap:1", "ap:1:2:3", "zz:1:2",
                                    "ap:" + "9" * 2000])
def test_foreign_or_malformed_payloads_are_none(packed: str) -> None:
    assert unpack_payload(packed) is None


@pytest.fixture
def payload_registry() -> Iterator[None]:
    """A payload class made by a test is registered for that test only: the registry is global
    (``unpack_payload`` reads it), so a leftover prefix would be taken by every later test."""
    before = dict(Payload.registry)
    yield
    Payload.registry.clear()
    Payload.registry.update(before)


def test_length_is_checked_against_the_platform_limit(payload_registry: None) -> None:
    @dataclass(frozen=True)
    class Note(Payload, prefix="tnote"):
        text: str

    assert Note("x").pack() == "tnote:x"
    assert unpack_payload("tnote:x") == Note("x")
    with pytest.raises(PayloadError):
        Note("x" * PAYLOAD_MAX_BYTES).pack()
    with pytest.raises(PayloadError):
        Note("a:b").pack()


def test_no_payload_class_of_a_test_outlives_it() -> None:
    assert "tnote" not in Payload.registry and unpack_payload("tnote:x") is None


def test_closed_card_keeps_content_and_drops_buttons() -> None:
    card = Card(card_id="ap-1-1", title="稿件待审核 D-1", subtitle="标题", fields=(("账号", "某某发布"),),
                body="正文", highlights=("提示",), buttons=(Button("通过", "ap:1:1"),))
    closed = Card.from_json(card.closed("已通过 · 李四 · 10:42", title="稿件 D-1：已通过").to_json())
    assert closed.status == "已通过 · 李四 · 10:42" and closed.title == "稿件 D-1：已通过"
    assert (closed.subtitle, closed.fields, closed.body, closed.highlights) == (
        card.subtitle, card.fields, card.body, card.highlights)
    assert closed.buttons == () and closed.card_id == card.card_id


@pytest.mark.parametrize("packed", [
    f"ap:{2**70}:1", f"ap:{2**63}:1", f"ap:1:{-(2**63) - 1}", "ap:١٢:1", "ap: 12:1", "ap:1_2:1", "ap:+12:1",
    "ap:12:1\n", "ap:\ud800:1", "\udcff", "ap:0x1:1",
])
def test_integers_beyond_64_bits_or_not_ascii_digits_are_none(packed: str) -> None:
    assert unpack_payload(packed) is None


def test_integers_at_the_64_bit_edges_unpack() -> None:
    assert unpack_payload(f"ap:{2**63 - 1}:{-(2**63)}") == Approve(2**63 - 1, -(2**63))


@given(packed=st.text(max_size=60) | st.builds(
    lambda prefix, rest: f"{prefix}:{rest}", st.sampled_from(sorted(Payload.registry)), st.text(max_size=40))
    | st.integers().map(lambda n: f"ap:{n}:{n}"))
def test_unpack_any_text_is_a_payload_or_none(packed: str) -> None:
    result = unpack_payload(packed)
    assert result is None or isinstance(result, Payload)
    if isinstance(result, Approve):
        assert -(2**63) <= result.draft < 2**63
