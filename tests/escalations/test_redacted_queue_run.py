"""A redacted run of the escalation_queue notebook: no raw ticket or account id in any output.

The draft reply in the notebook is built from the pseudonymised tables, so it
must carry pseudonyms only; the queue, overdue and network tables likewise.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tsinvest.cli import main
from tsinvest.reporting import Pseudonymiser

pytestmark = pytest.mark.notebook

SAMPLE = Path(__file__).resolve().parents[2] / "data_samples"
KEY = "test-only-key-escalation-queue-0123456789"
TICKET = "ESC-343114"  # an open partner ticket about a brigade victim


def test_redacted_queue_run_leaks_no_raw_id(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TSINVEST_PSEUDONYM_KEY", KEY)
    out = tmp_path / "queue"
    assert main(["run", "escalation_queue", "--data", str(SAMPLE), "--out", str(out), "--redact",
                 "-p", "ticket_id", TICKET]) == 0
    accounts = set(pd.read_csv(SAMPLE / "accounts.csv", dtype=str, keep_default_na=False)["account_id"])
    tickets = set(pd.read_csv(SAMPLE / "escalations.csv", dtype=str, keep_default_na=False)["ticket_id"])
    outputs = {path.name: path.read_text(encoding="utf-8", errors="replace")
               for path in out.rglob("*") if path.is_file()}
    assert {"escalation_queue.ipynb", "escalation_queue.html", "run.json"} <= set(outputs)
    for name, text in outputs.items():
        leaked_tickets = set(re.findall(r"ESC-\d{6}", text)) & tickets
        leaked_accounts = set(re.findall(r"(?<!\d)\d{19}(?!\d)", text)) & accounts
        # Counts only: the ids themselves must not land in CI logs.
        assert not leaked_tickets and not leaked_accounts, (name, len(leaked_tickets), len(leaked_accounts))
    # The draft reply is about the requested ticket, under its pseudonym.
    pseudonym = Pseudonymiser.from_env().pseudonym(TICKET, kind="ticket")
    report = outputs["escalation_queue.html"]
    assert f"Update on your escalation {pseudonym}" in report
    assert "from accounts that acted together" in report  # the brigade finding survives redaction
