"""HTML tables: hostile text stays text, hidden characters become visible."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsinvest.exceptions import ParameterError
from tsinvest.reporting.safe_html import SafeTable, cell_text, display_table, safe_table_html
from tsinvest.textnorm import display_safe

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "\"onmouseover=alert(1) x=\"",
    "' onfocus='alert(1)' autofocus '",
    "invoice\u202egnp.exe",
    "\u2067admin\u2069",
    "zero\u200bwidth\ufeff",
    "<!-- comment --><style>*{display:none}</style>",
    "&lt;already escaped&gt; &amp;",
    "]]><![CDATA[<x>]]>",
    "\x1b[31mred\x1b[0m",
    "<td>fake cell</td></tr><tr><td>",
    "javascript:alert(1)",
    "<svg/onload=alert(1)>",
    "",
]
TABLE_TAGS = {"table", "caption", "thead", "tbody", "tr", "th", "td"}


class _TableReader(HTMLParser):
    """Collect every element, attribute and the text of each cell."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.rows: list[list[str]] = []
        self.caption = ""
        self._cell: list[str] | None = None
        self._in_caption = False
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._in_caption:
            self.caption += data
        elif data.strip():
            self.tags.append("#stray-text")

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_decl(self, decl):
        self.tags.append("#decl")

    def unknown_decl(self, data):
        self.tags.append("#unknown-decl")

    def handle_pi(self, data):
        self.tags.append("#pi")


def _read(markup: str) -> _TableReader:
    reader = _TableReader()
    reader.feed(markup)
    reader.close()
    return reader


def test_hostile_names_render_as_text_only():
    frame = pd.DataFrame({"username": HOSTILE, "score": range(len(HOSTILE))})
    reader = _read(safe_table_html(frame, max_rows=100))
    assert set(reader.tags) <= TABLE_TAGS
    # Only constant attributes: the table class and left alignment of the text column's cells.
    assert set(reader.attributes) == {("table", "class", "tsinvest-table"), ("td", "style", "text-align: left")}
    assert reader.attributes.count(("td", "style", "text-align: left")) == len(HOSTILE)
    assert reader.comments == []
    assert reader.rows[0] == ["username", "score"]
    assert [row[0] for row in reader.rows[1:]] == [display_safe(name) for name in HOSTILE]
    assert [row[1] for row in reader.rows[1:]] == [str(n) for n in range(len(HOSTILE))]


def test_bidi_and_zero_width_are_visible_markers():
    markup = safe_table_html(pd.DataFrame({"name": ["invoice\u202egnp.exe", "a\u200bb", "\u2067x\u2069"]}))
    assert "\u202e" not in markup and "\u200b" not in markup and "\u2067" not in markup
    cells = [row[0] for row in _read(markup).rows[1:]]
    assert cells == ["invoice[U+202E]gnp.exe", "a[U+200B]b", "[U+2067]x[U+2069]"]


def test_headers_index_and_caption_are_escaped_too():
    frame = pd.DataFrame({"<script>h</script>": ["v"]}, index=pd.Index(["<b>i</b>"], name="<i>n</i>"))
    reader = _read(safe_table_html(frame, index=True, caption="<em>cap</em>"))
    assert set(reader.tags) <= TABLE_TAGS
    assert reader.rows == [["<i>n</i>", "<script>h</script>"], ["<b>i</b>", "v"]]
    assert reader.caption == "<em>cap</em>"


def test_max_rows_and_max_chars_limit_what_is_shown():
    frame = pd.DataFrame({"text": ["y" * 500] + ["x"] * 9})
    reader = _read(safe_table_html(frame, max_rows=3, max_chars=10))
    assert len(reader.rows) == 4
    assert reader.rows[1] == ["y" * 10 + "…"]
    assert reader.caption == "showing 3 of 10 rows"
    with pytest.raises(ParameterError):
        safe_table_html(frame, max_rows=-1)
    with pytest.raises(ParameterError):
        safe_table_html([1, 2])  # type: ignore[arg-type]


def test_cell_text_formats_values():
    assert cell_text(pd.NA) == "" and cell_text(pd.NaT) == "" and cell_text(float("nan")) == ""
    assert cell_text(1234567890123456789) == "1234567890123456789"
    assert cell_text(pd.Timestamp("2024-05-01T12:00:00Z")) == "2024-05-01 12:00:00+00:00"


def test_display_table_repr_html_is_the_safe_html_and_text_repr_has_no_values():
    frame = pd.DataFrame({"username": ["</script><script>alert(1)</script>"]})
    table = display_table(frame, max_rows=5)
    assert isinstance(table, SafeTable)
    assert table._repr_html_() == safe_table_html(frame, max_rows=5)
    assert "<script>" not in table._repr_html_()
    assert repr(table) == "SafeTable(1 rows x 1 columns)"


def test_output_is_deterministic():
    frame = pd.DataFrame({"a": ["x", "<y>"]})
    assert safe_table_html(frame) == safe_table_html(frame.copy())


@settings(max_examples=80, deadline=None)
@given(values=st.lists(st.text(max_size=30) | st.sampled_from(HOSTILE), min_size=1, max_size=5))
def test_property_any_text_round_trips_as_text(values):
    frame = pd.DataFrame({"value": values})
    reader = _read(safe_table_html(frame, max_chars=1000))
    assert set(reader.tags) <= TABLE_TAGS
    assert reader.comments == []
    assert [row[0] for row in reader.rows[1:]] == [display_safe(value) for value in values]
