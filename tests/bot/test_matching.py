"""bot.matching: a published item is an approved version (Art. 10 先审后发), so its publication is
recorded and the cadence reset (Art. 11), or it is not, and it is reported. Near-misses both ways:
what normalising drops (spaces, punctuation, an emoji, width, markup) matches; a changed date,
number or name, a fixed typo, an added sentence or paragraph, a changed title do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from bot.matching import (
    EXCERPT_MIN,
    TITLE_ONLY_DAYS,
    Candidate,
    match,
    nearest,
    normalise,
    normalise_url,
)
from bot.publishing import PublishedItem
from models.drafts import title_of

APPROVED_AT = datetime(2024, 11, 28, 2, 0, tzinfo=UTC)
PUBLISHED_AT = datetime(2024, 11, 28, 8, 5, tzinfo=UTC)
TITLE = "关于2024年12月1日城区部分路段停水的通知"
BODY = (
    "因供水管网改造工程需要，我局定于2024年12月1日（星期日）8:00至18:00对城区部分路段暂停供水。"
    "停水范围：人民路（解放路至建设路段）、解放路（中山路至人民路段）沿线单位及居民，共涉及用户约3.5万户。\n"
    "请各单位和居民提前做好储水准备，停水期间请关闭水龙头，以免恢复供水时造成损失。"
    "如遇特殊情况需延长停水时间，我局将另行通知。\n"
    "本次停水由王芳同志负责现场协调，经局党组研究同意实施。给您带来的不便，敬请谅解。\n"
    "咨询电话：0571-12345678（工作日8:30—17:00）。\n"
    "某某市水务局\n2024年11月28日"
)
TEXT = f"{TITLE}\n{BODY}"
URL = "https://swj.example.gov.cn/tzgg/202411/t20241128_123456.html"


def candidate(text: str = TEXT, *, draft_id: int = 12, version: int = 2, links: tuple[str, ...] = (),
              approved_at: datetime = APPROVED_AT) -> Candidate:
    return Candidate(draft_id=draft_id, version=version, title=title_of(text), text=text, links=links,
                     approved_at=approved_at)


def item(text: str = BODY, *, title: str = TITLE, url: str = "", published_at: datetime | None = PUBLISHED_AT,
         ) -> PublishedItem:
    return PublishedItem(source_id="x", title=title, url=url, published_at=published_at, text=text)


APPROVED = candidate()


# --- what matches: the same words and numbers --------------------------------------------------

def test_the_same_text_matches_by_text() -> None:
    m = match(item(), [APPROVED])
    assert m is not None and (m.candidate, m.score, m.by) == (APPROVED, 100.0, "text")


@pytest.mark.parametrize("published", [
    BODY.replace("\n", "\n\n"),  # paragraphs spaced out
    BODY.replace("，", ",").replace("：", ":").replace("（", "(").replace("）", ")"),  # half-width
    BODY.replace("。", "。 ").replace("\n", ""),  # spaces added, line breaks gone
    BODY.replace("敬请谅解。", "敬请谅解！🙏"),  # an emoji, another punctuation mark
    BODY.replace("0571", "０５７１"),  # full-width digits
    BODY.replace("8:30—17:00", "8：30-17：00"),  # a dash and full-width colons between numbers
    "<p>" + BODY.replace("\n", "</p><p>").replace("，", "&#xff0c;") + "</p>",  # WeChat's HTML
    f"{TITLE}\n{BODY}",  # the body with the title line at its start
])
def test_small_edits_match(published: str) -> None:
    m = match(item(published), [APPROVED])
    assert m is not None and m.by == "text" and m.score == 100.0


def test_title_punctuation_and_width_do_not_matter() -> None:
    assert match(item(title="关于２０２４年12月1日城区部分路段停水的通知！"), [APPROVED]) is not None
    assert match(item(title=""), [APPROVED]) is not None  # a source without titles


# --- what does not: any change to the words or numbers ------------------------------------------

MATERIAL = {
    "date": BODY.replace("2024年12月1日（星期日）", "2024年12月2日（星期一）"),
    "date only": BODY.replace("12月1日", "12月2日"),
    "time": BODY.replace("8:00至18:00", "8:00至20:00"),
    "decimal point": BODY.replace("3.5万户", "35万户"),
    "name": BODY.replace("王芳", "王方"),
    "negation": BODY.replace("研究同意", "研究不同意"),
    "typo fixed": BODY.replace("以免恢复", "以防恢复"),
    "sentence added": BODY.replace("敬请谅解。", "敬请谅解。停水期间将设置临时供水点。"),
    "paragraph added": BODY + "\n编辑：李明  审核：张伟",
    "sentence removed": BODY.replace("如遇特殊情况需延长停水时间，我局将另行通知。", ""),
}


@pytest.mark.parametrize("change", sorted(MATERIAL))
def test_a_changed_article_is_not_the_approved_one(change: str) -> None:
    assert match(item(MATERIAL[change]), [APPROVED]) is None
    near = nearest(item(MATERIAL[change]), [APPROVED])
    assert near is not None and near.candidate == APPROVED and near.score > 90
    assert near.changes


def test_nearest_says_what_changed() -> None:
    near = nearest(item(MATERIAL["date only"]), [APPROVED])
    assert near is not None
    approved, published = near.changes[0]
    assert "12月1日" in approved and "12月2日" in published


def test_no_ratio_threshold_separates_a_typo_from_a_material_change() -> None:
    """Why the rule has no threshold below 100: on normalised text, a changed date, name or a
    negation scores as high as a fixed typo (all above 99 on this ~260-character notice)."""
    base = normalise(BODY)
    typo = fuzz.ratio(base, normalise(MATERIAL["typo fixed"]))
    for change in ("date only", "name", "negation", "decimal point"):
        score = fuzz.ratio(base, normalise(MATERIAL[change]))
        assert score > 99 and score >= typo - 0.5, change


def test_a_changed_title_with_the_same_body_is_not_approved() -> None:
    assert match(item(title="关于2024年12月2日城区部分路段停水的通知"), [APPROVED]) is None


def test_published_before_the_approval_is_not_that_approval() -> None:
    early = item(published_at=APPROVED_AT - timedelta(days=2))
    assert match(early, [APPROVED]) is None
    # a feed giving only the date (midnight UTC) on the day of the approval is fine
    assert match(item(published_at=datetime(2024, 11, 28, tzinfo=UTC)), [APPROVED]) is not None


# --- the right one of close candidates -----------------------------------------------------------

def test_of_two_close_versions_the_right_one_wins() -> None:
    v1 = candidate(draft_id=12, version=1, approved_at=APPROVED_AT - timedelta(hours=3))
    v2_text = TEXT.replace("12月1日", "12月2日")
    v2 = candidate(v2_text, draft_id=12, version=2)
    first = match(item(v2_text.split("\n", 1)[1], title=title_of(v2_text)), [v1, v2])
    second = match(item(), [v2, v1])
    assert first is not None and first.candidate == v2
    assert second is not None and second.candidate == v1


def test_same_body_different_titles_the_title_decides() -> None:
    other = candidate(f"另一个标题\n{BODY}", draft_id=13, approved_at=APPROVED_AT + timedelta(hours=1))
    m = match(item(), [other, APPROVED])
    assert m is not None and m.candidate == APPROVED


def test_same_text_approved_twice_the_latest_wins() -> None:
    again = candidate(draft_id=20, version=1, approved_at=APPROVED_AT + timedelta(hours=1))
    m = match(item(), [APPROVED, again])
    assert m is not None and m.candidate == again


def test_a_cut_title_matches_the_whole_title() -> None:
    long_title = "关于" + "城区部分路段" * 12 + "停水的通知"
    cut = candidate(f"{long_title}\n{BODY}")
    assert cut.title.endswith("…")
    assert match(item(title=long_title), [cut]) is not None


# --- excerpts: feeds that give the first lines ---------------------------------------------------

def test_an_excerpt_with_the_same_title_matches_with_its_share() -> None:
    excerpt = BODY[:80] + "……"
    m = match(item(excerpt), [APPROVED])
    assert m is not None and m.by == "text" and 10 < m.score < 50


def test_an_excerpt_needs_the_same_title_enough_characters_and_the_same_words() -> None:
    assert match(item(BODY[:80], title=""), [APPROVED]) is None
    short = BODY[: EXCERPT_MIN - 5]
    assert len(normalise(short)) < EXCERPT_MIN and match(item(short), [APPROVED]) is None
    assert match(item(MATERIAL["date only"][:80]), [APPROVED]) is None


# --- no text: links, then titles -----------------------------------------------------------------

@pytest.mark.parametrize("published_url", [
    URL,
    "http://SWJ.example.gov.cn:80/tzgg/202411/t20241128_123456.html/",
    URL + "?utm_source=rss&utm_medium=feed&spm=a1.b2",
    URL + "#comments",
])
def test_an_item_without_text_matches_by_a_normalised_link(published_url: str) -> None:
    approved = candidate(links=(URL,))
    m = match(item("", title="", url=published_url), [approved])
    assert m is not None and (m.by, m.score) == ("link", 100.0)


def test_a_wechat_link_matches_without_its_share_parameters() -> None:
    mine = ("https://mp.weixin.qq.com/s?__biz=MzA5MTIzNDU2Nw==&mid=2650012345&idx=1&sn=0a1b2c3d4e5f"
            "&chksm=8b1234567890&scene=21#wechat_redirect")
    shared = ("http://mp.weixin.qq.com/s?sn=0a1b2c3d4e5f&mid=2650012345&__biz=MzA5MTIzNDU2Nw%3D%3D&idx=1"
              "&chksm=77ffee&scene=126&sessionid=1700000000&key=abc&ascene=1&uin=MTIz&devicetype=iOS17")
    assert normalise_url(mine) == normalise_url(shared)
    approved = candidate(links=(mine,))
    assert match(item("", url=shared), [approved]) is not None
    other_article = shared.replace("idx=1", "idx=2")
    assert match(item("", title="", url=other_article), [approved]) is None


def test_the_link_wins_over_text() -> None:
    by_link = candidate(f"另一篇\n{BODY}x", draft_id=30, links=(URL,))
    m = match(item(url=URL), [APPROVED, by_link])
    assert m is not None and m.candidate == by_link and m.by == "link"


def test_a_title_alone_matches_one_recent_approval_with_that_title() -> None:
    m = match(item(""), [APPROVED, candidate("另一个标题\n正文", draft_id=13)])
    assert m is not None and (m.candidate, m.by) == (APPROVED, "title")


def test_a_title_alone_does_not_match_two_approvals_with_that_title() -> None:
    assert match(item(""), [APPROVED, candidate(draft_id=14)]) is None


def test_a_title_alone_does_not_match_an_old_approval() -> None:
    late = item("", published_at=APPROVED_AT + timedelta(days=TITLE_ONLY_DAYS + 1))
    assert match(late, [APPROVED]) is None
    assert match(item("", published_at=APPROVED_AT + timedelta(days=TITLE_ONLY_DAYS - 1)), [APPROVED])


def test_a_title_alone_without_a_date_is_judged_at_now() -> None:
    undated = item("", published_at=None)
    assert match(undated, [APPROVED], now=APPROVED_AT + timedelta(days=1)) is not None
    assert match(undated, [APPROVED], now=APPROVED_AT + timedelta(days=60)) is None


def test_a_title_must_be_equal_not_close() -> None:
    assert match(item("", title="关于2024年12月2日城区部分路段停水的通知"), [APPROVED]) is None
    assert match(item("", title=""), [APPROVED]) is None


def test_nothing_to_match_against() -> None:
    assert match(item(), []) is None
    assert nearest(item(), []) is None
    assert nearest(item("完全无关的内容，与任何已审核稿件都不相似。", title="无关"), [APPROVED]) is None


# --- normalising ---------------------------------------------------------------------------------

def test_normalise() -> None:
    assert normalise("Ａ，b。 C！\n😀«d»") == "abcd"
    assert normalise("3.5万") != normalise("35万")
    assert normalise("8:00") != normalise("800")
    assert normalise("2024-12-01") == normalise("2024—12—01") == "2024-12-01"
    assert normalise("增长5%。") == "增长5%"
    assert normalise("1,000元") == normalise("1000元")
    assert normalise("<p>一&amp;二</p><script>x</script>") == "一二"
    assert normalise("第一段。\n\n第二段：“引号”") == "第一段第二段引号"


def test_normalise_url() -> None:
    assert normalise_url("HTTPS://Example.GOV.cn/a/b/?b=2&a=1&utm_campaign=x#top") == \
        "example.gov.cn/a/b?a=1&b=2"
    assert normalise_url("https://example.gov.cn/%E9%80%9A%E7%9F%A5") == "example.gov.cn/通知"
    assert normalise_url("https://example.gov.cn:8443/a") == "example.gov.cn:8443/a"
    for bad in ("", "javascript:alert(1)", "ftp://example.gov.cn/a", "http://[::1", "http://x:99999/",
                "/relative"):
        assert normalise_url(bad) == ""


# --- long texts ----------------------------------------------------------------------------------

def test_long_texts_that_differ_only_at_their_end() -> None:
    """120,000-character texts (past the cap): the title tells them apart, and a text that matches
    none is still given its nearest approval. (Time is bench territory, not asserted here.)"""
    long_body = (BODY + "\n") * 400  # ~120,000 characters
    cands = [candidate(f"{TITLE}{i}\n{long_body}{i}", draft_id=i) for i in range(40)]
    target = cands[17]
    m = match(item(f"{long_body}17", title=f"{TITLE}17"), cands)
    assert m is not None and m.candidate == target
    missing = item(f"{long_body}x", title=f"{TITLE}17")
    assert match(missing, cands) is None
    assert nearest(missing, cands) is not None


def test_a_text_longer_than_the_cap_counts_only_as_an_excerpt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.matching.RAW_MAX", 200)
    longer = candidate(TEXT + "\n" + "另有一段。" * 100, draft_id=40)
    assert match(item(BODY + "\n" + "另有一段。" * 100 + "改"), [longer]) is not None  # same title: excerpt
    assert match(item(BODY + "\n" + "另有一段。" * 100, title=""), [longer]) is None  # no title: no excerpt


# --- never an exception --------------------------------------------------------------------------

datetimes = st.one_of(st.datetimes(), st.datetimes(timezones=st.sampled_from(
    [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))])))


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text(), st.text(), st.one_of(st.none(), datetimes),
       st.lists(st.tuples(st.text(), st.text(), st.lists(st.text(), max_size=3), datetimes), max_size=4),
       st.one_of(st.none(), datetimes))
def test_any_strings_give_a_match_or_none(title: str, text: str, url: str, published: datetime | None,
                                          raw: list[tuple[str, str, list[str], datetime]],
                                          now: datetime | None) -> None:
    published_item = PublishedItem(source_id="s", title=title, url=url, published_at=published, text=text)
    cands = [Candidate(draft_id=i, version=1, title=t, text=x, links=tuple(ls), approved_at=at)
             for i, (t, x, ls, at) in enumerate(raw)]
    result = match(published_item, cands, now=now)
    assert result is None or result.candidate in cands
    near = nearest(published_item, cands)
    assert near is None or near.candidate in cands


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cc", "Zl", "Zp"))), st.text())
def test_a_published_copy_with_spaces_and_punctuation_shuffled_matches(title: str, body: str) -> None:
    text = f"{title}\n{body}"
    approved = candidate(text)
    noisy = body.replace("\n", " \n ").replace("，", ",") + "。"
    m = match(item(noisy, title=title_of(text)), [approved])
    if normalise(body):
        assert m is not None
