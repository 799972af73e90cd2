from __future__ import annotations

import datetime as dt
import html

from tsinvest.widgets._output import output_html
from tsinvest.widgets.filters import FilterState
from tsinvest.widgets.panel import FilterPanel


def test_setting_controls_updates_linked_tables(data):
    panel = FilterPanel(data)
    seen = []
    panel.link(seen.append)
    before = output_html(panel.clusters_output)
    assert "amp-1" in before and "org-1" in before
    panel.min_cluster_size.value = 3
    after = output_html(panel.clusters_output)
    assert "org-1" not in after and "amp-1" in after
    assert panel.value.min_cluster_size == 3
    assert [len(v.clusters) for v in seen] == [3, 2]
    panel.min_edge_weight.value = 8.0
    assert "rep-1" not in output_html(panel.clusters_output)
    assert panel.status.value.startswith("1 cluster(s)")


def test_date_pickers_make_an_exclusive_end(data):
    panel = FilterPanel(data)
    panel.start.value = dt.date(2026, 3, 15)
    panel.end.value = dt.date(2026, 3, 29)
    assert panel.value.start == "2026-03-15T00:00:00Z" and panel.value.end == "2026-03-30T00:00:00Z"
    assert panel.view.clusters["cluster_id"].tolist() == ["rep-1"]


def test_bad_range_shows_error_and_keeps_last_view(data):
    panel = FilterPanel(data)
    panel.start.value = dt.date(2026, 3, 20)
    panel.end.value = dt.date(2026, 3, 2)
    assert "start must be before end" in panel.status.value
    assert panel.value.end is None  # the last valid state stays in force


def test_search_and_multi_selects(data):
    panel = FilterPanel(data)
    panel.search.value = "<img"
    accounts_html = output_html(panel.accounts_output)
    assert "&lt;img src=x onerror=alert(1)&gt;" in accounts_html and "<img" not in accounts_html
    panel.search.value = ""
    panel.countries.value = ("BR",)
    assert set(panel.view.accounts["country"]) == {"BR"}
    panel.policies.value = ("harassment",)
    assert panel.view.clusters.empty  # harassment reports involve MX accounts only
    panel.actions.value = ("share",)
    assert set(panel.view.events["action"]) <= {"share"}


def test_parameters_export_and_reload_reproduce_the_view(data):
    panel = FilterPanel(data)
    panel.value = FilterState(start="2026-03-02T06:00:00Z", countries=["MX"], min_edge_weight=2, min_score=0.5)
    assert panel.start.value == dt.date(2026, 3, 2) and panel.countries.value == ("MX",)
    source = panel.export()
    assert "filter_min_edge_weight: float = 2.0" in source
    shown = html.unescape(output_html(panel.parameters_output))
    assert "filter_min_edge_weight" in shown
    assert "tsinvest run network_explorer --data DATA_DIR" in shown
    assert "-p filter_countries '[\"MX\"]'" in shown
    parameters = panel.parameters()
    assert parameters["filter_start"] == "2026-03-02T06:00:00Z"  # exact time survives the date picker
    again = FilterPanel.from_parameters(data, {**parameters, "data_dir": "elsewhere"})
    assert again.value == panel.value
    assert again.view.clusters.equals(panel.view.clusters)
    assert output_html(again.clusters_output) == output_html(panel.clusters_output)


def test_loaded_values_missing_from_data_stay_selected(data):
    panel = FilterPanel(data, FilterState(countries=["ZZ"]))
    assert panel.countries.value == ("ZZ",) and panel.view.clusters.empty


def test_panel_shows_a_busy_state_only_while_updating_and_reader_columns(data):
    from tsinvest.widgets.panel import FilterPanel

    panel = FilterPanel(data)
    seen = []
    panel.status.observe(lambda change: seen.append(change["new"]), names="value")
    panel.min_cluster_size.value = 3
    assert any("Updating" in value for value in seen)
    assert "Updating" not in panel.status.value
    assert "tsinvest-busy" not in panel._dom_classes
    import re

    markup = panel.clusters_output.outputs[0]["data"]["text/html"]
    headers = re.findall(r"<th>([^<]*)</th>", markup)
    assert headers[0] == "cluster_id"
    assert set(headers) <= {"cluster_id", "kind", "size", "score", "links", "explanation"}
