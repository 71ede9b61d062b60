"""Contrast of the console's colours (WCAG 2 relative luminance): text pairs ≥ 4.5:1, focus outlines and chart
marks ≥ 3:1 against what they are drawn on. Each pair is checked to be in console.css / overview.js as written."""

from __future__ import annotations

import pytest

from app.web.console.pages import STATIC_DIR

CSS = (STATIC_DIR / "console.css").read_text(encoding="utf-8")
JS = (STATIC_DIR / "overview.js").read_text(encoding="utf-8")
PAGE, CARD, HEADER, HEAD_CELL = "#f4f6f8", "#fff", "#0b3d91", "#e8edf3"
TEXT = [  # (foreground, background): body, muted, errors, links, buttons, table heads
    ("#1a1a1a", PAGE),
    ("#1a1a1a", CARD),
    ("#1a1a1a", HEAD_CELL),
    ("#3a4450", PAGE),
    ("#3a4450", CARD),
    ("#b00020", PAGE),
    ("#b00020", CARD),
    ("#0b3d91", CARD),
    ("#fff", HEADER),
]
MARKS = [("#0b3d91", CARD), ("#f0a500", HEADER), ("#6b7785", CARD), ("#1d6b38", CARD), ("#b00020", CARD)]


def _luminance(colour: str) -> float:
    if len(colour) == 4:  # #rgb
        colour = "#" + "".join(c * 2 for c in colour[1:])
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(("fg", "bg"), TEXT)
def test_text_colours_reach_4_5_to_1(fg: str, bg: str) -> None:
    assert fg in CSS + JS and bg in CSS
    assert contrast(fg, bg) >= 4.5


@pytest.mark.parametrize(("fg", "bg"), MARKS)
def test_outlines_borders_and_chart_marks_reach_3_to_1(fg: str, bg: str) -> None:
    assert fg in CSS + JS and bg in CSS
    assert contrast(fg, bg) >= 3


def test_the_focus_outline_is_dark_on_the_page_and_amber_on_the_header() -> None:
    assert ":focus-visible { outline: 3px solid #0b3d91;" in CSS
    assert ".top :focus-visible { outline-color: #f0a500; }" in CSS
    assert contrast("#0b3d91", PAGE) >= 3 and contrast("#f0a500", HEADER) >= 3


def test_contrast_formula() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0 and contrast("#777777", "#777777") == 1.0
