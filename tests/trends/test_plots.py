"""Plots: Figures without pyplot, flagged points drawn, user text never parsed as math or TeX."""

import io

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from tsinvest.exceptions import ParameterError
from tsinvest.trends import detect_spikes, plot_emerging, plot_spikes
from tsinvest.trends.plots import safe_label

HOSTILE = r"#$\undefinedmacro{x}$ and $\input{/etc/passwd}$"


def _spikes(policy):
    counts = [10] * 21
    counts[15] = 70
    frame = pd.DataFrame({"policy": policy,
                          "period_start": pd.date_range("2026-03-02", periods=21, freq="D", tz="UTC"),
                          "count": counts})
    return detect_spikes(frame)


def _render(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_plot_spikes_returns_a_figure_with_flagged_points_and_band():
    figure = plot_spikes(_spikes("spam"))
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    offsets = ax.collections[-1].get_offsets()  # the flagged scatter
    assert len(offsets) == 1 and offsets[0][1] == 70
    assert ax.get_title(loc="left") == "policy=spam: 1 flagged period (baseline seasonal:weekday)"
    assert _render(figure).startswith(b"\x89PNG")
    with pytest.raises(ParameterError, match="key"):
        plot_spikes(_spikes("spam"), key="policy=nope")


def test_user_strings_with_dollars_render_literally_even_with_usetex_on():
    spikes = _spikes(HOSTILE)
    terms = pd.DataFrame({"term": [HOSTILE, "#ok"], "z": [4.0, 2.0], "is_new": [True, False]})
    # usetex on in the session would hand user text to LaTeX; the plots must switch it off per text
    with matplotlib.rc_context({"text.usetex": True}):
        spike_figure = plot_spikes(spikes)
        term_figure = plot_emerging(terms)
        title = spike_figure.axes[0]._left_title
        assert title.get_text().startswith("policy=#\\$\\undefinedmacro")
        assert not title.get_usetex()
        labels = term_figure.axes[0].get_yticklabels()
        assert labels[-1].get_text() == safe_label(HOSTILE, max_chars=40)
        assert labels[-1].get_text().startswith(r"#\$\undefinedmacro{x}\$ and \$")
        assert not any(label.get_usetex() for label in labels)
    # Drawing would raise (unknown mathtext macro, or no LaTeX installed) if anything were parsed.
    _render(spike_figure)
    _render(term_figure)
    # mathtext shows the escaped string as the literal text the user typed
    assert title._preprocess_math(title.get_text()) == (title.get_text().replace(r"\$", "$"), False)


def test_safe_label_strips_controls_and_truncates():
    assert safe_label("a\u202eb\nc") == "abc"
    assert safe_label("x" * 100, max_chars=10) == "x" * 9 + "…"
    assert safe_label(None) == "<NA>"


def test_plot_emerging_orders_highest_first_and_colours_new_terms():
    terms = pd.DataFrame({"term": [f"#t{i}" for i in range(20)], "z": np.linspace(10, 1, 20),
                          "is_new": [i % 2 == 0 for i in range(20)]})
    figure = plot_emerging(terms, top=5)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["#t4", "#t3", "#t2", "#t1", "#t0"]
    colours = [tuple(np.round(p.get_facecolor(), 3)) for p in ax.patches]
    assert colours[-1] != colours[-2]  # #t0 new, #t1 not
    assert _render(figure).startswith(b"\x89PNG")


def test_plots_draw_into_a_given_axes():
    figure = Figure()
    axes = figure.subplots(1, 2)
    assert plot_spikes(_spikes("spam"), ax=axes[0]) is figure
    assert plot_emerging(pd.DataFrame({"term": ["#a"], "z": [1.0], "is_new": [False]}), ax=axes[1]) is figure
