"""Print the kernel-side time of one explorer filter change on a data folder (the sample by default).

    python bench/bench_explorer.py [--data data_samples] [--repeat 7]

Builds what the explorer page builds (filter panel, graph explorer with the
sigma.js view, timeline), then changes "Min cluster size" back and forth and
prints the median time of each whole change (tables, graph payload, timeline)
and of its stages. The browser adds the round trip and the redraw: the browser
tests (tests/browser) print that end-to-end figure. Detection runs once and is
cached under bench/out/.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tsinvest.widgets import FilterState, from_detection
from tsinvest.widgets.cache import cached_detect, cached_load
from tsinvest.widgets.explorer import GraphExplorer, explorer_graph
from tsinvest.widgets.filters import apply_filters
from tsinvest.widgets.panel import FilterPanel
from tsinvest.widgets.timeline import TimelineWidget

ROOT = Path(__file__).resolve().parents[1]


def median_seconds(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data_samples"))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    cache = ROOT / "bench" / "out" / "explorer-cache"
    tables = cached_load(args.data, cache_dir=cache)
    result = cached_detect(tables, data_dir=args.data, cache_dir=cache, seed=7, as_of="2026-03-30T00:00:00Z")
    data = from_detection(result, tables)
    state = FilterState(min_cluster_size=3, min_score=0.5)

    started = time.perf_counter()
    panel = FilterPanel(data, state)
    explorer = GraphExplorer(data, panel=panel, backend="sigma", seed=7)
    TimelineWidget(data, panel=panel)
    print(f"page built (first view, layout of every cluster member): {time.perf_counter() - started:.3f} s")
    print(f"graph: {explorer.status.value}; {len(data.edges)} links in the data")

    sizes = iter([25, 3] * args.repeat)
    change = median_seconds(lambda: setattr(panel.min_cluster_size, "value", next(sizes)), 2 * args.repeat // 2)
    view = apply_filters(data, state)
    filters = median_seconds(lambda: apply_filters(data, state), args.repeat)
    graph = median_seconds(lambda: explorer_graph(view.edges, data), args.repeat)
    redraw = median_seconds(lambda: explorer.update(view), args.repeat)
    print(f"filter change, whole (tables, graph view, timeline): {change:.3f} s median")
    print(f"  apply_filters: {filters:.3f} s; explorer_graph: {graph:.3f} s; graph redraw incl. payload: {redraw:.3f} s")


if __name__ == "__main__":
    main()
