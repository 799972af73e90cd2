"""Real-browser test of the explorer notebook: JupyterLab + Debian's Chromium via Playwright.

Runs the committed ``notebooks/network_explorer.ipynb`` in a temporary copy
(with the sample data beside it), changes a filter in the page and checks the
tables and the one graph view follow (the time of each change, until the graph
shows the new view, is printed: a figure, not an assertion), that Find account
selects and zooms onto an account, that a hostile username shows as text (no
injected element, no alert) and that the page logs no error. A screenshot is
saved under the test's tmp_path.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import collect_page_errors, find_first_account, graph_state, timed_filter_change, wait_for_graph

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = "<img src=x onerror=alert(1)>"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _hermetic_jupyter(tmp_path: Path) -> dict[str, str]:
    # Fresh config/data/runtime dirs: nothing from the developer's home leaks in.
    # Lab extensions (widgets, ipysigma) still come from sys.prefix/share/jupyter.
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        folder = tmp_path / "jupyter" / name.lower()
        folder.mkdir(parents=True)
        env[name] = str(folder)
    env.pop("JUPYTER_PATH", None)
    env["TSINVEST_PROGRESS"] = "0"
    config = {"LabApp": {"news_url": None, "expose_app_in_browser": True, "extension_manager": "readonly",
                         "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate"},
              "ServerApp": {"open_browser": False}}
    (Path(env["JUPYTER_CONFIG_DIR"]) / "jupyter_server_config.json").write_text(json.dumps(config))
    # No workspace or "what's new" dialogs on first open.
    settings = Path(env["JUPYTER_CONFIG_DIR"]) / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps(
        {"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True}))
    # Render every cell (no virtual scrolling), so widgets far down the page exist in the DOM.
    notebook_settings = settings.parent / "notebook-extension"
    notebook_settings.mkdir(parents=True)
    (notebook_settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    return env


def _wait_for_server(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("JupyterLab exited early; its log is jupyterlab.log in the test's tmp_path")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("JupyterLab did not start in time")


@pytest.mark.browser
def test_explorer_notebook_in_a_real_browser(tmp_path):
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium: run scripts/ensure-chromium")
    from playwright.sync_api import expect, sync_playwright

    work = tmp_path / "work"
    (work / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "network_explorer.ipynb", work / "notebooks" / "network_explorer.ipynb")
    shutil.copytree(ROOT / "data_samples", work / "data_samples")
    source = (work / "notebooks" / "network_explorer.ipynb").read_text(encoding="utf-8")
    assert "FilterPanel(" in source, "the explorer notebook should contain the interactive filter panel"

    env = _hermetic_jupyter(tmp_path)
    port, token = _free_port(), secrets.token_hex(16)
    with open(tmp_path / "jupyterlab.log", "wb") as log:  # the server keeps its own descriptor
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}"]
            # CI runs as root in a throwaway machine; JupyterLab refuses root without this flag.
            + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    dialogs: list[str] = []
    errors: list[str] = []
    figures: dict[str, float] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_server(f"{base}/api/status?token={token}", server, timeout=40)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
                collect_page_errors(page, errors)
                page.goto(f"{base}/lab/tree/notebooks/network_explorer.ipynb?token={token}&reset")
                page.wait_for_selector(".jp-NotebookPanel", timeout=30_000)
                page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                                       " && window.jupyterapp.shell.currentWidget.sessionContext"
                                       " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                                       " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
                                       timeout=30_000)
                page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

                clusters = page.locator(".tsinvest-output-clusters table tbody").first
                try:
                    expect(clusters).to_contain_text("-", timeout=75_000)
                finally:
                    page.screenshot(path=str(tmp_path / "after-run-all.png"))
                clusters.scroll_into_view_if_needed()
                before = clusters.inner_text()
                assert any(prefix in before for prefix in ("amp-", "rep-", "farm-", "copy-"))
                graph_status = page.locator(".tsinvest-explorer-status").first
                expect(graph_status).to_contain_text("account(s)", timeout=30_000)
                graph_before = graph_status.inner_text()

                wait_for_graph(page)
                first = graph_state(page)
                assert first["views"] == 1 and first["nodes"] > 0 and first["canvases"] > 0 and first["width"] > 300

                # Change a filter in the page: only large clusters stay, and the one graph view follows.
                size = ".tsinvest-filter-min-cluster-size input"
                figures["filter change 1"] = timed_filter_change(page, size, "25")
                expect(clusters).not_to_have_text(before, timeout=20_000)
                assert graph_status.inner_text() != graph_before
                after = clusters.inner_text()
                assert len(after.splitlines()) < len(before.splitlines())
                for index, value in enumerate(["3", "10", "25"]):
                    figures[f"filter change {index + 2}"] = timed_filter_change(page, size, value)
                now = graph_state(page)
                assert (now["views"], now["canvases"]) == (1, first["canvases"])
                assert 0 < now["nodes"] < first["nodes"]

                page.locator(".tsinvest-graph-view").first.screenshot(path=str(tmp_path / "graph-filtered.png"))
                # Find account selects the account in the graph and zooms onto it.
                find_first_account(page)
                assert graph_state(page)["cameraRatio"] < 1
                # The drawing itself: a blank WebGL canvas would compress to almost nothing.
                drawing = tmp_path / "graph.png"
                page.locator(".tsinvest-graph-view").first.screenshot(path=str(drawing))
                assert drawing.stat().st_size > 5_000

                # A hostile username searched for shows as text in the accounts table.
                search = page.locator(".tsinvest-filter-search input").first
                search.fill("onerror")
                search.press("Enter")
                page.locator(".tsinvest-filter-panel .lm-TabBar-tab", has_text="Accounts").first.click()
                cell = page.locator(".tsinvest-output-accounts td", has_text=HOSTILE).first
                expect(cell).to_be_visible(timeout=20_000)
                assert cell.inner_text() == HOSTILE
                injected = page.evaluate("""() => ({
                    img: document.querySelectorAll('img[onerror]').length,
                    svg: document.querySelectorAll('svg[onload]').length,
                    script: [...document.querySelectorAll('script')]
                        .filter(s => s.textContent.includes('alert(')).length,
                })""")
                assert injected == {"img": 0, "svg": 0, "script": 0}
                assert dialogs == []

                screenshot = tmp_path / "explorer.png"
                page.screenshot(path=str(screenshot), full_page=False)
                assert screenshot.stat().st_size > 10_000
                print(f"screenshot: {screenshot}")
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
        print(f"JupyterLab explorer, {name}: {seconds:.2f} s")
    print(f"page errors: {len(errors)}")
    for error in errors:
        print("  " + error.splitlines()[0][:200])
    assert errors == []
