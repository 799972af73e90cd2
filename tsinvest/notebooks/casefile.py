"""A case file: everything an escalation specialist checks about one account.

:func:`case_file` takes the canonical tables and a ticket id or an account id
and returns a :class:`CaseFile`: profile, activity timeline, reports received
and made, enforcement history, linked accounts (shared devices/IPs and, when a
detection result is given, coordination edges and cluster membership), related
escalations, a summary table and recommended next steps. The notebook
``case_file.ipynb`` only displays it; tests call it directly.

All the table work is DuckDB SQL over the frames; only rows up to ``as_of`` are
considered, so a case re-opened later reads the same.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.loading.timestamps import utc_bound
from tsinvest.plotting import safe_label

if TYPE_CHECKING:
    import duckdb
    from matplotlib.figure import Figure

    from tsinvest.detection import DetectionResult

__all__ = ["BrigadeRule", "Verdict", "CaseFile", "case_file", "check_case_ids", "preflight"]

_REPORT_COLUMNS = ["report_id", "reporter_id", "target_account_id", "target_content_id", "policy", "ts"]


@dataclass(frozen=True)
class BrigadeRule:
    """When the reports an account received count as a mass-report brigade.

    The rule fires when the reports filed by accounts of flagged clusters
    ("flagged reports") are either

    * at least ``majority_share`` of all reports received, or
    * at least ``min_count`` reports *and* at least ``min_share`` of them.

    Attributes
    ----------
    majority_share : float, default 0.5
        Share of flagged reports that is enough alone: most of what the
        account received comes from coordinated reporters.
    min_count : int, default 20
        Absolute number of flagged reports that, with ``min_share``, fires
        the rule for a popular account whose organic reports dilute the share.
    min_share : float, default 0.15
        Least share needed with ``min_count``, so that a handful of flagged
        reporters among thousands of organic reports does not fire.

    Notes
    -----
    Why both a share and a count: a popular creator receives organic reports
    in proportion to reach, so the brigade's share shrinks as the victim's
    audience grows. On the sample, 85 of the 193 reports against the top
    creator of ticket ESC-504485 come from flagged reporters (44 %): a
    share-only rule at 50 % advises the opposite of the truth. Twenty reports
    from flagged clusters are far beyond what chance membership gives
    (accounts of flagged clusters are under 6 % of the sample's reporters), and 15 % keeps
    one flagged farm's stray reports among thousands from deciding a case.
    How sure: "high" when both conditions hold (majority share and at least
    ``min_count``), "medium" when one does.

    Examples
    --------
    >>> rule = BrigadeRule()
    >>> rule.fires(85, 193), rule.fires(3, 5), rule.fires(25, 1000), rule.confidence(120, 193)
    (True, True, False, 'high')
    >>> BrigadeRule(min_count=100).fires(85, 193)
    False
    """

    majority_share: float = 0.5
    min_count: int = 20
    min_share: float = 0.15

    def __post_init__(self) -> None:
        if not (0.0 < self.majority_share <= 1.0 and 0.0 <= self.min_share <= 1.0):
            raise ParameterError("BrigadeRule: majority_share must be in (0, 1] and min_share in [0, 1]")
        if self.min_count < 1:
            raise ParameterError("BrigadeRule: min_count must be at least 1")

    def fires(self, flagged_reports: int, total_reports: int) -> bool:
        """Whether ``flagged_reports`` of ``total_reports`` look like a brigade."""
        if flagged_reports <= 0 or total_reports <= 0:
            return False
        share = flagged_reports / total_reports
        return share >= self.majority_share or (flagged_reports >= self.min_count and share >= self.min_share)

    def confidence(self, flagged_reports: int, total_reports: int) -> str:
        """``high`` when both the share and the count conditions hold, ``medium`` when one does, else ``none``."""
        if not self.fires(flagged_reports, total_reports):
            return "none"
        both = flagged_reports / total_reports >= self.majority_share and flagged_reports >= self.min_count
        return "high" if both else "medium"


@dataclass(frozen=True)
class Verdict:
    """The three lines a case file opens with.

    Attributes
    ----------
    found : str
        What we found, in one or two sentences.
    action : str
        What to do first.
    confidence : {"high", "medium", "low"}
        How sure, with ``reason`` saying why.
    reason : str
        What the confidence rests on.
    """

    found: str
    action: str
    confidence: str
    reason: str

    def frame(self) -> pd.DataFrame:
        """The verdict as a two-column table (``item, value``)."""
        return pd.DataFrame(
            {"item": pd.array(["What we found", "What to do", "How sure"], dtype="string"),
             "value": pd.array([self.found, self.action, f"{self.confidence}: {self.reason}"], dtype="string")}
        )

    def __repr__(self) -> str:
        return f"What we found: {self.found}\nWhat to do: {self.action}\nHow sure: {self.confidence}: {self.reason}"


@dataclass(frozen=True)
class CaseFile:
    """What :func:`case_file` found about one account.

    Attributes
    ----------
    account_id : str
        The subject account.
    ticket_id : str or None
        The ticket the case was opened from, if any.
    as_of : pandas.Timestamp
        Reference time; nothing later was read.
    profile : DataFrame
        One row from ``accounts`` plus ``account_age_days`` at ``as_of``
        (empty when the account is not in the accounts table).
    timeline : DataFrame
        ``day, activity, count``: daily counts of the account's events (by
        action), logins, reports made and received, enforcements; sorted.
    reports_received, reports_made : DataFrame
        Reports about / filed by the account, sorted by time then report id.
    enforcements : DataFrame
        Enforcement actions on the account, sorted by time.
    linked_accounts : DataFrame
        ``account_id, username, shared_devices, shared_ips, coordination_weight,
        signals, same_cluster``, sorted by link strength desc then id.
    clusters : DataFrame
        Flagged clusters the account belongs to (from the detection result).
    related_escalations : DataFrame
        Tickets on the account, linked accounts or cluster members, with the
        ``relation``; sorted by opened time then ticket id.
    summary : DataFrame
        ``item, value`` rows an investigator pastes into the ticket.
    verdict : Verdict
        What we found, what to do, how sure: the block the case opens with.
    ticket : DataFrame
        ``item, value``: the ticket's own facts (channel, requester when the
        column exists, policy, priority, status, opened, due and time left or
        overdue at ``as_of``, summary). Empty without a ticket.
    reporter_clusters : DataFrame
        Reports received broken down by the reporter's cluster:
        ``reporter_cluster, kind, flagged, reporters, reports, share``
        (``reporter_cluster`` is ``(no cluster)`` for unclustered reporters),
        most reports first.
    ban_evasion : DataFrame
        Same-operator links between the subject and an account enforced
        (banned or suspended) before the other was created:
        ``enforced_account, new_account, subject_role, match_probability`` and
        the comparisons that agreed; strongest first.
    next_steps : tuple of str
        Recommended next steps, most important first.
    """

    account_id: str
    ticket_id: str | None
    as_of: pd.Timestamp
    profile: pd.DataFrame
    timeline: pd.DataFrame
    reports_received: pd.DataFrame
    reports_made: pd.DataFrame
    enforcements: pd.DataFrame
    linked_accounts: pd.DataFrame
    clusters: pd.DataFrame
    related_escalations: pd.DataFrame
    summary: pd.DataFrame
    verdict: Verdict
    ticket: pd.DataFrame
    reporter_clusters: pd.DataFrame
    ban_evasion: pd.DataFrame
    next_steps: tuple[str, ...] = field(default_factory=tuple)

    def verdict_frame(self) -> pd.DataFrame:
        """The verdict as an ``item, value`` table (see :class:`Verdict`)."""
        return self.verdict.frame()

    def next_steps_frame(self) -> pd.DataFrame:
        """The next steps as a numbered table."""
        return pd.DataFrame(
            {"step": pd.array(range(1, len(self.next_steps) + 1), dtype="Int64"),
             "recommendation": pd.array(list(self.next_steps), dtype="string")}
        )

    def plot_timeline(self) -> Figure:
        """Stacked daily activity bars (a matplotlib Figure, not attached to pyplot).

        The x axis is calendar time, so quiet days show as gaps; the y axis
        has integer ticks; the legend lists every activity.
        """
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        figure = Figure(figsize=(9, 3.2))
        axes = figure.add_subplot()
        if self.timeline.empty:
            axes.text(0.5, 0.5, "no activity up to as_of", ha="center", va="center")
            axes.set_axis_off()
            return figure
        wide = self.timeline.pivot_table(index="day", columns="activity", values="count", aggfunc="sum", fill_value=0)
        wide.index = pd.to_datetime(wide.index)
        # Every calendar day between the first and the last activity, so gaps stay visible.
        wide = wide.reindex(pd.date_range(wide.index.min(), wide.index.max(), freq="D"), fill_value=0)
        bottom = None
        for activity in sorted(wide.columns):
            values = wide[activity].to_numpy()
            # Activity names come from the data: safe_label keeps mathtext from parsing them.
            axes.bar(wide.index, values, width=0.8, bottom=bottom, label=safe_label(activity, max_chars=None))
            bottom = values if bottom is None else bottom + values
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel("count per day")
        axes.set_xlabel("day (UTC)")
        axes.set_title("Activity of the subject account (UTC days)")
        axes.legend(fontsize=7, ncols=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        figure.autofmt_xdate()
        figure.tight_layout()
        return figure

    def _repr_html_(self) -> str:
        # Every value goes through safe_table_html (escaped, hidden characters visible):
        # the ticket summary and usernames are written by outsiders.
        from tsinvest.reporting import safe_table_html

        parts = [safe_table_html(self.verdict_frame(), caption="Verdict")]
        if len(self.ticket):
            parts.append(safe_table_html(self.ticket, caption="Ticket"))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return (
            repr(self.verdict) + "\n"
            f"(reports_received={len(self.reports_received)}, reports_made={len(self.reports_made)}, "
            f"enforcements={len(self.enforcements)}, linked_accounts={len(self.linked_accounts)}, "
            f"clusters={len(self.clusters)}, related_escalations={len(self.related_escalations)})"
        )


def _string_ids(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    for column in columns:
        if column in frame.columns:
            frame[column] = frame[column].astype("string")
    return frame


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.array([], dtype="string") for column in columns})


def case_file(
    tables: Mapping[str, pd.DataFrame],
    *,
    ticket_id: str | None = None,
    account_id: str | None = None,
    as_of: str | pd.Timestamp,
    detection: DetectionResult | None = None,
    max_sharing: int = 50,
    brigade_rule: BrigadeRule | None = None,
    check_ban_evasion: bool = True,
) -> CaseFile:
    """Gather the case file of one account, from a ticket id or an account id.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Canonical tables, as returned by :func:`tsinvest.loading.load_dir`.
        ``accounts`` is needed; the others are used when present.
    ticket_id : str, optional
        An escalation ticket; its ``subject_account_id`` is the subject.
    account_id : str, optional
        The subject account (when no ticket, or to check the ticket's subject).
    as_of : str or Timestamp
        Reference time; later rows are ignored.
    detection : DetectionResult, optional
        Output of :func:`tsinvest.detect.detect`; adds coordination edges,
        cluster membership and cluster-mates' escalations.
    max_sharing : int
        A device or IP used by more accounts than this is ignored as a link:
        carrier NAT addresses and shared kiosks link strangers.
    brigade_rule : BrigadeRule, optional
        When reports from flagged reporters make a brigade (default
        :class:`BrigadeRule` ``()``: half of the reports, or 20 reports and 15 %).
    check_ban_evasion : bool, default True
        Look for same-operator links between the subject and enforced
        accounts (:func:`tsinvest.linking.same_operator.same_operator_links`);
        needs ``logins`` with ``device_id`` and ``ip``.

    Returns
    -------
    CaseFile

    Raises
    ------
    ParameterError
        Neither id given, the ticket is unknown, or the ticket's subject is not
        ``account_id``.

    Notes
    -----
    Linked accounts come from one DuckDB join of the subject's devices and IPs
    against all logins (cost linear in the logins table), never from a loop
    over account pairs. The reporter breakdown is one join of the subject's
    reports with the detection memberships (linear in both). The ban-evasion
    check scores the blocked candidate pairs of the whole population (bounded
    by the hub caps of :func:`~tsinvest.linking.same_operator.same_operator_links`,
    a second or two on the sample) because its u probabilities are estimated
    from random pairs of all accounts; only the subject's links are kept.

    Examples
    --------
    >>> import pandas as pd
    >>> t = lambda *s: pd.to_datetime(list(s), utc=True)
    >>> tables = {
    ...     "accounts": pd.DataFrame({"account_id": ["00123", "00456"], "username": ["a", "b"],
    ...                               "created_at": t("2026-01-01", "2026-02-01")}),
    ...     "logins": pd.DataFrame({"account_id": ["00123", "00456"], "device_id": ["d1", "d1"],
    ...                             "ts": t("2026-03-02", "2026-03-03")}),
    ... }
    >>> case = case_file(tables, account_id="00123", as_of="2026-03-30T00:00:00Z")
    >>> case.linked_accounts[["account_id", "shared_devices"]].to_dict("records")
    [{'account_id': '00456', 'shared_devices': 1}]
    """
    if ticket_id is None and account_id is None:
        raise ParameterError("give ticket_id or account_id to open a case file")
    if "accounts" not in tables:
        raise ParameterError("tables must include 'accounts'; load the data folder with load_dir")
    as_of = utc_bound(as_of, name="as_of", required=True)
    brigade_rule = BrigadeRule() if brigade_rule is None else brigade_rule
    with _CaseTables(tables) as db:
        ticket, subject = _find_subject(db, ticket_id, account_id)
        profile = _string_ids(db.query(
            "SELECT *, date_diff('day', created_at, ?::TIMESTAMPTZ) AS account_age_days "
            "FROM accounts WHERE account_id = ?",
            [as_of, subject],
        ), ("account_id",))
        timeline = _timeline(db, subject, as_of)
        reports_received, reports_made = _reports(db, subject, as_of)
        enforcements = _enforcements(db, subject, as_of)
        clusters = _subject_clusters(detection, subject)
        mates = _cluster_members(detection, clusters) - {subject}
        linked = _linked_accounts(db, subject, as_of, max_sharing=max_sharing, detection=detection, mates=mates)
        related = _related_escalations(db, subject, as_of)
        reporter_clusters = _reporter_clusters(db.connection, reports_received, detection)
    evasion = _ban_evasion(tables, subject, as_of) if check_ban_evasion else _empty_evasion()
    facts = _CaseFacts(subject=subject, ticket=ticket, profile=profile, timeline=timeline,
                       reports_received=reports_received, reports_made=reports_made, enforcements=enforcements,
                       linked=linked, clusters=clusters, related=related, reporter_clusters=reporter_clusters,
                       ban_evasion=evasion, as_of=as_of)
    summary, steps, verdict = _summarise(facts, brigade_rule)
    return CaseFile(
        account_id=subject,
        ticket_id=None if ticket_id is None else str(ticket_id),
        as_of=as_of,
        profile=profile,
        timeline=timeline,
        reports_received=reports_received,
        reports_made=reports_made,
        enforcements=enforcements,
        linked_accounts=linked,
        clusters=clusters,
        related_escalations=related,
        summary=summary,
        verdict=verdict,
        ticket=_ticket_facts(ticket, as_of),
        reporter_clusters=reporter_clusters,
        ban_evasion=evasion,
        next_steps=tuple(steps),
    )


class _CaseTables:
    """The canonical tables registered on one DuckDB connection (UTC), closed on leaving the ``with``."""

    def __init__(self, tables: Mapping[str, pd.DataFrame]):
        import duckdb

        self.tables = tables
        self.connection = duckdb.connect()
        self.connection.execute("SET TimeZone = 'UTC'")
        for name, frame in tables.items():
            self.connection.register(name, frame)

    def __enter__(self) -> _CaseTables:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.connection.close()

    def has(self, *names: str) -> bool:
        return all(name in self.tables for name in names)

    def query(self, sql: str, parameters: list | dict | None = None) -> pd.DataFrame:
        return self.connection.execute(sql, parameters or []).df()


def _find_subject(db: _CaseTables, ticket_id: str | None, account_id: str | None) -> tuple[pd.Series | None, str]:
    """The ticket (when given) and the subject account; a wrong id fails with the reason."""
    if ticket_id is None:
        return None, str(account_id)
    if not db.has("escalations"):
        raise ParameterError("ticket_id needs the escalations table; load it or give account_id")
    found = db.query("SELECT * FROM escalations WHERE ticket_id = ?", [str(ticket_id)])
    if found.empty:
        raise ParameterError("ticket_id was not found in the escalations table; check the id (ids are exact strings)")
    ticket = found.iloc[0]
    subject = str(ticket["subject_account_id"])
    if account_id is not None and str(account_id) != subject:
        raise ParameterError("account_id is not the subject of ticket_id; give one of them")
    return ticket, subject


def _timeline(db: _CaseTables, subject: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Activity per day and kind (events, logins, reports made and received, enforcements)."""
    day = "strftime(ts, '%Y-%m-%d')"
    sources = [
        ("events", f"SELECT {day} AS day, 'event: ' || action AS activity FROM events "
                   "WHERE account_id = ? AND ts <= ?"),
        ("logins", f"SELECT {day} AS day, 'login' AS activity FROM logins WHERE account_id = ? AND ts <= ?"),
        ("reports", f"SELECT {day} AS day, 'report made' AS activity FROM reports WHERE reporter_id = ? AND ts <= ?"),
        ("reports", f"SELECT {day} AS day, 'report received' AS activity FROM reports "
                    "WHERE target_account_id = ? AND ts <= ?"),
        ("enforcements", f"SELECT {day} AS day, 'enforcement: ' || action AS activity FROM enforcements "
                         "WHERE account_id = ? AND ts <= ?"),
    ]
    parts = [sql for table, sql in sources if db.has(table)]
    if not parts:
        timeline = pd.DataFrame({"day": pd.array([], dtype="string"), "activity": pd.array([], dtype="string"),
                                 "count": pd.array([], dtype="int64")})
    else:
        timeline = db.query(
            "SELECT day, activity, count(*)::BIGINT AS count FROM (" + " UNION ALL ".join(parts) + ") "
            "GROUP BY ALL ORDER BY day, activity",
            [subject, as_of] * len(parts),
        )
    return _string_ids(timeline, ("day", "activity"))


def _reports(db: _CaseTables, subject: str, as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reports the subject received and made up to ``as_of``, in time order."""
    if db.has("reports"):
        select = ", ".join(column for column in _REPORT_COLUMNS if column in db.tables["reports"].columns)
        received = db.query(
            f"SELECT {select} FROM reports WHERE target_account_id = ? AND ts <= ? ORDER BY ts, report_id",
            [subject, as_of],
        )
        made = db.query(
            f"SELECT {select} FROM reports WHERE reporter_id = ? AND ts <= ? ORDER BY ts, report_id",
            [subject, as_of],
        )
    else:
        received = made = _empty(_REPORT_COLUMNS)
    id_columns = ("report_id", "reporter_id", "target_account_id", "target_content_id")
    return _string_ids(received, id_columns), _string_ids(made, id_columns)


def _enforcements(db: _CaseTables, subject: str, as_of: pd.Timestamp) -> pd.DataFrame:
    if db.has("enforcements"):
        enforcements = db.query(
            "SELECT * FROM enforcements WHERE account_id = ? AND ts <= ? ORDER BY ts, action, policy",
            [subject, as_of],
        )
    else:
        enforcements = _empty(["account_id", "action", "policy", "ts"])
    return _string_ids(enforcements, ("account_id", "content_id"))


def _shared_links(db: _CaseTables, subject: str, as_of: pd.Timestamp, max_sharing: int) -> pd.DataFrame:
    """Accounts sharing a device or IP with the subject (values used by at most ``max_sharing`` accounts)."""
    columns = db.tables["logins"].columns if db.has("logins") else []
    kinds = [(kind, column) for kind, column in (("device", "device_id"), ("ip", "ip")) if column in columns]
    if not kinds:
        return pd.DataFrame({"account_id": pd.array([], dtype="string"),
                             "shared_devices": pd.array([], dtype="int64"),
                             "shared_ips": pd.array([], dtype="int64")})
    users = " UNION ".join(
        f"SELECT '{kind}' AS kind, {column} AS value, account_id FROM logins "
        f"WHERE {column} IS NOT NULL AND ts <= $as_of"
        for kind, column in kinds
    )
    shared = db.query(
        f"""
        WITH users AS ({users}),
        mine AS (SELECT DISTINCT kind, value FROM users WHERE account_id = $subject),
        sharing AS (
            SELECT u.kind, u.value, u.account_id,
                   count(*) OVER (PARTITION BY u.kind, u.value) AS accounts_on_value
            FROM users u JOIN mine USING (kind, value)
        )
        SELECT account_id,
               count(*) FILTER (WHERE kind = 'device')::BIGINT AS shared_devices,
               count(*) FILTER (WHERE kind = 'ip')::BIGINT AS shared_ips
        FROM sharing
        WHERE account_id <> $subject AND accounts_on_value <= $max_sharing
        GROUP BY account_id
        """,
        {"as_of": as_of, "subject": subject, "max_sharing": int(max_sharing)},
    )
    return _string_ids(shared, ("account_id",))


def _coordination_links(db: _CaseTables, subject: str, detection: DetectionResult | None) -> pd.DataFrame:
    """The subject's coordination edges from detection, summed per other account."""
    if detection is None or not len(detection.edges):
        return pd.DataFrame({"account_id": pd.array([], dtype="string"),
                             "coordination_weight": pd.array([], dtype="float64"),
                             "signals": pd.array([], dtype="string")})
    db.connection.register("detection_edges", detection.edges)
    coordination = db.query(
        """
        SELECT CASE WHEN account_a = $subject THEN account_b ELSE account_a END AS account_id,
               sum(weight)::DOUBLE AS coordination_weight,
               string_agg(DISTINCT signal, ', ' ORDER BY signal) AS signals
        FROM detection_edges
        WHERE account_a = $subject OR account_b = $subject
        GROUP BY ALL
        """,
        {"subject": subject},
    )
    return _string_ids(coordination, ("account_id",))


def _linked_accounts(db: _CaseTables, subject: str, as_of: pd.Timestamp, *, max_sharing: int,
                     detection: DetectionResult | None, mates: set[str]) -> pd.DataFrame:
    """Accounts linked by devices/IPs or coordination; registers the link tables for the escalations query."""
    db.connection.register("shared_links", _shared_links(db, subject, as_of, max_sharing))
    db.connection.register("coordination_links", _coordination_links(db, subject, detection))
    db.connection.register("cluster_mates", pd.DataFrame({"account_id": pd.array(sorted(mates), dtype="string")}))
    linked = db.query(
        """
        WITH ids AS (SELECT account_id FROM shared_links UNION SELECT account_id FROM coordination_links)
        SELECT ids.account_id, accounts.username,
               coalesce(s.shared_devices, 0)::BIGINT AS shared_devices,
               coalesce(s.shared_ips, 0)::BIGINT AS shared_ips,
               round(coalesce(c.coordination_weight, 0), 3) AS coordination_weight,
               coalesce(c.signals, '') AS signals,
               ids.account_id IN (SELECT account_id FROM cluster_mates) AS same_cluster
        FROM ids
        LEFT JOIN shared_links s USING (account_id)
        LEFT JOIN coordination_links c USING (account_id)
        LEFT JOIN accounts USING (account_id)
        ORDER BY shared_devices + coordination_weight DESC, shared_devices DESC, shared_ips DESC, ids.account_id
        """
    )
    return _string_ids(linked, ("account_id", "username", "signals"))


def _related_escalations(db: _CaseTables, subject: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Tickets about the subject, its cluster-mates or linked accounts (needs :func:`_linked_accounts` first)."""
    if not db.has("escalations"):
        return _empty(["ticket_id", "subject_account_id", "relation", "channel", "policy", "priority", "opened_at",
                       "status"])
    related = db.query(
        """
        WITH relations AS (
            SELECT ?::VARCHAR AS account_id, 'subject' AS relation, 0 AS rank
            UNION ALL SELECT account_id, 'cluster member', 1 FROM cluster_mates
            UNION ALL SELECT account_id, 'linked account', 2 FROM shared_links
            UNION ALL SELECT account_id, 'linked account', 2 FROM coordination_links
        ),
        closest AS (SELECT account_id, arg_min(relation, rank) AS relation FROM relations GROUP BY account_id)
        SELECT e.ticket_id, e.subject_account_id, closest.relation, e.channel, e.policy, e.priority,
               e.opened_at, e.status
        FROM escalations e JOIN closest ON e.subject_account_id = closest.account_id
        WHERE e.opened_at <= ?
        ORDER BY e.opened_at, e.ticket_id
        """,
        [subject, as_of],
    )
    return _string_ids(related, ("ticket_id", "subject_account_id"))


def check_case_ids(
    data_dir: str | os.PathLike,
    *,
    ticket_id: str | None = None,
    account_id: str | None = None,
    as_of: str | pd.Timestamp | None = None,
) -> str:
    """Check the ids of a case against a data folder, reading only ``escalations`` and ``accounts``.

    Meant to run before any heavy work (detection takes tens of seconds), so a
    mistyped id fails in a second with the reason.

    Parameters
    ----------
    data_dir : path
        Folder of canonical tables.
    ticket_id, account_id : str, optional
        As in :func:`case_file`; at least one.
    as_of : str or Timestamp, optional
        Checked to be a time when given.

    Returns
    -------
    str
        The subject account id.

    Raises
    ------
    ParameterError
        Neither id given, the folder or the table is missing, the ticket or the
        account is unknown, or the ticket's subject is not ``account_id``.
        The message names the parameter, never the id.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.mkdtemp()
    >>> _ = (Path(folder) / "accounts.csv").write_text(
    ...     "account_id,created_at,username\\n00123,2026-01-01T00:00:00Z,a\\n")
    >>> check_case_ids(folder, account_id="00123")
    '00123'
    >>> check_case_ids(folder, account_id="123")
    Traceback (most recent call last):
    ...
    tsinvest.exceptions.ParameterError: account_id was not found in the accounts table of data_dir; check the id ...
    """
    from tsinvest.loading import find_table_files, load_table

    if ticket_id is None and account_id is None:
        raise ParameterError("give ticket_id or account_id to open a case file")
    if as_of is not None:
        utc_bound(as_of, name="as_of")
    folder = Path(data_dir)
    if not folder.is_dir():
        raise ParameterError("data_dir is not a folder; pass the folder of canonical tables with --data")
    files = find_table_files(folder)
    subject = None if account_id is None else str(account_id)
    if ticket_id is not None:
        if "escalations" not in files:
            raise ParameterError("ticket_id needs the escalations table, and data_dir has none; "
                                 "give account_id instead")
        escalations = load_table(files["escalations"], "escalations")
        found = escalations[escalations["ticket_id"].astype(str) == str(ticket_id)]
        if found.empty:
            raise ParameterError("ticket_id was not found in the escalations table; "
                                 "check the id (ids are exact strings)")
        ticket_subject = str(found["subject_account_id"].iloc[0])
        if subject is not None and subject != ticket_subject:
            raise ParameterError("account_id is not the subject of ticket_id; give one of them (set the other to None)")
        subject = ticket_subject
    if "accounts" not in files:
        raise ParameterError("data_dir has no accounts table; "
                             "a case file needs accounts.csv (or another accounts file)")
    if ticket_id is None:
        accounts = load_table(files["accounts"], "accounts")
        if not (accounts["account_id"].astype(str) == subject).any():
            raise ParameterError("account_id was not found in the accounts table of data_dir; "
                                 "check the id (ids are exact strings, leading zeros count)")
    return str(subject)


def preflight(notebook: str, parameters: Mapping[str, object], defaults: Mapping[str, str] | None = None) -> None:
    """Cheap checks of a notebook's parameters before it runs (a no-op for notebooks without checks).

    ``tsinvest run`` calls it with the values given on the command line and
    the notebook's declared defaults (source text), so ``case_file`` with a
    wrong id fails in a second instead of after detection.

    Parameters
    ----------
    notebook : str
        Catalogue name (``"case_file"``).
    parameters : mapping
        Values set for this run.
    defaults : mapping of str to str, optional
        Declared defaults as source text, used for parameters not set.

    Examples
    --------
    >>> preflight("coordinated_abuse", {"data_dir": "nowhere"})
    >>> preflight("case_file", {"data_dir": "nowhere", "ticket_id": None, "account_id": None})
    Traceback (most recent call last):
    ...
    tsinvest.exceptions.ParameterError: give ticket_id or account_id to open a case file
    """
    if notebook != "case_file":
        return
    values: dict[str, object] = {}
    for name, text in (defaults or {}).items():
        try:
            values[name] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            continue
    values.update(parameters)
    data_dir = values.get("data_dir")
    if not isinstance(data_dir, str | os.PathLike):
        return
    check_case_ids(data_dir, ticket_id=_optional_text(values.get("ticket_id")),
                   account_id=_optional_text(values.get("account_id")), as_of=_optional_text(values.get("as_of")))


def _optional_text(value: object) -> str | None:
    return None if value is None else str(value)


def _subject_clusters(detection: DetectionResult | None, subject: str) -> pd.DataFrame:
    """Clusters (from ``detection.clusters``) the subject is a member of, flagged first, by score."""
    columns = ["cluster_id", "kind", "size", "score", "flagged", "explanation"]
    if detection is None or len(detection.memberships) == 0:
        return pd.DataFrame({"cluster_id": pd.array([], dtype="string")})
    memberships, clusters = detection.memberships, detection.clusters
    ids = set(memberships.loc[memberships["account_id"].astype(str) == subject, "cluster_id"].astype(str))
    chosen = clusters[clusters["cluster_id"].astype(str).isin(ids)]
    chosen = chosen.sort_values(["flagged", "score", "cluster_id"], ascending=[False, False, True], kind="mergesort")
    chosen = chosen[[column for column in columns if column in chosen.columns]].reset_index(drop=True)
    if "score" in chosen.columns:
        chosen["score"] = chosen["score"].astype(float).round(3)
    return chosen


def _cluster_members(detection: DetectionResult | None, chosen: pd.DataFrame) -> set[str]:
    if detection is None or chosen.empty:
        return set()
    memberships = detection.memberships
    rows = memberships[memberships["cluster_id"].astype(str).isin(chosen["cluster_id"].astype(str))]
    return set(rows["account_id"].astype(str))


_NO_CLUSTER = "(no cluster)"
_CLOSED_STATUSES = ("closed", "resolved")


def _reporter_clusters(connection: duckdb.DuckDBPyConnection, reports_received: pd.DataFrame,
                       detection: DetectionResult | None) -> pd.DataFrame:
    """Reports received grouped by the reporter's cluster (flagged membership first, then score, then id)."""
    columns = {"reporter_cluster": "string", "kind": "string", "flagged": "bool", "reporters": "int64",
               "reports": "int64", "share": "float64"}
    if reports_received.empty:
        return pd.DataFrame({name: pd.array([], dtype=dtype) for name, dtype in columns.items()})
    memberships = None if detection is None else detection.memberships
    if memberships is None or len(memberships) == 0:
        memberships = pd.DataFrame({"account_id": pd.array([], dtype="string"),
                                    "cluster_id": pd.array([], dtype="string"),
                                    "kind": pd.array([], dtype="string"), "score": pd.array([], dtype="float64"),
                                    "flagged": pd.array([], dtype="bool")})
    members = memberships[["account_id", "cluster_id", "kind", "score", "flagged"]].copy()
    members["account_id"] = members["account_id"].astype("string")
    members["cluster_id"] = members["cluster_id"].astype("string")
    members["flagged"] = members["flagged"].astype(bool)
    connection.register("case_members", members)
    connection.register("case_received", reports_received[["report_id", "reporter_id"]])
    table = connection.execute(
        f"""
        WITH ranked AS (
            SELECT account_id, cluster_id, kind, flagged,
                   row_number() OVER (PARTITION BY account_id ORDER BY flagged DESC, score DESC, cluster_id) AS position
            FROM case_members
            WHERE account_id IN (SELECT reporter_id FROM case_received)
        ),
        primary_cluster AS (SELECT * FROM ranked WHERE position = 1)
        SELECT coalesce(p.cluster_id, '{_NO_CLUSTER}') AS reporter_cluster, p.kind,
               coalesce(p.flagged, false) AS flagged,
               count(DISTINCT r.reporter_id)::BIGINT AS reporters, count(*)::BIGINT AS reports,
               round(count(*) / (SELECT count(*) FROM case_received), 3)::DOUBLE AS share
        FROM case_received r LEFT JOIN primary_cluster p ON r.reporter_id = p.account_id
        GROUP BY ALL
        ORDER BY reports DESC, flagged DESC, reporter_cluster
        """
    ).df()
    return _string_ids(table, ("reporter_cluster", "kind"))


def _hours(delta: pd.Timedelta) -> str:
    hours = delta / pd.Timedelta(hours=1)
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.1f} days"


def _ticket_facts(ticket: pd.Series | None, as_of: pd.Timestamp) -> pd.DataFrame:
    """The ticket's own facts, in the order a specialist reads them."""
    if ticket is None:
        return pd.DataFrame({"item": pd.array([], dtype="string"), "value": pd.array([], dtype="string")})

    def text(name: str) -> str | None:
        if name not in ticket.index or pd.isna(ticket[name]):
            return None
        value = ticket[name]
        if isinstance(value, pd.Timestamp):
            if value.tzinfo:
                return value.tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")
            return value.strftime("%Y-%m-%d %H:%M")
        return str(value)

    items = [("ticket", text("ticket_id")), ("channel", text("channel")), ("requester", text("requester")),
             ("policy", text("policy")), ("priority", text("priority")), ("severity", text("severity")),
             ("reach", text("reach")), ("status", text("status")), ("assignee", text("assignee")),
             ("opened", text("opened_at")), ("due", text("due_at"))]
    status = str(ticket.get("status", "")).lower()
    due = ticket.get("due_at")
    if status in _CLOSED_STATUSES:
        items.append(("due status", f"{status}"))
    elif due is not None and not pd.isna(due):
        left = pd.Timestamp(due) - as_of
        items.append(("due status", f"due in {_hours(left)} at as_of" if left >= pd.Timedelta(0)
                      else f"OVERDUE by {_hours(-left)} at as_of"))
    items.append(("summary", text("summary")))
    kept = [(item, value) for item, value in items if value is not None]
    return pd.DataFrame({"item": pd.array([item for item, _ in kept], dtype="string"),
                         "value": pd.array([value for _, value in kept], dtype="string")})


def _empty_evasion() -> pd.DataFrame:
    return pd.DataFrame({"enforced_account": pd.array([], dtype="string"),
                         "new_account": pd.array([], dtype="string"),
                         "subject_role": pd.array([], dtype="string"),
                         "match_probability": pd.array([], dtype="float64"),
                         "agreements": pd.array([], dtype="string")})


def _ban_evasion(tables: Mapping[str, pd.DataFrame], subject: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Ban-evasion candidate links of the subject, from the same-operator model over data up to ``as_of``."""
    from tsinvest.linking.same_operator import COMPARISONS, same_operator_links

    accounts, logins, enforcements = tables.get("accounts"), tables.get("logins"), tables.get("enforcements")
    needed_accounts = {"account_id", "created_at", "username"}
    needed_logins = {"account_id", "ts", "device_id", "ip"}
    if (accounts is None or logins is None or enforcements is None or enforcements.empty
            or not needed_accounts <= set(accounts.columns) or not needed_logins <= set(logins.columns)):
        return _empty_evasion()
    accounts = accounts[pd.to_datetime(accounts["created_at"], utc=True) <= as_of]
    if not (accounts["account_id"].astype(str) == subject).any():
        return _empty_evasion()
    links = same_operator_links(
        accounts,
        logins[logins["ts"] <= as_of],
        enforcements[enforcements["ts"] <= as_of],
        display_name="display_name" if "display_name" in accounts.columns else None,
    )
    mine = links[links["ban_evasion_candidate"] & ((links["account_a"] == subject) | (links["account_b"] == subject))]
    if mine.empty:
        return _empty_evasion()
    agreements = mine[list(COMPARISONS)].apply(
        lambda row: ", ".join(name.replace("_", " ") for name in COMPARISONS if row[name] == 1), axis=1)
    return pd.DataFrame({
        "enforced_account": mine["enforced_account"].astype("string").to_numpy(),
        "new_account": mine["new_account"].astype("string").to_numpy(),
        "subject_role": pd.array(["new account" if new == subject else "enforced account"
                                  for new in mine["new_account"]], dtype="string"),
        "match_probability": mine["match_probability"].round(3).to_numpy(),
        "agreements": pd.array(list(agreements), dtype="string"),
    }).reset_index(drop=True)


# (found, action, confidence, reason) of one finding; the first one found leads the verdict.
_Finding = tuple[str, str, str, str]


@dataclass(frozen=True)
class _CaseFacts:
    """The tables gathered about the subject, from which the summary, the steps and the verdict are written."""

    subject: str
    ticket: pd.Series | None
    profile: pd.DataFrame
    timeline: pd.DataFrame
    reports_received: pd.DataFrame
    reports_made: pd.DataFrame
    enforcements: pd.DataFrame
    linked: pd.DataFrame
    clusters: pd.DataFrame
    related: pd.DataFrame
    reporter_clusters: pd.DataFrame
    ban_evasion: pd.DataFrame
    as_of: pd.Timestamp

    @property
    def total(self) -> int:
        return len(self.reports_received)

    @property
    def flagged_rows(self) -> pd.DataFrame:
        """Rows of the reporter breakdown whose cluster is flagged."""
        rows = self.reporter_clusters
        return rows[rows["flagged"]] if len(rows) else rows

    @property
    def flagged_reports(self) -> int:
        return int(self.flagged_rows["reports"].sum()) if len(self.flagged_rows) else 0

    @property
    def flagged_reporters(self) -> int:
        return int(self.flagged_rows["reporters"].sum()) if len(self.flagged_rows) else 0

    @property
    def flagged_clusters(self) -> pd.DataFrame:
        """The subject's own flagged clusters."""
        clusters = self.clusters
        if len(clusters) and "flagged" in clusters.columns:
            return clusters[clusters["flagged"].astype(bool)]
        return clusters


def _summarise(facts: _CaseFacts, brigade_rule: BrigadeRule) -> tuple[pd.DataFrame, list[str], Verdict]:
    items = _summary_items(facts)
    steps, findings = _findings(facts, brigade_rule)
    if findings:
        found = " ".join(finding[0] for finding in findings)
        _, action, confidence, reason = findings[0]
    else:
        found = (f"No coordination, ban-evasion or history signal: {facts.total} report(s) received, "
                 f"none from flagged clusters; the account is in no flagged cluster.")
        action = "Handle as a single-account case under normal policy: review the reported content itself."
        confidence = "low"
        reason = "absence of signals is not proof; detection covers co-actions, shared devices/IPs and copied text"
    verdict = Verdict(found=found, action=action, confidence=confidence, reason=reason)
    summary = pd.DataFrame(
        {"item": pd.array([item for item, _ in items], dtype="string"),
         "value": pd.array([value for _, value in items], dtype="string")}
    )
    return summary, steps, verdict


def _summary_items(facts: _CaseFacts) -> list[tuple[str, str]]:
    """The summary table's rows, in reading order."""
    items: list[tuple[str, str]] = []
    ticket, profile, timeline, total = facts.ticket, facts.profile, facts.timeline, facts.total
    if ticket is not None:
        items.append(("ticket", f"{ticket['ticket_id']} ({ticket['channel']}, {ticket['policy']}, "
                                f"priority {ticket['priority']}, {ticket['status']})"))
    if profile.empty:
        items.append(("profile", "account not in the accounts table"))
    else:
        row = profile.iloc[0]
        items.append(("account age (days)", str(int(row["account_age_days"]))))
        if "status" in profile.columns and not pd.isna(row["status"]):
            items.append(("account status", str(row["status"])))
        if "follower_count" in profile.columns and not pd.isna(row["follower_count"]):
            items.append(("followers", str(int(row["follower_count"]))))
    activity = int(timeline["count"].sum()) if len(timeline) else 0
    active_days = int(timeline["day"].nunique()) if len(timeline) else 0
    items.append(("activity records", f"{activity} over {active_days} day(s)"))
    reporters = int(facts.reports_received["reporter_id"].nunique()) if total else 0
    items.append(("reports received", f"{total} from {reporters} reporter(s)"))
    flagged_rows = facts.flagged_rows
    if total:
        share = facts.flagged_reports / total
        items.append(("reports from flagged clusters",
                      f"{facts.flagged_reports} of {total} ({share:.0%}) from {facts.flagged_reporters} reporter(s) "
                      f"in {len(flagged_rows)} flagged cluster(s)"))
        policies = facts.reports_received["policy"].value_counts()
        top = sorted(policies.items(), key=lambda item: (-item[1], str(item[0])))[0]
        items.append(("most reported policy", f"{top[0]} ({top[1]})"))
    items.append(("reports made", str(len(facts.reports_made))))
    items.append(("enforcements", str(len(facts.enforcements))))
    items.append(("linked accounts", str(len(facts.linked))))
    flagged_clusters = facts.flagged_clusters
    items.append(("flagged clusters of the account",
                  ", ".join(flagged_clusters["cluster_id"].astype(str)) if len(flagged_clusters) else "none"))
    items.append(("reporters' flagged clusters",
                  ", ".join(flagged_rows["reporter_cluster"].astype(str)) if len(flagged_rows) else "none"))
    items.append(("ban-evasion links", str(len(facts.ban_evasion))))
    items.append(("related escalations", str(len(facts.related))))
    return items


def _findings(facts: _CaseFacts, brigade_rule: BrigadeRule) -> tuple[list[str], list[_Finding]]:
    """Next steps and findings (most important first), each from one signal."""
    steps: list[str] = []
    findings: list[_Finding] = []
    brigade = brigade_rule.fires(facts.flagged_reports, facts.total)
    signals = (_brigade_signal(facts, brigade_rule) if brigade else _burst_signal(facts),
               _cluster_signal(facts), _evasion_signal(facts), _device_signal(facts), _history_signal(facts, brigade))
    for signal in signals:
        if signal is not None:
            step, finding = signal
            steps.append(step)
            if finding is not None:
                findings.append(finding)
    if len(facts.related) > (1 if facts.ticket is not None else 0):
        steps.append("Other escalations involve this account or its links: merge or cross-reference the tickets.")
    if not steps:
        steps.append("No coordination or history signals found: handle as a single-account case under normal policy.")
    steps.append("Attach the summary table and the provenance section to the ticket so the findings can be reproduced.")
    return steps, findings


def _brigade_signal(facts: _CaseFacts, brigade_rule: BrigadeRule) -> tuple[str, _Finding]:
    flagged_reports, total, flagged_reporters = facts.flagged_reports, facts.total, facts.flagged_reporters
    names = ", ".join(facts.flagged_rows["reporter_cluster"].astype(str).head(3))
    action = ("Do not enforce on these reports: protect the account (restore any automatic restriction it "
              "received from them) and review the reporting cluster(s) for a mass-report brigade.")
    step = (
        f"Do not enforce on reports alone: {flagged_reports} of {total} reports ({flagged_reports / total:.0%}) "
        f"come from {flagged_reporters} reporter(s) in flagged cluster(s) {names} (likely a mass-report brigade). "
        "Review the reporters' cluster instead."
    )
    return step, (
        f"The account is the target of a likely mass-report brigade: {flagged_reports} of its {total} reports "
        f"({flagged_reports / total:.0%}) come from {flagged_reporters} reporter(s) in flagged cluster(s) {names}.",
        action,
        brigade_rule.confidence(flagged_reports, total),
        f"brigade rule: {flagged_reports} flagged reports (threshold {brigade_rule.min_count} with at least "
        f"{brigade_rule.min_share:.0%}) and a share of {flagged_reports / total:.0%} (alone enough from "
        f"{brigade_rule.majority_share:.0%})",
    )


def _burst_signal(facts: _CaseFacts) -> tuple[str, _Finding] | None:
    """Half the reports or more within 6 hours, from reporters detection did not flag."""
    total = facts.total
    if total < 5:
        return None
    times = facts.reports_received["ts"].sort_values()
    # Share of all reports that fall in the busiest 6 hours: brigades file together.
    counts = times.searchsorted(times + pd.Timedelta(hours=6), side="right") - range(len(times))
    burst_share = float(max(counts)) / total
    if burst_share < 0.5:
        return None
    step = (f"{round(burst_share * 100)}% of the reports arrived within 6 hours: check the reporters for a "
            "coordinated mass-report before acting on the account.")
    return step, (
        f"{round(burst_share * 100)}% of the {total} reports arrived within 6 hours, "
        "but few come from flagged clusters.",
        "Check the reporters for a coordinated mass-report before acting on the account.",
        "low", "timing alone; detection did not flag the reporters",
    )


def _cluster_signal(facts: _CaseFacts) -> tuple[str, _Finding] | None:
    flagged_clusters, clusters = facts.flagged_clusters, facts.clusters
    if not len(flagged_clusters):
        return None
    first = flagged_clusters.iloc[0]
    size = f"{int(first['size'])} accounts, " if "size" in clusters.columns else ""
    score = f"score {float(first['score']):.2f}" if "score" in clusters.columns else "flagged"
    kind = f"{first['kind']} " if "kind" in clusters.columns else ""
    step = (f"The account is in flagged cluster {first['cluster_id']} ({size}{score}): review the cluster as a whole "
            "and consider network-level action rather than a single-account decision.")
    return step, (
        f"The account belongs to flagged {kind}cluster {first['cluster_id']} ({size}{score}).",
        "Review the cluster as a whole and consider network-level action rather than a single-account decision.",
        "high" if "score" in clusters.columns and float(first["score"]) >= 0.8 else "medium",
        f"detection flagged the cluster ({score}); see its explanation in the cluster table",
    )


def _evasion_signal(facts: _CaseFacts) -> tuple[str, _Finding] | None:
    evasion = facts.ban_evasion
    if not len(evasion):
        return None
    first = evasion.iloc[0]
    role = str(first["subject_role"])
    step = (
        f"Possible ban evasion: the account is the {role} of {len(evasion)} same-operator link(s) to an "
        f"account enforced before the other was created (match probability {float(first['match_probability']):.2f}). "
        "Check the linked account and apply the ban-evasion policy if confirmed."
    )
    return step, (
        f"Possible ban evasion: a same-operator link (probability {float(first['match_probability']):.2f}; "
        f"{first['agreements']}) ties the account, as {role}, to an account enforced before the other was created.",
        "Compare the two accounts and apply the ban-evasion policy if the same operator is confirmed.",
        "high" if float(first["match_probability"]) >= 0.9 else "medium",
        "same-operator model (shared device/IP, username template, creation time, display name)",
    )


def _device_signal(facts: _CaseFacts) -> tuple[str, _Finding] | None:
    linked = facts.linked
    heavy_devices = int((linked["shared_devices"] > 0).sum()) if len(linked) else 0
    if heavy_devices < 3:
        return None
    step = (f"Shares devices with {heavy_devices} other accounts: check them as a possible account farm "
            "(creation dates, usernames, login times).")
    return step, (f"The account shares devices with {heavy_devices} other accounts.",
                  "Check them as a possible account farm (creation dates, usernames, login times).",
                  "medium", "shared devices alone; families and shops share devices too")


def _history_signal(facts: _CaseFacts, brigade: bool) -> tuple[str, _Finding | None] | None:
    """Prior enforcements: strikes to weigh, unless a brigade may have caused them."""
    enforcements = facts.enforcements
    if not len(enforcements):
        return None
    last = enforcements.iloc[-1]
    history = (f"Prior enforcement history ({len(enforcements)} action(s), "
               f"latest: {last['action']} for {last['policy']}): ")
    if brigade:
        return (history + "check whether earlier actions were also triggered by the brigade before counting them as "
                "strikes."), None
    return history + "apply the repeat-offender policy if the new reports are confirmed.", (
        f"The account has {len(enforcements)} prior enforcement(s), latest {last['action']} for {last['policy']}.",
        "Review the reported content; apply the repeat-offender policy if the new reports are confirmed.",
        "medium", "enforcement history; the new reports are not yet confirmed",
    )
