"""Helpers shared by the browser tests: page errors, the graph view's state, a timed filter change, Find account."""

from __future__ import annotations

import time

STATUS = ".tsinvest-explorer-status"
GRAPH_VIEW = ".tsinvest-graph-view"


def collect_page_errors(page, errors: list[str]) -> None:
    """Append uncaught exceptions and console errors of ``page`` to ``errors``."""
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("console", lambda message: errors.append(
        f"console {message.type}: {message.text} ({message.location.get('url', '')})")
        if message.type == "error" else None)
    page.on("requestfailed", lambda request: errors.append(f"request failed: {request.url}"))


def graph_state(page) -> dict:
    """What the graph view publishes (counts, selection, camera) and how many views and canvases exist."""
    return page.evaluate(f"""() => {{
        const views = document.querySelectorAll('{GRAPH_VIEW}');
        const el = views[0];
        return {{views: views.length, canvases: el ? el.querySelectorAll('canvas').length : 0,
                 width: el ? el.getBoundingClientRect().width : 0,
                 nodes: el ? Number(el.dataset.nodes) : -1, edges: el ? Number(el.dataset.edges) : -1,
                 version: el ? el.dataset.version : null, selected: el ? el.dataset.selected : null,
                 cameraRatio: el ? Number(el.dataset.cameraRatio) : null,
                 status: (document.querySelector('{STATUS}') || {{}}).textContent || ''}};
    }}""")


def wait_for_graph(page, *, version: str | None = None, timeout: float = 30_000) -> None:
    """Wait until the graph view shows as many accounts as the status line (and a newer version)."""
    page.wait_for_function(f"""(before) => {{
        const el = document.querySelector('{GRAPH_VIEW}');
        const status = document.querySelector('{STATUS}');
        if (!el || !status || el.dataset.version === undefined || el.dataset.version === before) return false;
        return parseInt(status.textContent, 10) === Number(el.dataset.nodes);
    }}""", arg=version, timeout=timeout)


def timed_filter_change(page, selector: str, value: str) -> float:
    """Type ``value`` into a filter and return the seconds until the graph shows the new view."""
    before = graph_state(page)["version"]
    field = page.locator(selector).first
    started = time.monotonic()
    field.fill(value)
    field.press("Enter")
    wait_for_graph(page, version=before)
    return time.monotonic() - started


def find_first_account(page) -> str:
    """Search the first account of the accounts table with Find account; return it once the graph selected it.

    Waits out the camera's 300 ms zoom animation, so the caller can read the zoomed camera.
    """
    page.locator(".tsinvest-filter-panel .lm-TabBar-tab", has_text="Accounts").first.click()
    account = page.locator(".tsinvest-output-accounts tbody tr td").first.inner_text().strip()
    find = page.locator(".tsinvest-explorer-search input").first
    find.fill(account)
    find.press("Enter")
    page.wait_for_function(f"(id) => document.querySelector('{GRAPH_VIEW}').dataset.selected === id",
                           arg=account, timeout=30_000)
    page.wait_for_timeout(500)
    return account
