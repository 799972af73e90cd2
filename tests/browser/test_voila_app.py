"""Real-browser test of the read-only app: Voila serving app/network_explorer.ipynb, Debian's Chromium.

The first visit runs detection and fills the cache; the second reads the
cache. Both page loads and the filter changes are timed and printed (figures,
not assertions: timing belongs to bench/, the test checks behaviour): a filter
change counts until the graph view shows as many accounts as the status line.
The graph must stay one view with the same canvases across changes, Find
account must select and zoom onto the account, and the page must log no error.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import collect_page_errors, find_first_account, graph_state, timed_filter_change, wait_for_graph

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.browser
def test_voila_app_renders_the_explorer_and_caches_detection(tmp_path):
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium: run scripts/ensure-chromium")
    if shutil.which("voila", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("voila is not installed: `pip install -e '.[app]'` (make install does it)")
    from playwright.sync_api import expect, sync_playwright

    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        folder = tmp_path / "jupyter" / name.lower()
        folder.mkdir(parents=True)
        env[name] = str(folder)
    env["JUPYTER_PATH"] = str(ROOT / "app" / "jupyter")  # the app's template, as `make app` sets it
    cache = tmp_path / "cache"
    env.update(TSINVEST_PROGRESS="0", TSINVEST_APP_DATA=str(ROOT / "data_samples"), TSINVEST_APP_CACHE=str(cache))
    port = _free_port()
    with open(tmp_path / "voila.log", "wb") as log:  # the server keeps its own descriptor
        server = subprocess.Popen(
            # As `make app` runs it: tree mode over app/, every notebook there is a page.
            [str(Path(sys.executable).parent / "voila"), ".", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
             "--template=tsinvest", "--preheat_kernel=True", "--pool_size=1",
             f"--ServerApp.token={secrets.token_hex(8)}"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT / "app")
    errors: list[str] = []
    figures: dict[str, float] = {}
    try:
        base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if server.poll() is not None:
                raise AssertionError("voila exited early; see voila.log in the test's tmp_path")
            time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                for visit in ("first visit (detection, fills the cache)", "second visit (cache hit)"):
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    collect_page_errors(page, errors)
                    started = time.monotonic()
                    page.goto(base + "voila/render/network_explorer.ipynb", timeout=180_000)
                    clusters = page.locator(".tsinvest-output-clusters table tbody").first
                    expect(clusters).to_contain_text("-", timeout=180_000)
                    figures[visit] = time.monotonic() - started
                    if visit.startswith("first"):
                        page.close()
                assert any(cache.iterdir()), "the first visit should fill the cache folder"

                before = clusters.inner_text()
                assert any(prefix in before for prefix in ("amp-", "rep-", "farm-", "copy-"))
                # Code is stripped for readers; no Python repr of a widget shows.
                body = page.locator("body").inner_text()
                assert "from tsinvest" not in body and "FilterPanel(" not in body and "GraphExplorer(" not in body
                status = page.locator(".tsinvest-explorer-status").first
                expect(status).to_contain_text("account(s)", timeout=30_000)
                status_before = status.inner_text()

                wait_for_graph(page)
                first = graph_state(page)
                assert first["views"] == 1 and first["nodes"] > 0 and first["canvases"] > 0 and first["width"] > 300

                # Filter changes: the tables follow and the one graph view is updated in place.
                size = ".tsinvest-filter-min-cluster-size input"
                figures["filter change (tables and graph updated)"] = timed_filter_change(page, size, "25")
                expect(clusters).not_to_have_text(before, timeout=30_000)
                assert len(clusters.inner_text().splitlines()) < len(before.splitlines())
                for index, value in enumerate(["3", "10", "25"]):
                    figures[f"filter change {index + 2}"] = timed_filter_change(page, size, value)
                now = graph_state(page)
                assert (now["views"], now["canvases"]) == (1, first["canvases"])
                assert 0 < now["nodes"] < first["nodes"] and now["status"] != status_before

                page.locator(".tsinvest-graph-view").first.screenshot(path=str(tmp_path / "graph-filtered.png"))
                # Find account selects the account in the graph and zooms onto it.
                account = find_first_account(page)
                assert graph_state(page)["cameraRatio"] < 1
                expect(page.locator(".tsinvest-explorer-details").first).to_contain_text(account, timeout=30_000)
                # The drawing itself: a blank WebGL canvas would compress to almost nothing.
                drawing = tmp_path / "graph.png"
                page.locator(".tsinvest-graph-view").first.screenshot(path=str(drawing))
                assert drawing.stat().st_size > 5_000
                screenshot = tmp_path / "voila-explorer.png"
                page.screenshot(path=str(screenshot), full_page=True)
                assert screenshot.stat().st_size > 10_000
            finally:
                browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    for name, seconds in figures.items():
        print(f"voila app, {name}: {seconds:.2f} s")
    print(f"page errors: {len(errors)}")
    for error in errors:
        print("  " + error.splitlines()[0][:200])
    assert errors == []
