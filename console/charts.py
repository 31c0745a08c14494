"""The console's charts as SVG made on the server (issue 18: government intranets have no internet,
so no chart library is fetched, and no script runs): bars, stacked bars (the review campaign by
department, Art. 5), a line per series (the weekly inquiry trend, Art. 12) and a calendar heat map
of an account's posts over the year against its cadence (Art. 11).

Each chart is one ``<svg>`` with a ``viewBox`` and no fixed size, so it scales to its container (a
phone's width too); it is an image with a ``<title>`` (its accessible name) and every mark carries
its own ``<title>`` with the exact figure (the tooltip, and what a screen reader reads). Every text
comes from the caller — the labels are Chinese from ``bot.texts`` — and is escaped here with
``markupsafe.escape``: the result is ``Markup``, safe to put in a template as is. Pure functions:
any input renders (an empty one as a chart saying so), never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta

from markupsafe import Markup, escape

from bot.workdays import is_workday

FONT = "font-family=\"system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif\""
PALETTE = ("#2e7d32", "#c62828", "#f9a825", "#9e9e9e", "#1565c0", "#6a1b9a", "#00838f", "#ef6c00")
HEAT = ("#ebedf0", "#9be9a8", "#40c463", "#30a14e", "#216e39")  # 0, 1, 2, 3–4, 5+ posts
MISSED = "#e8710a"  # no post, later than the cadence
BAR = "#1565c0"
LABEL_CHARS = 10  # a longer label is cut (with …) beside its bar; its full text is in the tooltip


# Characters XML 1.0 does not allow in a document at all (escaping cannot carry them): dropped.
_NOT_XML = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0xD800, 0xE000),
                          0xFFFE, 0xFFFF])


def _e(text: object) -> str:
    return str(escape(str(text).translate(_NOT_XML)))


def _n(value: object) -> int:
    """A count as drawn: an int, never below zero (bad input draws as zero, it does not fail)."""
    try:
        number = int(value)  # type: ignore[call-overload]
        if not isinstance(number, int):
            return 0
    except (TypeError, ValueError, OverflowError):
        return 0
    return max(number, 0)


def _cut(label: str, chars: int = LABEL_CHARS) -> str:
    return label if len(label) <= chars else label[: chars - 1] + "…"


def _svg(width: float, height: float, title: str, body: Sequence[str], *, kind: str) -> Markup:
    return Markup(  # noqa: S704 - every text in it went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" role="img" '
        f'class="chart chart-{kind}" preserveAspectRatio="xMinYMin meet" {FONT} font-size="12">'
        f"<title>{_e(title)}</title>" + "".join(body) + "</svg>")


def _empty(title: str, message: str, *, kind: str) -> Markup:
    return _svg(400, 60, title, [
        '<rect x="0.5" y="0.5" width="399" height="59" rx="4" fill="#fafafa" stroke="#e0e0e0"/>',
        f'<text x="200" y="35" text-anchor="middle" fill="#757575" class="chart-empty">{_e(message)}</text>'],
        kind=kind)


def bar_chart(items: Sequence[tuple[str, int]], *, title: str, empty: str = "—", unit: str = "",
              width: int = 400) -> Markup:
    """One horizontal bar per (label, count), in the order given, the longest bar the largest count;
    the count written after each bar (``unit`` after it)."""
    rows = [(str(label), _n(value)) for label, value in items]
    if not rows:
        return _empty(title, empty, kind="bar")
    top = max(value for _, value in rows) or 1
    left, right, step, bar_h = 130, 50, 26, 16
    span = width - left - right
    body = []
    for i, (label, value) in enumerate(rows):
        y = 8 + i * step
        w = span * value / top
        body.append(
            f'<g class="bar"><title>{_e(label)}: {value}{_e(unit)}</title>'
            f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" fill="#424242">{_e(_cut(label))}</text>'
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="2" fill="{BAR}"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 12}" fill="#212121">{value}{_e(unit)}</text></g>')
    return _svg(width, 16 + len(rows) * step, title, body, kind="bar")


def stacked_bars(rows: Sequence[tuple[str, Sequence[int]]], legend: Sequence[str], *, title: str,
                 empty: str = "—", colors: Sequence[str] = PALETTE, width: int = 400) -> Markup:
    """One horizontal bar per row, cut into one segment per legend entry (the review campaign by
    department: passed, failed, waiting, missing), the longest bar the largest total; the legend
    above, the total after each bar. A row with more values than the legend has entries draws the
    first ones only; fewer, as zeros."""
    names = [str(name) for name in legend]
    data = [(str(label), [_n(v) for v in list(values)[: len(names)]] + [0] * (len(names) - len(values)))
            for label, values in rows]
    if not data or not names:
        return _empty(title, empty, kind="stacked")
    top = max(sum(values) for _, values in data) or 1
    left, right, step, bar_h = 130, 50, 26, 16
    span = width - left - right
    body = []
    x = 4.0
    legend_y = 14
    for k, name in enumerate(names):  # the legend wraps to a second line when it does not fit
        chars = len(name) * 12 + 24
        if x + chars > width and x > 4:
            x, legend_y = 4.0, legend_y + 18
        body.append(f'<g class="legend"><rect x="{x:.1f}" y="{legend_y - 10}" width="10" height="10" '
                    f'fill="{colors[k % len(colors)]}"/><text x="{x + 14:.1f}" y="{legend_y}" fill="#424242">'
                    f"{_e(name)}</text></g>")
        x += chars
    top_y = legend_y + 12
    for i, (label, values) in enumerate(data):
        y = top_y + i * step
        total = sum(values)
        parts = [f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" fill="#424242">{_e(_cut(label))}'
                 f"<title>{_e(label)}</title></text>"]
        at = float(left)
        for k, value in enumerate(values):
            if not value:
                continue
            w = span * value / top
            parts.append(f'<rect x="{at:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                         f'fill="{colors[k % len(colors)]}"><title>{_e(label)} {_e(names[k])}: {value}'
                         "</title></rect>")
            at += w
        parts.append(f'<text x="{at + 4:.1f}" y="{y + 12}" fill="#212121">{total}</text>')
        body.append('<g class="row">' + "".join(parts) + "</g>")
    return _svg(width, top_y + len(data) * step + 4, title, body, kind="stacked")


def line_chart(weeks: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, title: str,
               empty: str = "—", colors: Sequence[str] = (BAR, "#c62828", "#2e7d32", "#f9a825"),
               width: int = 400) -> Markup:
    """One line per (name, values) over the x labels ``weeks`` (the inquiry trend: received and
    overdue per ISO week), with a point per value, a scale from 0 to the largest value, a legend."""
    labels = [str(w) for w in weeks]
    lines = [(str(name), [_n(v) for v in list(values)[: len(labels)]]) for name, values in series]
    lines = [(name, values + [0] * (len(labels) - len(values))) for name, values in lines]
    if not labels or not lines:
        return _empty(title, empty, kind="line")
    top = max([v for _, values in lines for v in values] + [1])
    left, right, top_y, plot_h = 34, 12, 26, 150
    span = width - left - right
    gap = span / max(len(labels) - 1, 1)
    base = top_y + plot_h
    body = [f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#9e9e9e"/>',
            f'<line x1="{left}" y1="{top_y}" x2="{width - right}" y2="{top_y}" stroke="#eeeeee"/>',
            f'<text x="{left - 4}" y="{top_y + 4}" text-anchor="end" fill="#757575">{top}</text>',
            f'<text x="{left - 4}" y="{top_y + plot_h + 4}" text-anchor="end" fill="#757575">0</text>']
    every = max(1, -(-len(labels) // 8))  # at most about 8 x labels: a phone's width
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            body.append(f'<text x="{left + i * gap:.1f}" y="{top_y + plot_h + 18}" text-anchor="middle" '
                        f'fill="#757575" class="x-label">{_e(label)}</text>')
    x = float(left)
    for k, (name, values) in enumerate(lines):
        color = colors[k % len(colors)]
        body.append(f'<g class="legend"><rect x="{x:.1f}" y="4" width="10" height="10" fill="{color}"/>'
                    f'<text x="{x + 14:.1f}" y="14" fill="#424242">{_e(name)}</text></g>')
        x += len(name) * 12 + 28
        points = [(left + i * gap, top_y + plot_h - plot_h * v / top) for i, v in enumerate(values)]
        dots = "".join(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"><title>'
                       f"{_e(labels[i])} {_e(name)}: {values[i]}</title></circle>"
                       for i, (px, py) in enumerate(points))
        body.append(f'<g class="series"><title>{_e(name)}</title><polyline fill="none" stroke="{color}" '
                    'stroke-width="2" points="' + " ".join(f"{px:.1f},{py:.1f}" for px, py in points) + '"/>'
                    + dots + "</g>")
    return _svg(width, top_y + plot_h + 26, title, body, kind="line")


def missed_days(year: int, counts: Mapping[date, int], every: int | None, *, start: date | None = None,
                today: date | None = None) -> set[date]:
    """The days of ``year`` without a post that lie in a stretch of more than ``every`` working days
    without one (Art. 11: the account fell behind its cadence), counted from ``start`` (its filing;
    default 1 January) up to ``today`` (default 31 December). Working days as the cadence sweep counts
    them (``bot.workdays``: official holidays and 调休 make-up days). None or < 1: no cadence, none."""
    if every is None or every < 1:
        return set()
    first, last = date(year, 1, 1), date(year, 12, 31)
    if start is not None:
        first = max(first, start)
    if today is not None:
        last = min(last, today)
    missed: set[date] = set()
    since = 0  # working days without a post
    day = first
    while day <= last:
        if _n(counts.get(day, 0)) > 0:
            since = 0
        else:
            since += is_workday(day)
            if since > every:
                missed.add(day)
        day += timedelta(days=1)
    return missed


def _heat(count: int) -> str:
    return HEAT[0] if count <= 0 else HEAT[1] if count == 1 else HEAT[2] if count == 2 else \
        HEAT[3] if count <= 4 else HEAT[4]


def calendar_heatmap(year: int, counts: Mapping[date, int], expected_every_days: int | None, *,
                     title: str, months: Sequence[str] = (), weekdays: Sequence[str] = (),
                     missed_label: str = "", start: date | None = None, today: date | None = None,
                     day_label: Callable[[date, int], str] | None = None) -> Markup:
    """A year of posts, GitHub-style: one column per week (Monday first), one square per day coloured
    by its number of posts, month labels over the weeks they start (``months``: twelve labels, default
    1月 … 12月), weekday labels on the left (``weekdays``: seven, Monday first; empty ones skipped).
    Days without a post in a stretch longer than the cadence (``missed_days``) are drawn with an
    orange border, and ``missed_label`` explains it in the legend. Each square's tooltip is
    ``day_label(day, posts)`` (default: the ISO date and the count). Days after ``today`` are blank."""
    try:
        jan1 = date(year, 1, 1)
    except (ValueError, OverflowError, TypeError):
        return _empty(title, "—", kind="heatmap")
    month_names = [str(m) for m in months][:12]
    month_names += [f"{m}月" for m in range(len(month_names) + 1, 13)]
    day_names = ([str(d) for d in weekdays] + [""] * 7)[:7]
    missed = missed_days(year, counts, expected_every_days, start=start, today=today)
    label = day_label or (lambda d, n: f"{d.isoformat()}: {n}")
    cell, gap, left, top = 11, 2, 22, 20
    origin = jan1 - timedelta(days=jan1.weekday())  # the Monday of the first week
    body = []
    for row, name in enumerate(day_names):
        if name:
            body.append(f'<text x="0" y="{top + row * (cell + gap) + 9}" font-size="9" fill="#757575">'
                        f"{_e(name)}</text>")
    day = jan1
    columns = 0
    while day.year == year:
        column = (day - origin).days // 7
        columns = column + 1
        x, y = left + column * (cell + gap), top + day.weekday() * (cell + gap)
        if day.day == 1:
            body.append(f'<text x="{x}" y="{top - 6}" font-size="10" fill="#424242" class="month">'
                        f"{_e(month_names[day.month - 1])}</text>")
        future = today is not None and day > today
        posts = _n(counts.get(day, 0))
        fill = "#ffffff" if future else _heat(posts)
        edge = (f' stroke="{MISSED}" stroke-width="1.5" class="day missed"' if day in missed
                else ' class="day"')
        body.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" rx="2" fill="{fill}"{edge}>'
                    f"<title>{_e(label(day, posts))}</title></rect>")
        day += timedelta(days=1)
    width = left + columns * (cell + gap) + 4
    legend_y = top + 7 * (cell + gap) + 6
    for k, color in enumerate(HEAT):
        body.append(f'<rect x="{left + k * (cell + gap)}" y="{legend_y}" width="{cell}" height="{cell}" '
                    f'rx="2" fill="{color}" class="legend"/>')
    if missed_label and expected_every_days:
        x = left + len(HEAT) * (cell + gap) + 16
        body.append(f'<rect x="{x}" y="{legend_y}" width="{cell}" height="{cell}" rx="2" fill="{HEAT[0]}" '
                    f'stroke="{MISSED}" stroke-width="1.5" class="legend"/><text x="{x + cell + 4}" '
                    f'y="{legend_y + 9}" font-size="10" fill="#424242">{_e(missed_label)}</text>')
    return _svg(width, legend_y + cell + 4, title, body, kind="heatmap")
