"""Generate a synthetic sample: six canonical CSV tables plus ``truth.json``.

The data is synthetic, never real: 28 days from Monday 2026-03-02T00:00:00Z,
an organic background, planted campaigns (:mod:`.campaigns`), organic traps
(:mod:`.traps`), planted trends (:mod:`.trends`) and escalation tickets. The
contract of ``truth.json`` is documented in the project's truth brief and in
``data_samples/README.md``.

Examples
--------
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as folder:
...     out = pathlib.Path(folder) / "sample"
...     truth = generate_sample(out, seed=3, scale=20_000)
...     names = sorted(p.name for p in out.iterdir())
>>> names[:3]
['accounts.csv', 'enforcements.csv', 'escalations.csv']
>>> truth["start"], truth["end"]
('2026-03-02T00:00:00Z', '2026-03-30T00:00:00Z')
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from tsinvest.exceptions import ParameterError
from tsinvest.synthetic import campaigns as campaign_kinds
from tsinvest.synthetic import organic as organic_module
from tsinvest.synthetic import switches as switch_kinds
from tsinvest.synthetic import traps as trap_kinds
from tsinvest.synthetic import trends
from tsinvest.synthetic.escalations import add_escalations
from tsinvest.synthetic.world import ACTION_CODE, ACTIONS, END_ISO, START_ISO, World, iso

__all__ = ["generate_sample", "resolve_scale", "SCALES", "MIN_EVENTS", "FILES"]

#: Approximate number of events per named scale.
SCALES = MappingProxyType({"small": 44_000, "medium": 500_000, "large": 5_000_000})
MIN_EVENTS = 10_000
FILES = ("accounts.csv", "events.csv", "reports.csv", "logins.csv", "enforcements.csv", "escalations.csv", "truth.json")
_CHUNK_ROWS = 500_000


def resolve_scale(scale: str | int) -> int:
    """Number of events for a scale name or an explicit event count.

    Examples
    --------
    >>> resolve_scale("medium"), resolve_scale("25000"), resolve_scale(12_000)
    (500000, 25000, 12000)
    """
    if isinstance(scale, str) and scale in SCALES:
        return SCALES[scale]
    try:
        events = int(scale)
    except (TypeError, ValueError):
        raise ParameterError(
            f"scale must be one of {', '.join(SCALES)} or a number of events (at least {MIN_EVENTS})"
        ) from None
    if isinstance(scale, float) or events < MIN_EVENTS:
        raise ParameterError(
            f"scale must be a whole number of events, at least {MIN_EVENTS}, or one of {', '.join(SCALES)}"
        )
    return events


def _groups(base: int, factor: float) -> int:
    """More campaigns in bigger samples, growing slowly (logarithmically)."""
    return base + (int(2 * math.log2(factor)) if factor > 1 else 0)


def _build(
    world: World, n_events: int, adaptive: bool, step: Callable[[str], None], switches: tuple[str, ...] = ()
) -> dict[str, Any]:
    factor = n_events / SCALES["small"]
    organic = organic_module.build_population(
        world, world.rng("population"), n_accounts=max(1000, n_events // 11), n_posts=int(0.05 * n_events)
    )
    step("organic population")
    n_reports = int(0.04 * n_events)
    organic_module.add_reports(world, world.rng("reports"), organic, n_reports)
    spike = trends.report_spike(world, world.rng("report-spike"), organic, baseline_reports=n_reports)
    emerging = trends.emerging_hashtag(world, world.rng("emerging-hashtag"), organic, factor=factor)
    organic_module.add_enforcements(world, world.rng("enforcements"))
    step("reports and trends")

    planted: list[dict] = []
    for kind, base in (("amplification", 4), ("mass_report", 4), ("farm", 4), ("copy_paste", 4)):
        make = getattr(campaign_kinds, kind)
        for number in range(1, _groups(base, factor) + 1):
            planted.append(make(world, world.rng(f"{kind}-{number}"), organic, number=number))
    if adaptive:
        for kind in ("amplification", "mass_report", "farm", "copy_paste"):
            make = getattr(campaign_kinds, kind)
            first = _groups(4, factor) + 1
            for number in range(first, first + max(2, _groups(2, factor) // 2)):
                rng = world.rng(f"adaptive-{kind}-{number}")
                planted.append(make(world, rng, organic, number=number, adaptive=True))
    step("planted campaigns")

    traps: list[dict] = []
    viral_size = int(np.clip(6 * n_events / 1000, 250, 4000))
    for number in range(1, (1 if factor < 5 else 2) + 1):
        rng = world.rng(f"viral-{number}")
        traps.append(trap_kinds.viral_burst(world, rng, organic, number=number, size=viral_size))
    for number in range(1, min(3, _groups(1, factor)) + 1):
        traps.append(trap_kinds.fan_community(world, world.rng(f"fans-{number}"), organic, number=number))
    nat_size = int(np.clip(n_events / 160, 250, 3000))
    traps.append(trap_kinds.carrier_nat(world, world.rng("nat-1"), organic, number=1, size=nat_size))
    common_size = int(np.clip(n_events / 120, 300, 20_000))
    traps.append(trap_kinds.common_comments(world, world.rng("common-1"), organic, number=1, size=common_size))
    if adaptive:
        for number in range(1, (1 if factor < 5 else 2) + 1):
            traps.append(trap_kinds.notification_fans(world, world.rng(f"notify-{number}"), organic, number=number))
    step("organic traps")
    switched = switch_kinds.add_switched(world, organic, n_events=n_events, switches=switches, adaptive=adaptive)

    tickets = add_escalations(
        world, world.rng("escalations"), organic, n_organic=max(40, n_events // 1000), campaigns=planted
    )
    organic_module.add_interactions(world, world.rng("interactions"), organic, n_events - world.events.size)
    organic_module.add_logins(world, world.rng("logins"), organic, int(0.07 * n_events))
    step("organic activity")
    return {
        "campaigns": planted + switched["campaigns"],
        "traps": traps + switched["traps"],
        "trends": {"report_spikes": [spike], "emerging_hashtags": [emerging]},
        "escalations": tickets,
    }


def _ranks(ids: np.ndarray) -> np.ndarray:
    """Position of each id in string order (so sorting by rank sorts by id)."""
    order = np.argsort(ids.astype("U"), kind="stable")
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[order] = np.arange(len(ids))
    return ranks


def _write_csv(path: Path, columns: dict, order: np.ndarray) -> None:
    """Write rows ``order`` of the column makers; only values that need it are quoted."""
    import csv

    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(list(columns))
        for start in range(0, len(order), _CHUNK_ROWS):
            rows = order[start : start + _CHUNK_ROWS]
            writer.writerows(zip(*(make(rows).tolist() for make in columns.values()), strict=True))


def _iso_or_empty(ts: np.ndarray) -> np.ndarray:
    """ISO times, with an empty field where the time is missing (the int64 minimum)."""
    missing = ts == np.iinfo(np.int64).min
    return np.where(missing, "", iso(np.where(missing, 0, ts))).astype(object)


def _write_tables(world: World, directory: Path, step: Callable[[str], None]) -> None:
    """Write the six tables as CSV, each in its canonical row order (time, then account rank)."""
    ids = world.account_ids
    ranks = _ranks(ids)
    _write_accounts(world, directory, ids, ranks)
    step("accounts.csv")
    _write_events(world, directory, ids, ranks)
    step("events.csv")
    _write_reports(world, directory, ids)
    _write_logins(world, directory, ids, ranks)
    _write_enforcements(world, directory, ids, ranks)
    _write_escalations(world, directory, ids)
    step("other tables")


def _write_accounts(world: World, directory: Path, ids: np.ndarray, ranks: np.ndarray) -> None:
    """accounts.csv, by creation time then account rank."""
    accounts = world.accounts
    created = accounts.column("created_at")
    _write_csv(
        directory / "accounts.csv",
        {
            "account_id": lambda r: ids[r],
            "created_at": lambda r: iso(created[r]),
            "username": lambda r: accounts.column("username")[r],
            "display_name": lambda r: accounts.column("display_name")[r],
            "country": lambda r: accounts.column("country")[r],
            "follower_count": lambda r: accounts.column("follower_count")[r],
            "status": lambda r: accounts.column("status")[r],
        },
        np.lexsort((ranks, created)),
    )


def _write_events(world: World, directory: Path, ids: np.ndarray, ranks: np.ndarray) -> None:
    """events.csv, by time, account rank, action, then generation order."""
    events = world.events
    who, action, ts = events.column("account"), events.column("action"), events.column("ts")
    action_names = np.array(ACTIONS, dtype=object)
    target_type = np.where(np.arange(len(ACTIONS)) == ACTION_CODE["follow"], "account", "video").astype(object)
    _write_csv(
        directory / "events.csv",
        {
            "account_id": lambda r: ids[who[r]],
            "action": lambda r: action_names[action[r]],
            "target_id": lambda r: events.column("target_id")[r],
            "ts": lambda r: iso(ts[r]),
            "text": lambda r: events.column("text")[r],
            "target_type": lambda r: target_type[action[r]],
        },
        np.lexsort((np.arange(len(ts)), action, ranks[who], ts)),
    )


def _write_reports(world: World, directory: Path, ids: np.ndarray) -> None:
    """reports.csv, by time then report id."""
    reports = world.reports
    r_ts, reporter = reports.column("ts"), reports.column("reporter")
    report_ids = world.numeric_ids(reports.size, "76")
    _write_csv(
        directory / "reports.csv",
        {
            "report_id": lambda r: report_ids[r],
            "reporter_id": lambda r: ids[reporter[r]],
            "target_account_id": lambda r: ids[reports.column("target")[r]],
            "policy": lambda r: reports.column("policy")[r],
            "ts": lambda r: iso(r_ts[r]),
            "target_content_id": lambda r: reports.column("content_id")[r],
        },
        np.lexsort((report_ids.astype("U"), r_ts)),
    )


def _write_logins(world: World, directory: Path, ids: np.ndarray, ranks: np.ndarray) -> None:
    """logins.csv, by time, account rank, then generation order."""
    logins = world.logins
    l_ts, l_who = logins.column("ts"), logins.column("account")
    _write_csv(
        directory / "logins.csv",
        {
            "account_id": lambda r: ids[l_who[r]],
            "ts": lambda r: iso(l_ts[r]),
            "ip": lambda r: logins.column("ip")[r],
            "device_id": lambda r: logins.column("device_id")[r],
            "user_agent": lambda r: logins.column("user_agent")[r],
        },
        np.lexsort((np.arange(len(l_ts)), ranks[l_who], l_ts)),
    )


def _write_enforcements(world: World, directory: Path, ids: np.ndarray, ranks: np.ndarray) -> None:
    """enforcements.csv, by time, account rank, then generation order."""
    enforcements = world.enforcements
    e_ts, e_who = enforcements.column("ts"), enforcements.column("account")
    _write_csv(
        directory / "enforcements.csv",
        {
            "account_id": lambda r: ids[e_who[r]],
            "action": lambda r: enforcements.column("action")[r],
            "policy": lambda r: enforcements.column("policy")[r],
            "ts": lambda r: iso(e_ts[r]),
            "content_id": lambda r: enforcements.column("content_id")[r],
        },
        np.lexsort((np.arange(len(e_ts)), ranks[e_who], e_ts)),
    )


def _write_escalations(world: World, directory: Path, ids: np.ndarray) -> None:
    """escalations.csv, by opening time then ticket id."""
    escalations = world.escalations
    opened, tickets = escalations.column("opened_at"), escalations.column("ticket_id")
    _write_csv(
        directory / "escalations.csv",
        {
            "ticket_id": lambda r: tickets[r],
            "channel": lambda r: escalations.column("channel")[r],
            "subject_account_id": lambda r: ids[escalations.column("subject")[r]],
            "policy": lambda r: escalations.column("policy")[r],
            "priority": lambda r: escalations.column("priority")[r],
            "opened_at": lambda r: iso(opened[r]),
            "status": lambda r: escalations.column("status")[r],
            "due_at": lambda r: iso(escalations.column("due_at")[r]),
            "summary": lambda r: escalations.column("summary")[r],
            "resolved_at": lambda r: _iso_or_empty(escalations.column("resolved_at")[r]),
            "assignee": lambda r: escalations.column("assignee")[r],
            "requester": lambda r: escalations.column("requester")[r],
            "reach": lambda r: escalations.column("reach")[r],
            "severity": lambda r: escalations.column("severity")[r],
        },
        np.lexsort((tickets.astype("U"), opened)),
    )


def _checked_output(seed: object, out: Path) -> Path:
    """``out`` once the seed and the output folder are usable."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError("seed must be a non-negative whole number")
    if out.exists() and not out.is_dir():
        raise ParameterError("out_dir exists and is not a directory; choose a new directory")
    if out.is_dir() and any((out / name).is_dir() for name in FILES):
        raise ParameterError("out_dir holds a folder named like a sample file; remove it or choose a new directory")
    return out


