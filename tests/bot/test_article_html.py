"""bot.article_html: exactly the approved text becomes the article (Art. 10 先审后发), through a
library (markdown-it-py, raw HTML off): nothing the officer typed can become a tag, no Markdown is
interpreted, Chinese punctuation is untouched; images are placeholders, the first is the cover."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.article_html import article_from, body_html
from bot.publishing import Image
from models.drafts import TITLE_MAX

TEXT = ("关于2024年12月1日城区部分路段停水的通知\n"
        "因供水管网改造，12月1日8:00至18:00，人民路、解放路沿线停水。\n"
        "请居民提前储水。\n"
        "\n"
        "咨询电话：0571-12345678（工作日）。")


def test_title_is_the_first_line_and_the_rest_is_the_body() -> None:
    article = article_from(TEXT, [], [], "市水务局")
    assert article.title == "关于2024年12月1日城区部分路段停水的通知"
    assert "停水的通知" not in article.html
    assert article.html == (
        "<p>因供水管网改造，12月1日8:00至18:00，人民路、解放路沿线停水。<br />\n请居民提前储水。</p>\n"
        "<p>咨询电话：0571-12345678（工作日）。</p>\n")
    assert article.author == "市水务局"


def test_leading_blank_lines_before_the_title_are_skipped() -> None:
    article = article_from("\n\n  标题  \n正文", [], [], "")
    assert article.title == "标题"
    assert article.html == "<p>正文</p>\n"


def test_script_ampersand_and_quotes_are_escaped_never_tags() -> None:
    text = "标题\n<script>alert('x')</script> A & B \"引\" <img src=x onerror=alert(1)> &amp; &#60;"
    out = article_from(text, [], [], "").html
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in out
    assert " A &amp; B &quot;引&quot; " in out
    assert "&amp;amp; &amp;#60;" in out  # entities typed in the text stay text, as approved
    assert html.unescape(re.sub(r"<[^>]+>", "", out)).strip() == text.split("\n", 1)[1]


def test_markdown_syntax_is_not_interpreted() -> None:
    body = "# 不是标题\n1. 第一\n3. 第三\n*不是强调* `代码` [链接](http://example.com) \\*"
    out = body_html(body)
    assert "<h1" not in out and "<ol" not in out and "<em" not in out and "<a " not in out
    assert "<code" not in out
    assert "3. 第三" in out and "*不是强调*" in out and "\\*" in out


def test_chinese_punctuation_is_untouched() -> None:
    body = "“引号”‘单引’，。、；：？！《书名》【括号】——破折号……省略号（全角）·间隔号 ＆＜"
    assert body_html(body) == f"<p>{body}</p>\n"


def test_paragraphs_and_line_breaks() -> None:
    assert body_html("一\n二\n\n\n三") == "<p>一<br />\n二</p>\n<p>三</p>\n"
    assert body_html("") == ""
    assert body_html("  \n \n") == ""


def test_images_are_placeholders_in_order_and_the_first_is_the_cover() -> None:
    images = [Image("a.jpg", b"\xff\xd8a"), Image("b.png", b"\x89PNGb", "image/png")]
    article = article_from(TEXT, images, [], "")
    assert article.cover == images[0]
    assert article.images == tuple(images)
    assert article.html.endswith('<p><img src="cid:0"/></p>\n<p><img src="cid:1"/></p>\n')
    assert article_from(TEXT, [], [], "").cover is None


def test_digest_is_the_body_start_on_one_line_within_120_characters() -> None:
    article = article_from(TEXT, [], [], "")
    assert article.digest.startswith("因供水管网改造，12月1日8:00至18:00")
    assert "\n" not in article.digest
    long = article_from("标题\n" + "长" * 500, [], [], "")
    assert len(long.digest) == 120 and long.digest.endswith("…")
    assert article_from("只有标题", [], [], "").digest == ""


def test_source_url_is_the_first_http_link() -> None:
    links = ["javascript:alert(1)", "ftp://x/y", "https://www.example.gov.cn/a/1.html", "http://b"]
    assert article_from(TEXT, [], links, "").source_url == "https://www.example.gov.cn/a/1.html"
    assert article_from(TEXT, [], ["http://[bad"], "").source_url == ""
    assert article_from(TEXT, [], [], "").source_url == ""


def test_a_first_line_too_long_for_a_title_is_kept_whole_in_the_body() -> None:
    first = "长" * (TITLE_MAX + 10)
    article = article_from(first + "\n正文", [], [], "")
    assert article.title == "长" * (TITLE_MAX - 1) + "…"
    assert article.html == f"<p>{first}</p>\n<p>正文</p>\n"


def test_an_empty_text_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        article_from(" \n\t\n", [], [], "")


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_body_renders_without_a_tag_of_its_own(body: str) -> None:
    out = body_html(body)
    tags = set(re.findall(r"<(/?[a-zA-Z]+)", out))
    assert tags <= {"p", "/p", "br"}
