"""Server-rendered SVG charts (no script, no CDN), readable by screen readers.

Each chart is an ``<svg role="img">`` with a title and a description listing
every figure; the page shows the same figures in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_COLOUR = "#1f5fa8"
ALERT_COLOUR = "#b3261e"
TEXT_COLOUR = "#1b1b1b"
GRID_COLOUR = "#c8c8c8"


def _describe(items: Sequence[tuple[str, float]], unit: str) -> str:
    return (
        "；".join(f"{label}：{_number(value)}{unit}" for label, value in items)
        or "暂无数据"
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def bar_chart(
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    unit: str = "",
    maximum: float | None = None,
) -> Markup:
    """Horizontal bars, one per item, labelled and valued."""
    row, label_w, bar_w, gap = 26, 170, 360, 8
    height = max(1, len(items)) * row + gap
    top = maximum if maximum is not None else max((v for _, v in items), default=0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {label_w + bar_w + 70} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'data-testid="chart-{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(_describe(items, unit))}</desc>',
    ]
    if not items:
        parts.append(
            f'<text x="4" y="20" fill="{TEXT_COLOUR}" font-size="14">暂无数据</text>'
        )
    for index, (label, value) in enumerate(items):
        y = index * row + gap
        width = 0 if top <= 0 else max(1, round(bar_w * value / top)) if value else 0
        parts.append(
            f'<g data-testid="bar" data-label="{escape(label)}" data-value="{_number(value)}">'
            f"<title>{escape(label)}：{_number(value)}{escape(unit)}</title>"
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" '
            f'fill="{TEXT_COLOUR}" font-size="13">{escape(_clip(label))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{width}" height="{row - 8}" '
            f'fill="{BAR_COLOUR}"/>'
            f'<text x="{label_w + width + 6}" y="{y + 15}" fill="{TEXT_COLOUR}" '
            f'font-size="13">{_number(value)}{escape(unit)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(
    chart_id: str, title: str, items: Sequence[tuple[str, float]], *, unit: str = ""
) -> Markup:
    """Vertical columns over time (one per day), with a baseline and a scale."""
    plot_h, col_w, left, bottom = 160, 22, 40, 34
    width = left + max(1, len(items)) * col_w + 10
    top = max((v for _, v in items), default=0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {plot_h + bottom + 10}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'data-testid="chart-{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(_describe(items, unit))}</desc>',
        f'<line x1="{left}" y1="{plot_h + 5}" x2="{width - 5}" y2="{plot_h + 5}" '
        f'stroke="{GRID_COLOUR}"/>',
        f'<text x="{left - 4}" y="14" text-anchor="end" font-size="11" '
        f'fill="{TEXT_COLOUR}">{_number(top)}</text>',
    ]
    label_every = max(1, len(items) // 10)
    for index, (label, value) in enumerate(items):
        height = 0 if top <= 0 else round(plot_h * value / top)
        x = left + index * col_w + 3
        parts.append(
            f'<g data-testid="bar" data-label="{escape(label)}" data-value="{_number(value)}">'
            f"<title>{escape(label)}：{_number(value)}{escape(unit)}</title>"
            f'<rect x="{x}" y="{plot_h + 5 - height}" width="{col_w - 6}" '
            f'height="{height}" fill="{BAR_COLOUR}"/></g>'
        )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + (col_w - 6) / 2}" y="{plot_h + 22}" text-anchor="middle" '
                f'font-size="10" fill="{TEXT_COLOUR}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def rate_meter(chart_id: str, title: str, rate: float | None, *, alert: bool) -> Markup:
    """A single share (0–100 %) as a filled bar."""
    width, height = 240, 18
    filled = 0 if rate is None else round(width * min(max(rate, 0.0), 1.0))
    shown = "暂无数据" if rate is None else f"{rate * 100:.1f}%"
    colour = ALERT_COLOUR if alert else BAR_COLOUR
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="meter" role="img" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}：{shown}" '
        f'data-testid="meter-{chart_id}">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#e6e6e6"/>'
        f'<rect x="0" y="0" width="{filled}" height="{height}" fill="{colour}"/></svg>'
    )


def _clip(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
