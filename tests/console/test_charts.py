"""The console's SVG charts (issue 18; Art. 5 the review by department, Art. 11 更新频率 on the heat map,
Art. 12 the inquiry trend): well-formed XML that scales (a viewBox, no fixed size), a title, the
right number of marks, every text escaped, an empty input drawn as an empty chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from console import charts

NS = "{http://www.w3.org/2000/svg}"
NOT_XML = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0xD800, 0xE000),
                         0xFFFE, 0xFFFF])
HOSTILE = ['<script>alert("x")</script>', "a & b", "\"quoted\" 'single'", "]]><!--", "宣传科 <b>"]


def parse(svg: str, *, titled: bool = True) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output, the thing under test
    assert root.tag == f"{NS}svg"
    assert root.get("viewBox") and root.get("width") is None and root.get("height") is None
    assert root.get("role") == "img"
    first = root[0]
    assert first.tag == f"{NS}title" and (first.text or not titled)
    return root


def rects(root: ET.Element, cls: str | None = None) -> list[ET.Element]:
    return [r for r in root.iter(f"{NS}rect") if cls is None or cls in (r.get("class") or "").split()]


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{NS}text")]


def titles(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}title")]


def test_bar_chart() -> None:
    svg = charts.bar_chart([("宣传科", 12), ("服务中心", 3), ("一个名字很长很长很长的部门", 0)],
                           title="各部门账号数", unit="个")
    assert isinstance(svg, Markup)
    root = parse(svg)
    bars = rects(root)
    assert len(bars) == 3
    widths = [float(b.get("width") or 0) for b in bars]
    assert widths[0] > widths[1] > widths[2] == 0
    assert abs(widths[0] / widths[1] - 4) < 0.01
    assert "宣传科" in texts(root) and "12个" in texts(root) and "一个名字很长很长很…" in texts(root)
    assert titles(root)[0] == "各部门账号数" and "一个名字很长很长很长的部门: 0个" in titles(root)


def test_stacked_bars() -> None:
    legend = ["合格", "不合格", "待评定", "未提交"]
    svg = charts.stacked_bars([("宣传科", [3, 1, 0, 2]), ("服务中心", [0, 0, 0, 4]), ("空", [0, 0, 0, 0]),
                               ("多", [1, 2, 3, 4, 5, 6]), ("少", [7])], legend, title="年审进度")
    root = parse(svg)
    assert len(rects(root, "legend")) == 0  # legend swatches sit in <g class="legend">
    groups = [g for g in root.iter(f"{NS}g") if g.get("class") == "legend"]
    assert [texts(g) for g in groups] == [[name] for name in legend]
    rows = [g for g in root.iter(f"{NS}g") if g.get("class") == "row"]
    assert [len(list(g.iter(f"{NS}rect"))) for g in rows] == [3, 1, 0, 4, 1]  # zero segments not drawn
    totals = [texts(g)[-1] for g in rows]
    assert totals == ["6", "4", "0", "10", "7"]
    first = rows[0]
    segment_titles = [t.text for r in first.iter(f"{NS}rect") for t in r.iter(f"{NS}title")]
    assert segment_titles == ["宣传科 合格: 3", "宣传科 不合格: 1", "宣传科 未提交: 2"]


def test_line_chart() -> None:
    weeks = [f"{w:02d}" for w in range(37, 49)]
    svg = charts.line_chart(weeks, [("收到", list(range(12))), ("逾期", [0, 1])], title="咨询趋势")
    root = parse(svg)
    assert len(list(root.iter(f"{NS}polyline"))) == 2
    assert len(list(root.iter(f"{NS}circle"))) == 24  # the short series is padded with zeros
    assert "48" in texts(root) and "11" in texts(root)  # the last week and the scale's top
    assert "48 逾期: 0" in titles(root)
    points = next(root.iter(f"{NS}polyline")).get("points", "").split()
    assert len(points) == 12 and float(points[0].split(",")[1]) > float(points[-1].split(",")[1])


def test_calendar_heatmap() -> None:
    counts = {date(2026, 1, 5): 1, date(2026, 1, 6): 2, date(2026, 3, 2): 7}
    svg = charts.calendar_heatmap(2026, counts, 3, title="2026 年发布",
                                  weekdays=["一", "", "三", "", "五", "", ""],
                                  missed_label="超过更新周期未发布", today=date(2026, 3, 31))
    root = parse(svg)
    days = rects(root, "day")
    assert len(days) == 365
    months = [t for t in root.iter(f"{NS}text") if t.get("class") == "month"]
    assert ["".join(t.itertext()) for t in months] == [f"{m}月" for m in range(1, 13)]
    assert {"一", "三", "五"} <= set(texts(root)) and "超过更新周期未发布" in texts(root)
    by_title = {next(iter(r)).text: r for r in days}
    assert by_title["2026-01-06: 2"].get("fill") == charts.HEAT[2]
    assert by_title["2026-03-02: 7"].get("fill") == charts.HEAT[4]
    assert by_title["2026-04-01: 0"].get("fill") == "#ffffff"  # after today
    # 1 January 2026 is a Thursday: the first week's column starts on Monday 29 December.
    jan1 = by_title["2026-01-01: 0"]
    assert jan1.get("y") == str(20 + 3 * 13) and jan1.get("x") == "22"
    assert by_title["2026-01-05: 1"].get("x") == str(22 + 13)
    missed = {t or "" for t, r in by_title.items() if "missed" in (r.get("class") or "")}
    # From 1 January (holiday until 4 January, a Sunday 调休 workday): after 3 working days without a post.
    assert "2026-01-02: 0" not in missed and "2026-03-01: 0" in missed and "2026-03-02: 7" not in missed
    # Tue, Wed, Thu without a post after Monday 2 March: Friday is the 4th working day.
    assert "2026-03-05: 0" not in missed and "2026-03-06: 0" in missed
    assert not any(t.startswith("2026-04") for t in missed)
    none = parse(charts.calendar_heatmap(2026, counts, None, title="t"))
    assert not [r for r in rects(none, "day") if "missed" in (r.get("class") or "")]


def test_missed_days_follow_the_working_calendar() -> None:
    """National Day 2026: 1–7 October off, Saturday 10 October a working day. A daily account that
    posted on 30 September misses nothing over the holiday, and is behind from Friday 9 October."""
    counts = {date(2026, 9, 30): 1}
    missed = charts.missed_days(2026, counts, 1, start=date(2026, 9, 1), today=date(2026, 10, 12))
    assert date(2026, 10, 8) not in missed and date(2026, 10, 9) in missed
    assert min(missed) == date(2026, 9, 2) or min(missed) > date(2026, 9, 30)
    assert charts.missed_days(2026, counts, 0) == set()


def test_hostile_labels_are_escaped() -> None:
    for svg in (charts.bar_chart([(h, 1) for h in HOSTILE], title=HOSTILE[0], unit=HOSTILE[1]),
                charts.stacked_bars([(h, [1, 2]) for h in HOSTILE], HOSTILE[:2], title=HOSTILE[2]),
                charts.line_chart(HOSTILE, [(h, [1, 2, 3]) for h in HOSTILE], title=HOSTILE[3]),
                charts.calendar_heatmap(2026, {}, 2, title=HOSTILE[0], months=HOSTILE, weekdays=HOSTILE,
                                        missed_label=HOSTILE[1], day_label=lambda d, n: HOSTILE[0]),
                charts.bar_chart([], title=HOSTILE[0], empty=HOSTILE[0])):
        root = parse(svg)
        assert "<script" not in svg and "<b>" not in svg
        assert not list(root.iter("script")) and not list(root.iter(f"{NS}script"))
        assert HOSTILE[0] in titles(root) + texts(root)  # shown as text, not markup


def test_empty_inputs_render_an_empty_chart() -> None:
    for svg in (charts.bar_chart([], title="t", empty="暂无数据"),
                charts.stacked_bars([], ["合格"], title="t", empty="暂无数据"),
                charts.stacked_bars([("a", [1])], [], title="t", empty="暂无数据"),
                charts.line_chart([], [("a", [])], title="t", empty="暂无数据"),
                charts.line_chart(["01"], [], title="t", empty="暂无数据")):
        root = parse(svg)
        assert texts(root) == ["暂无数据"]
    assert texts(parse(charts.calendar_heatmap(0, {}, 1, title="t"))) == ["—"]
    zero = parse(charts.calendar_heatmap(2028, {}, None, title="t"))
    assert len(rects(zero, "day")) == 366  # a leap year


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.text(), st.integers(min_value=0, max_value=10**12)), max_size=30))
def test_any_bars_render(items: list[tuple[str, int]]) -> None:
    root = parse(charts.bar_chart(items, title="t"))
    assert [t for t in titles(root)[1:] if t] == [
        f"{label}: {n}".translate(NOT_XML).replace("\r\n", "\n").replace("\r", "\n")  # as XML reads it
        for label, n in items]
    assert len(rects(root)) == (len(items) if items else 1)
    rows = [(label, values) for label, values in
            (("x" + label, [n, n // 2]) for label, n in items)]
    parse(charts.stacked_bars(rows, ["a", "b"], title="t"))
    parse(charts.line_chart([label for label, _ in items], [("s", [n for _, n in items])], title="t"))


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 1, 31)),
                       st.integers(min_value=-3, max_value=50), max_size=60),
       st.one_of(st.none(), st.integers(min_value=-2, max_value=25)), st.text(max_size=8))
def test_any_year_of_posts_renders(counts: dict[date, int], every: int | None, label: str) -> None:
    root = parse(charts.calendar_heatmap(2026, counts, every, title=label, missed_label=label,
                                         today=date(2026, 12, 31) - timedelta(days=len(counts))),
                 titled=False)
    assert len(rects(root, "day")) == 365
