"""Pure rules of drafts: titles, excerpts and the content hash (the transition table is held on the
database in tests/models/test_transitions.py)."""

from __future__ import annotations

from models import Category
from models.drafts import content_hash, excerpt_of, title_of


def test_title_is_first_non_empty_line_cut_to_64() -> None:
    assert title_of("\n  标题  \n正文") == "标题"
    assert len(title_of("长" * 100)) == 64
    assert title_of("") == ""


def test_excerpt_is_the_body_after_the_title() -> None:
    assert excerpt_of("标题\n第一段\n第二段") == "第一段 第二段"


def test_content_hash_covers_text_category_and_attachment_bytes() -> None:
    base = content_hash("正文", Category.SERVICE, [("image", "a.png", "", "h1")])
    assert base == content_hash("正文", Category.SERVICE, [("image", "a.png", "", "h1")])
    assert base != content_hash("正文!", Category.SERVICE, [("image", "a.png", "", "h1")])
    assert base != content_hash("正文", Category.IMAGE, [("image", "a.png", "", "h1")])
    assert base != content_hash("正文", Category.SERVICE, [("image", "a.png", "", "h2")])
    assert base != content_hash("正文", Category.SERVICE, [])

