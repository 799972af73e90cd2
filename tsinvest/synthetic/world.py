"""The synthetic world: clock, rhythms, id allocation and the growing tables.

Every generator module adds rows to one :class:`World`; :mod:`.generate` then
sorts the tables and writes them. Accounts are referred to by their integer
index in the world (cheap to sample with numpy) and turned into 19-digit id
strings only when written.

Examples
--------
>>> world = World(seed=1)
>>> index = world.add_accounts(created_at=np.array([START - DAY]), usernames=["a"])
>>> len(world.account_ids[index[0]])
19
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

# A column of values handed to the world: an array or a list.
Values = np.ndarray | Sequence[Any]

__all__ = [
    "START",
    "END",
    "DAY",
    "DAYS",
    "START_ISO",
    "END_ISO",
    "ACTIONS",
    "ACTION_CODE",
    "POLICIES",
    "HOUR_WEIGHTS",
    "WEEKDAY_WEIGHTS",
    "World",
    "sample_times",
    "weighted_choice",
    "iso",
    "ip_addresses",
]

DAY = 86_400
DAYS = 28
#: Monday 2026-03-02T00:00:00Z in epoch seconds; four full weeks follow.
START = int(np.datetime64("2026-03-02T00:00:00", "s").astype(np.int64))
END = START + DAYS * DAY
START_ISO = "2026-03-02T00:00:00Z"
END_ISO = "2026-03-30T00:00:00Z"

ACTIONS = ("share", "like", "comment", "post", "follow", "duet", "stitch")
ACTION_CODE = MappingProxyType({action: code for code, action in enumerate(ACTIONS)})
POLICIES = (
    "spam",
    "harassment",
    "hate_speech",
    "violent_extremism",
    "dangerous_challenge",
    "misinformation",
    "nudity",
)

_hours = np.arange(24)
# Evening peak around 20:00 UTC and a night trough around 05:00 UTC: the daily
# rhythm analysts expect, so hour-of-day charts and baselines look familiar.
_evening = np.minimum(np.abs(_hours - 20), 24 - np.abs(_hours - 20))
_night = np.minimum(np.abs(_hours - 5), 24 - np.abs(_hours - 5))
HOUR_WEIGHTS = 1.0 + 1.6 * np.exp(-(_evening**2) / 18.0) - 0.6 * np.exp(-(_night**2) / 8.0)
HOUR_WEIGHTS = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
#: Monday..Sunday. Saturdays are the busiest day: pure seasonality that trend
#: detectors must not report as a spike.
WEEKDAY_WEIGHTS = np.array([1.0, 0.96, 0.98, 1.0, 1.1, 1.4, 1.2])


def sample_times(rng: np.random.Generator, n: int, *, start: int = START, end: int = END) -> np.ndarray:
    """Draw ``n`` epoch seconds in ``[start, end)`` with daily and weekly rhythm.

    Examples
    --------
    >>> ts = sample_times(np.random.default_rng(0), 5)
    >>> bool(((ts >= START) & (ts < END)).all())
    True
    """
    n = int(n)
    first_day = (int(start) - START) // DAY
    last_day = -((START - int(end)) // DAY)
    days = np.arange(first_day, max(last_day, first_day + 1))
    weights = WEEKDAY_WEIGHTS[days % 7]
    day = rng.choice(days, size=n, p=weights / weights.sum())
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS)
    ts = START + day * DAY + hour * 3600 + rng.integers(0, 3600, size=n)
    outside = (ts < start) | (ts >= end)
    if outside.any():
        ts[outside] = rng.integers(int(start), int(end), size=int(outside.sum()))
    return ts.astype(np.int64)


def weighted_choice(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    """``n`` indices drawn with replacement, with probability proportional to ``weights``.

    Same distribution as ``rng.choice(len(weights), n, p=...)`` but about ten
    times faster for many categories: multinomial counts, then a shuffle.

    Examples
    --------
    >>> draws = weighted_choice(np.random.default_rng(0), 1000, np.array([0.0, 1.0, 3.0]))
    >>> int((draws == 0).sum()), bool(600 < (draws == 2).sum() < 900)
    (0, True)
    """
    weights = np.asarray(weights, dtype=float)
    counts = rng.multinomial(int(n), weights / weights.sum())
    draws = np.repeat(np.arange(len(weights)), counts)
    rng.shuffle(draws)
    return draws


def iso(ts: np.ndarray) -> np.ndarray:
    """Format epoch seconds as ISO 8601 UTC strings ending in ``Z``.

    Examples
    --------
    >>> iso(np.array([START, START + 59 * DAY + 3661])).tolist()
    ['2026-03-02T00:00:00Z', '2026-04-30T01:01:01Z']
    """
    ts = np.asarray(ts, dtype=np.int64)
    days, seconds = np.divmod(ts, DAY)
    # Civil date from days since 1970 (H. Hinnant's algorithm), vectorised:
    # several times faster than datetime_as_string for millions of rows.
    z = days + 719_468
    era = z // 146_097
    day_of_era = z - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = np.where(shifted_month < 10, shifted_month + 3, shifted_month - 9)
    year = year_of_era + era * 400 + (month <= 2)
    out = np.empty((len(ts), 20), dtype=np.uint8)
    out[:] = np.frombuffer(b"0000-00-00T00:00:00Z", dtype=np.uint8)
    for column, value, width in ((0, year, 4), (5, month, 2), (8, day, 2), (11, seconds // 3600, 2),
                                 (14, seconds // 60 % 60, 2), (17, seconds % 60, 2)):
        for k in range(width):
            out[:, column + width - 1 - k] += (value // 10**k % 10).astype(np.uint8)
    return out.view("S20").ravel().astype("U20").astype(object)


def _stable_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


_RESIDENTIAL_FIRST_OCTETS = np.array(
    [24, 31, 37, 47, 68, 71, 73, 76, 77, 79, 81, 82, 86, 88, 90, 92, 94, 98, 109, 151, 176, 178, 188, 189, 201, 217]
)
_MOBILE_PREFIXES = np.array([[172, 56], [172, 58], [174, 204], [107, 77], [100, 8], [39, 42], [49, 36], [117, 196]])
_DATACENTER_PREFIXES = np.array([[45, 134], [104, 248], [139, 59], [159, 203], [185, 220], [192, 241], [5, 188]])


def ip_addresses(rng: np.random.Generator, n: int, kind: str = "residential") -> np.ndarray:
    """Random IPv4 address strings of a network kind (residential, mobile, datacenter).

    Examples
    --------
    >>> ip_addresses(np.random.default_rng(0), 2, "datacenter")[0].count(".")
    3
    """
    if kind == "residential":
        a = rng.choice(_RESIDENTIAL_FIRST_OCTETS, size=n)
        b = rng.integers(0, 256, size=n)
    else:
        prefixes = _MOBILE_PREFIXES if kind == "mobile" else _DATACENTER_PREFIXES
        pick = prefixes[rng.integers(0, len(prefixes), size=n)]
        a, b = pick[:, 0], pick[:, 1]
    c = rng.integers(0, 256, size=n)
    d = rng.integers(1, 255, size=n)
    octets = zip(a.tolist(), b.tolist(), c.tolist(), d.tolist(), strict=True)
    return np.array([f"{w}.{x}.{y}.{z}" for w, x, y, z in octets], dtype=object)


class _Table:
    """Columns accumulated as chunks of numpy arrays, concatenated on demand."""

    def __init__(self, columns: tuple[str, ...]):
        self.columns = columns
        self.chunks: dict[str, list[np.ndarray]] = {c: [] for c in columns}
        self.size = 0
        self._cache: dict[str, np.ndarray] = {}

    def add(self, **values: Values) -> np.ndarray:
        lengths = {len(v) for v in values.values()}
        if len(lengths) != 1:
            raise ValueError("columns of one chunk must have the same length")
        n = lengths.pop()
        for column in self.columns:
            self.chunks[column].append(np.asarray(values[column]))
        self._cache.clear()
        index = np.arange(self.size, self.size + n)
        self.size += n
        return index

    def column(self, name: str) -> np.ndarray:
        if name not in self._cache:
            chunks = self.chunks[name]
            if not chunks:
                return np.empty(0, dtype=object)
            self._cache[name] = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
        return self._cache[name]


def _as_object(values: Any, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, None, dtype=object)
    if isinstance(values, str):
        return np.full(n, values, dtype=object)
    out = np.empty(len(values), dtype=object)
    out[:] = list(values) if not isinstance(values, np.ndarray) else values
    return out


class World:
    """Rows of every table under construction, plus the id allocator.

    Parameters
    ----------
    seed : int
        Root seed; every component draws from its own child generator
        (:meth:`rng`), so adding a component never shifts another one's draws.
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._id_rng = self.rng("ids")
        self._used_ids: set[int] = set()
        self._device_salt = int(self._id_rng.integers(0, 2**62))
        self._device_counter = 0
        self.accounts = _Table(
            ("account_id", "created_at", "username", "display_name", "country", "follower_count", "status")
        )
        self.content = _Table(("content_id", "creator", "posted_at"))
        self.events = _Table(("account", "action", "target_id", "ts", "text"))
        self.reports = _Table(("reporter", "target", "content_id", "policy", "ts"))
        self.logins = _Table(("account", "ts", "ip", "device_id", "user_agent"))
        self.enforcements = _Table(("account", "action", "policy", "ts", "content_id"))
        self.escalations = _Table(
            ("ticket_id", "channel", "subject", "policy", "priority", "opened_at", "status", "due_at", "summary",
             "resolved_at", "assignee", "requester", "reach", "severity")
        )

    # -- randomness and ids ------------------------------------------------
    def rng(self, name: str) -> np.random.Generator:
        """An independent generator for one named component of the world."""
        return np.random.default_rng(np.random.SeedSequence([self.seed, _stable_key(name)]))

    def numeric_ids(self, n: int, prefix: str = "72", *, leading_zero_fraction: float = 0.0) -> np.ndarray:
        """``n`` unique 19-digit numeric id strings (unique across the whole world)."""
        digits = 19 - len(prefix)
        base = int(prefix) * 10**digits
        while True:
            values = base + self._id_rng.integers(0, 10**digits, size=n, dtype=np.int64)
            zero = self._id_rng.random(n) < leading_zero_fraction
            # 17 or 18 significant digits, zero-padded to 19: one or two leading zeros.
            values[zero] = self._id_rng.integers(10**16, 10**18, size=int(zero.sum()), dtype=np.int64)
            as_list = values.tolist()
            if len(set(as_list)) == n and self._used_ids.isdisjoint(as_list):
                self._used_ids.update(as_list)
                return np.array([f"{v:019d}" for v in as_list], dtype=object)

    def new_devices(self, n: int) -> np.ndarray:
        """``n`` fresh device ids never used by any account's own devices."""
        keys = np.arange(self._device_counter, self._device_counter + n, dtype=np.uint64) + np.uint64(2**40)
        self._device_counter += n
        return self.device_ids(keys)

    def device_ids(self, keys: np.ndarray) -> np.ndarray:
        """Map integer device keys to 16-hex device ids, one-to-one."""
        keys = np.asarray(keys, dtype=np.uint64)
        # Multiplying by an odd constant modulo 2**64 is a bijection: unique keys
        # give unique ids without a lookup table, which keeps large scales cheap.
        with np.errstate(over="ignore"):
            mixed = (keys * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(self._device_salt)
        unique, inverse = np.unique(mixed, return_inverse=True)
        text = np.array([f"{v:016x}" for v in unique.tolist()], dtype=object)
        return text[inverse]

    # -- tables --------------------------------------------------------------
    @property
    def account_ids(self) -> np.ndarray:
        return self.accounts.column("account_id")

    @property
    def account_created(self) -> np.ndarray:
        return self.accounts.column("created_at")

    @property
    def content_ids(self) -> np.ndarray:
        return self.content.column("content_id")

    def add_accounts(
        self,
        *,
        created_at: Values,
        usernames: Values,
        display_names: Values | None = None,
        countries: Values | None = None,
        followers: Values | None = None,
        status: Values | None = None,
        leading_zero_fraction: float = 0.03,
    ) -> np.ndarray:
        """Add accounts; return their integer indices."""
        n = len(created_at)
        ids = self.numeric_ids(n, "72", leading_zero_fraction=leading_zero_fraction)
        return self.accounts.add(
            account_id=ids,
            created_at=np.asarray(created_at, dtype=np.int64),
            username=_as_object(usernames, n),
            display_name=_as_object(display_names, n),
            country=_as_object(countries, n),
            follower_count=np.zeros(n, dtype=np.int64) if followers is None else np.asarray(followers, dtype=np.int64),
            status=_as_object("active" if status is None else status, n),
        )

    def add_content(self, creators: Values, posted_at: Values) -> np.ndarray:
        """Add videos; return their integer indices."""
        n = len(creators)
        return self.content.add(
            content_id=self.numeric_ids(n, "74", leading_zero_fraction=0.01),
            creator=np.asarray(creators, dtype=np.int64),
            posted_at=np.asarray(posted_at, dtype=np.int64),
        )

    def add_events(
        self, accounts: Values, actions: Any, target_ids: Values, ts: Values, text: Any = None
    ) -> None:
        """Add events; ``actions`` are names or codes, ``target_ids`` id strings."""
        n = len(accounts)
        if isinstance(actions, str):
            codes = np.full(n, ACTION_CODE[actions], dtype=np.int8)
        else:
            actions = np.asarray(actions)
            if actions.dtype.kind in "iu":
                codes = actions.astype(np.int8)
            else:
                codes = np.array([ACTION_CODE[a] for a in actions], dtype=np.int8)
        self.events.add(
            account=np.asarray(accounts, dtype=np.int64),
            action=codes,
            target_id=_as_object(target_ids, n),
            ts=np.asarray(ts, dtype=np.int64),
            text=_as_object(text, n),
        )

    def add_reports(
        self, reporters: Any, targets: Values, policy: Any, ts: Values, content_ids: Any = None
    ) -> None:
        n = len(reporters)
        self.reports.add(
            reporter=np.asarray(reporters, dtype=np.int64),
            target=np.asarray(targets, dtype=np.int64),
            content_id=_as_object(content_ids, n),
            policy=_as_object(policy, n),
            ts=np.asarray(ts, dtype=np.int64),
        )

    def add_logins(
        self, accounts: Any, ts: Values, ips: Values, devices: Values, user_agents: Values
    ) -> None:
        n = len(accounts)
        self.logins.add(
            account=np.asarray(accounts, dtype=np.int64),
            ts=np.asarray(ts, dtype=np.int64),
            ip=_as_object(ips, n),
            device_id=_as_object(devices, n),
            user_agent=_as_object(user_agents, n),
        )

    def add_enforcements(
        self, accounts: Any, action: Any, policy: Any, ts: Values, content_ids: Any = None
    ) -> None:
        n = len(accounts)
        self.enforcements.add(
            account=np.asarray(accounts, dtype=np.int64),
            action=_as_object(action, n),
            policy=_as_object(policy, n),
            ts=np.asarray(ts, dtype=np.int64),
            content_id=_as_object(content_ids, n),
        )
