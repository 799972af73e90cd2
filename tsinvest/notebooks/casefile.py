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

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from tsinvest.exceptions import ParameterError
from tsinvest.plotting import safe_label

__all__ = ["CaseFile", "case_file"]

_REPORT_COLUMNS = ["report_id", "reporter_id", "target_account_id", "target_content_id", "policy", "ts"]


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
    next_steps: tuple[str, ...] = field(default_factory=tuple)

    def next_steps_frame(self) -> pd.DataFrame:
        """The next steps as a numbered table."""
        return pd.DataFrame(
            {"step": pd.array(range(1, len(self.next_steps) + 1), dtype="Int64"),
             "recommendation": pd.array(list(self.next_steps), dtype="string")}
        )

    def plot_timeline(self):
        """Stacked daily activity bars (a matplotlib Figure, not attached to pyplot)."""
        from matplotlib.figure import Figure

        figure = Figure(figsize=(9, 3.2))
        axes = figure.add_subplot()
        if self.timeline.empty:
            axes.text(0.5, 0.5, "no activity up to as_of", ha="center", va="center")
            axes.set_axis_off()
            return figure
        wide = self.timeline.pivot_table(index="day", columns="activity", values="count", aggfunc="sum", fill_value=0)
        wide = wide.sort_index()
        bottom = None
        for activity in sorted(wide.columns):
            values = wide[activity].to_numpy()
            # Activity names come from the data: safe_label keeps mathtext from parsing them.
            axes.bar(range(len(wide)), values, bottom=bottom, label=safe_label(activity, max_chars=None))
            bottom = values if bottom is None else bottom + values
        step = max(1, len(wide) // 10)
        axes.set_xticks(range(0, len(wide), step), [str(day) for day in wide.index[::step]], rotation=45, ha="right")
        axes.set_ylabel("count per day")
        axes.set_title("Activity of the subject account (UTC days)")
        axes.legend(fontsize=7, ncols=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        figure.tight_layout()
        return figure

    def __repr__(self) -> str:
        return (
            f"CaseFile(reports_received={len(self.reports_received)}, reports_made={len(self.reports_made)}, "
            f"enforcements={len(self.enforcements)}, linked_accounts={len(self.linked_accounts)}, "
            f"clusters={len(self.clusters)}, related_escalations={len(self.related_escalations)})"
        )


def _as_utc(value: str | pd.Timestamp, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be an ISO 8601 time such as 2026-03-30T00:00:00Z") from None
    if pd.isna(stamp):
        raise ParameterError(f"{name} must be an ISO 8601 time such as 2026-03-30T00:00:00Z")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


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
    detection=None,
    max_sharing: int = 50,
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
    over account pairs.

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
    import duckdb

    if ticket_id is None and account_id is None:
        raise ParameterError("give ticket_id or account_id to open a case file")
    if "accounts" not in tables:
        raise ParameterError("tables must include 'accounts'; load the data folder with load_dir")
    as_of = _as_utc(as_of, "as_of")
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    for name, frame in tables.items():
        connection.register(name, frame)

    def has(*names: str) -> bool:
        return all(name in tables for name in names)

    def query(sql: str, parameters: list | None = None) -> pd.DataFrame:
        return connection.execute(sql, parameters or []).df()

    ticket = None
    if ticket_id is not None:
        if not has("escalations"):
            raise ParameterError("ticket_id needs the escalations table; load it or give account_id")
        found = query("SELECT * FROM escalations WHERE ticket_id = ?", [str(ticket_id)])
        if found.empty:
            raise ParameterError("ticket_id was not found in the escalations table; check the id (ids are exact strings)")
        ticket = found.iloc[0]
        subject = str(ticket["subject_account_id"])
        if account_id is not None and str(account_id) != subject:
            raise ParameterError("account_id is not the subject of ticket_id; give one of them")
    else:
        subject = str(account_id)

    # Profile ---------------------------------------------------------------
    profile = query(
        "SELECT *, date_diff('day', created_at, ?::TIMESTAMPTZ) AS account_age_days "
        "FROM accounts WHERE account_id = ?",
        [as_of, subject],
    )
    profile = _string_ids(profile, ("account_id",))

    # Timeline --------------------------------------------------------------
    parts, arguments = [], []
    day = "strftime(ts, '%Y-%m-%d')"
    if has("events"):
        parts.append(f"SELECT {day} AS day, 'event: ' || action AS activity FROM events WHERE account_id = ? AND ts <= ?")
        arguments += [subject, as_of]
    if has("logins"):
        parts.append(f"SELECT {day} AS day, 'login' AS activity FROM logins WHERE account_id = ? AND ts <= ?")
        arguments += [subject, as_of]
    if has("reports"):
        parts.append(f"SELECT {day} AS day, 'report made' AS activity FROM reports WHERE reporter_id = ? AND ts <= ?")
        parts.append(f"SELECT {day} AS day, 'report received' AS activity FROM reports WHERE target_account_id = ? AND ts <= ?")
        arguments += [subject, as_of, subject, as_of]
    if has("enforcements"):
        parts.append(f"SELECT {day} AS day, 'enforcement: ' || action AS activity FROM enforcements WHERE account_id = ? AND ts <= ?")
        arguments += [subject, as_of]
    if parts:
        timeline = query(
            "SELECT day, activity, count(*)::BIGINT AS count FROM (" + " UNION ALL ".join(parts) + ") "
            "GROUP BY ALL ORDER BY day, activity",
            arguments,
        )
    else:
        timeline = pd.DataFrame({"day": pd.array([], dtype="string"), "activity": pd.array([], dtype="string"),
                                 "count": pd.array([], dtype="int64")})
    timeline = _string_ids(timeline, ("day", "activity"))

    # Reports ---------------------------------------------------------------
    if has("reports"):
        present = [column for column in _REPORT_COLUMNS if column in tables["reports"].columns]
        select = ", ".join(present)
        reports_received = query(
            f"SELECT {select} FROM reports WHERE target_account_id = ? AND ts <= ? ORDER BY ts, report_id",
            [subject, as_of],
        )
        reports_made = query(
            f"SELECT {select} FROM reports WHERE reporter_id = ? AND ts <= ? ORDER BY ts, report_id",
            [subject, as_of],
        )
    else:
        reports_received = reports_made = _empty(_REPORT_COLUMNS)
    id_columns = ("report_id", "reporter_id", "target_account_id", "target_content_id")
    reports_received = _string_ids(reports_received, id_columns)
    reports_made = _string_ids(reports_made, id_columns)

    if has("enforcements"):
        enforcements = query(
            "SELECT * FROM enforcements WHERE account_id = ? AND ts <= ? ORDER BY ts, action, policy",
            [subject, as_of],
        )
    else:
        enforcements = _empty(["account_id", "action", "policy", "ts"])
    enforcements = _string_ids(enforcements, ("account_id", "content_id"))

    # Linked accounts -------------------------------------------------------
    if has("logins"):
        columns = tables["logins"].columns
        kinds = [(kind, column) for kind, column in (("device", "device_id"), ("ip", "ip")) if column in columns]
    else:
        kinds = []
    if kinds:
        users = " UNION ".join(
            f"SELECT '{kind}' AS kind, {column} AS value, account_id FROM logins "
            f"WHERE {column} IS NOT NULL AND ts <= $as_of"
            for kind, column in kinds
        )
        shared = query(
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
    else:
        shared = pd.DataFrame({"account_id": pd.array([], dtype="string"),
                               "shared_devices": pd.array([], dtype="int64"),
                               "shared_ips": pd.array([], dtype="int64")})
    connection.register("shared_links", _string_ids(shared, ("account_id",)))

    edges = getattr(detection, "edges", None)
    if edges is not None and len(edges):
        connection.register("detection_edges", edges)
        coordination = query(
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
    else:
        coordination = pd.DataFrame({"account_id": pd.array([], dtype="string"),
                                     "coordination_weight": pd.array([], dtype="float64"),
                                     "signals": pd.array([], dtype="string")})
    connection.register("coordination_links", _string_ids(coordination, ("account_id",)))

    clusters = _subject_clusters(detection, subject)
    mates = _cluster_members(detection, clusters)
    connection.register(
        "cluster_mates", pd.DataFrame({"account_id": pd.array(sorted(mates - {subject}), dtype="string")})
    )

    linked = query(
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
    linked = _string_ids(linked, ("account_id", "username", "signals"))

    # Related escalations ----------------------------------------------------
    if has("escalations"):
        related = query(
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
    else:
        related = _empty(["ticket_id", "subject_account_id", "relation", "channel", "policy", "priority", "opened_at", "status"])
    related = _string_ids(related, ("ticket_id", "subject_account_id"))
    connection.close()

    summary, steps = _summarise(
        subject=subject,
        ticket=ticket,
        profile=profile,
        timeline=timeline,
        reports_received=reports_received,
        reports_made=reports_made,
        enforcements=enforcements,
        linked=linked,
        clusters=clusters,
        related=related,
        detection=detection,
    )
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
        next_steps=tuple(steps),
    )


def _subject_clusters(detection, subject: str) -> pd.DataFrame:
    """Clusters (from ``detection.clusters``) the subject is a member of, flagged first, by score."""
    memberships = getattr(detection, "memberships", None)
    clusters = getattr(detection, "clusters", None)
    columns = ["cluster_id", "kind", "size", "score", "flagged", "explanation"]
    if memberships is None or clusters is None or len(memberships) == 0:
        return pd.DataFrame({"cluster_id": pd.array([], dtype="string")})
    ids = set(memberships.loc[memberships["account_id"].astype(str) == subject, "cluster_id"].astype(str))
    chosen = clusters[clusters["cluster_id"].astype(str).isin(ids)]
    chosen = chosen.sort_values(["flagged", "score", "cluster_id"], ascending=[False, False, True], kind="mergesort")
    chosen = chosen[[column for column in columns if column in chosen.columns]].reset_index(drop=True)
    if "score" in chosen.columns:
        chosen["score"] = chosen["score"].astype(float).round(3)
    return chosen


def _cluster_members(detection, chosen: pd.DataFrame) -> set[str]:
    memberships = getattr(detection, "memberships", None)
    if memberships is None or chosen.empty:
        return set()
    rows = memberships[memberships["cluster_id"].astype(str).isin(chosen["cluster_id"].astype(str))]
    return set(rows["account_id"].astype(str))


def _summarise(*, subject, ticket, profile, timeline, reports_received, reports_made, enforcements, linked,
               clusters, related, detection) -> tuple[pd.DataFrame, list[str]]:
    items: list[tuple[str, str]] = []
    if ticket is not None:
        items.append(("ticket", f"{ticket['ticket_id']} ({ticket['channel']}, {ticket['policy']}, priority {ticket['priority']}, {ticket['status']})"))
    if profile.empty:
        items.append(("profile", "account not in the accounts table"))
    else:
        row = profile.iloc[0]
        items.append(("account age (days)", str(int(row["account_age_days"]))))
        if "status" in profile.columns and not pd.isna(row["status"]):
            items.append(("account status", str(row["status"])))
    activity = int(timeline["count"].sum()) if len(timeline) else 0
    active_days = int(timeline["day"].nunique()) if len(timeline) else 0
    items.append(("activity records", f"{activity} over {active_days} day(s)"))

    reporters = int(reports_received["reporter_id"].nunique()) if len(reports_received) else 0
    items.append(("reports received", f"{len(reports_received)} from {reporters} reporter(s)"))
    if len(reports_received):
        policies = reports_received["policy"].value_counts()
        top = sorted(policies.items(), key=lambda item: (-item[1], str(item[0])))[0]
        items.append(("most reported policy", f"{top[0]} ({top[1]})"))
    items.append(("reports made", str(len(reports_made))))
    items.append(("enforcements", str(len(enforcements))))
    items.append(("linked accounts", str(len(linked))))
    items.append(("flagged clusters", ", ".join(clusters["cluster_id"].astype(str)) if len(clusters) else "none"))
    items.append(("related escalations", str(len(related))))

    steps: list[str] = []
    flagged_reporters = 0
    burst_share = 0.0
    if len(reports_received):
        if detection is not None and hasattr(detection, "flagged_accounts"):
            flagged = set(detection.flagged_accounts())
            flagged_reporters = int(reports_received["reporter_id"].isin(flagged).sum())
        times = reports_received["ts"].sort_values()
        # Share of all reports that fall in the busiest 6 hours: brigades file together.
        window = pd.Timedelta(hours=6)
        counts = times.searchsorted(times + window, side="right") - range(len(times))
        burst_share = float(max(counts)) / len(times)
    if flagged_reporters and flagged_reporters * 2 >= len(reports_received):
        steps.append(
            f"Do not enforce on reports alone: {flagged_reporters} of {len(reports_received)} reports come from "
            "accounts in flagged clusters (likely a mass-report brigade). Review the reporters' cluster instead."
        )
    elif len(reports_received) >= 5 and burst_share >= 0.5:
        steps.append(
            f"{round(burst_share * 100)}% of the reports arrived within 6 hours: check the reporters for a "
            "coordinated mass-report before acting on the account."
        )
    if len(clusters) and bool(clusters.iloc[0].get("flagged", True)):
        first = clusters.iloc[0]
        size = f"{int(first['size'])} accounts, " if "size" in clusters.columns else ""
        score = f"score {float(first['score']):.2f}" if "score" in clusters.columns else "flagged"
        steps.append(
            f"The account is in flagged cluster {first['cluster_id']} ({size}{score}): review the cluster as a whole "
            "and consider network-level action rather than a single-account decision."
        )
    heavy_devices = int((linked["shared_devices"] > 0).sum()) if len(linked) else 0
    if heavy_devices >= 3:
        steps.append(
            f"Shares devices with {heavy_devices} other accounts: check them as a possible account farm "
            "(creation dates, usernames, login times)."
        )
    if len(enforcements):
        last = enforcements.iloc[-1]
        steps.append(
            f"Prior enforcement history ({len(enforcements)} action(s), latest: {last['action']} for {last['policy']}): "
            "apply the repeat-offender policy if the new reports are confirmed."
        )
    if len(related) > (1 if ticket is not None else 0):
        steps.append("Other escalations involve this account or its links: merge or cross-reference the tickets.")
    if not steps:
        steps.append("No coordination or history signals found: handle as a single-account case under normal policy.")
    steps.append("Attach the summary table and the provenance section to the ticket so the findings can be reproduced.")
    summary = pd.DataFrame(
        {"item": pd.array([item for item, _ in items], dtype="string"),
         "value": pd.array([value for _, value in items], dtype="string")}
    )
    return summary, steps