def _truth(
    world: World,
    built: dict[str, Any],
    *,
    seed: int,
    scale: str | int,
    n_events: int,
    adaptive: bool,
    chosen: Sequence[str],
) -> dict[str, Any]:
    """The ground truth written as truth.json (key order is part of the byte-identical output)."""
    return {
        "seed": seed,
        "scale": scale if isinstance(scale, str) and scale in SCALES else n_events,
        "adaptive": adaptive,
        # Only when used, so default samples stay byte-identical.
        **({"switches": list(chosen)} if chosen else {}),
        "start": START_ISO,
        "end": END_ISO,
        **built,
        "counts": {
            "accounts": world.accounts.size,
            "events": world.events.size,
            "reports": world.reports.size,
            "logins": world.logins.size,
            "enforcements": world.enforcements.size,
            "escalations": world.escalations.size,
        },
    }


def generate_sample(
    out_dir: str | os.PathLike,
    *,
    seed: int = 7,
    scale: str | int = "small",
    adaptive: bool = False,
    switches: str | Iterable[str] | None = None,
    progress: bool | None = None,
) -> dict:
    """Write a synthetic investigation sample with planted abuse and its ground truth.

    Parameters
    ----------
    out_dir : path
        Directory to write. Created if missing; if it exists, only the sample's
        own files are replaced (other files such as a README stay).
    seed : int
        Seed of every random step: the same seed gives byte-identical files.
    scale : {"small", "medium", "large"} or int
        About 44 thousand, 500 thousand or 5 million events, or an explicit
        number of events (at least 10 000).
    adaptive : bool
        Add evasive adversaries (aged accounts, minutes of jitter, residential
        proxies, obfuscated text) and the ``notification_fans`` trap; with
        ``switches``, the switched adversaries take their evasive form too.
    switches : str or iterable of str, optional
        Structures of real data the default sample lacks (all off by default):
        names from :data:`tsinvest.synthetic.switches.SWITCHES`, a
        comma-separated string, ``"traps"``, ``"adversaries"`` or ``"all"``.
        Their parameters are drawn per seed from wide ranges; ``truth.json``
        then also holds ``switches``.
    progress : bool or None
        Show a tqdm progress bar on stderr; None shows it for medium and larger.

    Returns
    -------
    dict
        The ground truth, also written as ``truth.json``.

    Notes
    -----
    Everything is written in a temporary directory next to ``out_dir`` first
    and moved into place only when complete, so a failure never leaves a
    half-written sample. Time and memory are linear in the number of events.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     truth = generate_sample(folder + "/s", seed=1, scale=10_000)
    >>> sorted({campaign["kind"] for campaign in truth["campaigns"]})
    ['amplification', 'copy_paste', 'farm', 'mass_report']
    """
    from tqdm.auto import tqdm

    n_events = resolve_scale(scale)
    chosen = switch_kinds.resolve_switches(switches)
    out = _checked_output(seed, Path(out_dir))
    show = n_events >= SCALES["medium"] if progress is None else bool(progress)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    bar = tqdm(total=7, desc="tsinvest sample", unit="step", file=sys.stderr, disable=not show, leave=False)

    def step(label: str) -> None:
        bar.set_postfix_str(label)
        bar.update(1)

    try:
        world = World(int(seed))
        built = _build(world, n_events, bool(adaptive), step, chosen)
        truth = _truth(world, built, seed=int(seed), scale=scale, n_events=n_events, adaptive=bool(adaptive),
                       chosen=chosen)
        _write_tables(world, staging, step)
        with open(staging / "truth.json", "w", encoding="utf-8", newline="\n") as handle:
            json.dump(truth, handle, indent=1, ensure_ascii=False)
            handle.write("\n")
        os.chmod(staging, 0o755)
        if not out.exists():
            os.replace(staging, out)
        else:
            # truth.json last: its presence marks a complete sample.
            for name in FILES:
                os.replace(staging / name, out / name)
            staging.rmdir()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        bar.close()
    return truth
