"""Real-browser test of the read-only app: Voila serving app/network_explorer.ipynb, Debian's Chromium.

The first visit runs detection and fills the cache; the second reads the
cache. Both page loads and one filter change are timed and printed (figures,
not assertions: timing belongs to bench/, the test checks behaviour).
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
    env.pop("JUPYTER_PATH", None)
    cache = tmp_path / "cache"
    env.update(TSINVEST_PROGRESS="0", TSINVEST_APP_DATA=str(ROOT / "data_samples"), TSINVEST_APP_CACHE=str(cache))
    port = _free_port()
    log = open(tmp_path / "voila.log", "wb")
    server = subprocess.Popen(
        # As `make app` runs it: tree mode over app/, every notebook there is a page.
        [str(Path(sys.executable).parent / "voila"), ".", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
         "--preheat_kernel=True", "--pool_size=1",
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
                    page.on("pageerror", lambda error: errors.append(str(error)))
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

                size_input = page.locator(".tsinvest-filter-min-cluster-size input").first
                started = time.monotonic()
                size_input.fill("25")
                size_input.press("Enter")
                expect(clusters).not_to_have_text(before, timeout=30_000)
                expect(status).not_to_have_text(status_before, timeout=30_000)
                figures["filter change (tables and graph updated)"] = time.monotonic() - started
                assert len(clusters.inner_text().splitlines()) < len(before.splitlines())
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
        log.close()
    for name, seconds in figures.items():
        print(f"voila app, {name}: {seconds:.2f} s")
    print(f"page errors: {len(errors)}")
    for error in errors:
        print("  " + error.splitlines()[0][:200])
