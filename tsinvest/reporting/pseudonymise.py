"""Keyed pseudonyms for identifiers, so findings can leave the team.

A :class:`Pseudonymiser` turns an account id, username, IP, device id or
email into a short token such as ``acct_3f9a1c0b2d7e``: the first hex digits
of ``HMAC-SHA256(key, kind + NUL + value)``. The same key gives the same
pseudonym in every run, so reports shared at different times stay joinable;
without the key nobody can confirm a guess, unlike a plain hash of a
guessable id (phone numbers, sequential account ids, IPv4 addresses).

There is no default key on purpose: a key baked into the code would let
anyone holding the code reverse every shared report by brute force.

Examples
--------
>>> pseudonymiser = Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60")
>>> pseudonymiser.pseudonym("1234567890123456789", kind="acct")
'acct_...'
>>> pseudonymiser.pseudonym("1234567890123456789", kind="acct") == pseudonymiser.pseudonym(
...     "1234567890123456789", kind="acct")
True
"""

from __future__ import annotations

import hashlib
import html
import ipaddress
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import numpy as np
import pandas as pd

from tsinvest.exceptions import MissingKeyError, ParameterError
from tsinvest.schemas import PseudonymKind

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "Kind",
    "KINDS",
    "MIN_KEY_BYTES",
    "MIN_KEY_BITS",
    "key_strength_problem",
    "DEFAULT_LENGTH",
    "Pseudonymiser",
    "TextRedactor",
    "redact_text",
    "pseudonymise_frame",
    "pseudonymise_graph",
]

#: What an identifier is; also the pseudonym prefix. Part of the HMAC input,
#: so the same string used as an account id and as a username gets unrelated
#: pseudonyms (a reader cannot link the two columns through the pseudonyms).
#: Pseudonym kinds (declared once, in :mod:`tsinvest.schemas`).
Kind = PseudonymKind
KINDS: tuple[str, ...] = get_args(Kind)

#: Shortest key accepted, in bytes (``secrets.token_hex(32)`` gives 64).
MIN_KEY_BYTES = 32
#: Least estimated entropy of an accepted key, in bits (see :func:`key_strength_problem`).
MIN_KEY_BITS = 128
#: Hex digits kept from the HMAC (48 bits); see :class:`Pseudonymiser` Notes.
DEFAULT_LENGTH = 12

_HOW_TO_SET_KEY = (
    "Generate one with: python -c \"import secrets; print(secrets.token_hex(32))\" and either "
    "export it as {var}=<key> or save it in a file readable only by you and use "
    "`tsinvest run --redact --key-file PATH` or Pseudonymiser.from_key_file(path). "
    "Keep the same key to keep pseudonyms joinable across reports."
)


class Pseudonymiser:
    """Keyed, deterministic pseudonyms for identifiers.

    Parameters
    ----------
    key : bytes
        Secret key, at least :data:`MIN_KEY_BYTES` bytes. Prefer
        :meth:`from_env` or :meth:`from_key_file` so the key never sits in a
        notebook.
    length : int, default 12
        Hex digits of the HMAC kept in each pseudonym (8 to 64).

    Raises
    ------
    MissingKeyError
        If the key is empty or shorter than :data:`MIN_KEY_BYTES` bytes.

    Notes
    -----
    A pseudonym keeps ``length`` hex digits, i.e. ``4 * length`` bits. By the
    birthday bound two of ``n`` distinct values share a pseudonym with
    probability about ``n**2 / 2**(4 * length + 1)``: with the default 48 bits,
    roughly 2e-7 for 10 000 ids, 2e-3 for one million and 0.2 for ten
    million. Every call that builds a mapping checks the values it was given
    and raises :class:`~tsinvest.exceptions.ParameterError` on a collision,
    so a collision is never silent; pass ``length=16`` (64 bits) for tables
    of tens of millions of ids. Twelve digits keep tables readable and short
    enough to read aloud in a meeting.

    Values are hashed as given, except two canonical forms that stop the same
    identity from getting two pseudonyms: emails are stripped and case-folded,
    IP addresses are written in their canonical form (``::ffff:0:1`` style
    compression, no leading zeros). Missing values and empty strings are kept
    as they are, since they identify nobody.

    Complexity: one HMAC per distinct value (about 3 microseconds each;
    one million rows with 200 000 distinct ids take about 3 s on one core).

    Examples
    --------
    >>> pseudonymiser = Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60")
    >>> pseudonymiser.pseudonym("alice", kind="user")
    'user_...'
    >>> pseudonymiser.pseudonym("Alice@Example.org ", kind="email") == pseudonymiser.pseudonym(
    ...     "alice@example.org", kind="email")
    True
    >>> Pseudonymiser(b"short")
    Traceback (most recent call last):
    ...
    tsinvest.exceptions.MissingKeyError: The pseudonymisation key is too short ...
    """

    def __init__(self, key: bytes, *, length: int = DEFAULT_LENGTH):
        if not isinstance(key, bytes | bytearray):
            raise ParameterError("key must be bytes; use Pseudonymiser.from_env() or from_key_file() for text keys")
        if not key:
            raise MissingKeyError(
                "The pseudonymisation key is empty. " + _HOW_TO_SET_KEY.format(var="TSINVEST_PSEUDONYM_KEY")
            )
        problem = key_strength_problem(bytes(key))
        if problem is not None:
            raise MissingKeyError(
                f"The pseudonymisation key is {problem}. " + _HOW_TO_SET_KEY.format(var="TSINVEST_PSEUDONYM_KEY")
            )
        if not isinstance(length, int) or not 8 <= length <= 64:
            raise ParameterError("length must be an integer from 8 to 64 (hex digits kept per pseudonym)")
        self.length = length
        # HMAC (RFC 2104) from two pre-keyed SHA-256 states copied per value:
        # about twice as fast as hmac.new(...).copy() per id, same digest (the
        # tests check it against the hmac module). The key is not kept.
        block = bytes(key) if len(key) <= 64 else hashlib.sha256(bytes(key)).digest()
        block = block.ljust(64, b"\x00")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))
        self._key_check: str | None = None

    def key_check(self) -> str:
        """A short value that is equal for runs made with the same key, and slow to test a guess against.

        ``run.json`` of a redacted run records it, so two reports can be
        checked to share a key without anyone holding the key. It is
        ``scrypt`` (N=2**15, r=8: about 0.1 s and 32 MiB per try) of a keyed
        HMAC, so it is no fast offline oracle: every key guess costs one
        scrypt, on top of the key's own 128 bits or more of entropy.

        Examples
        --------
        >>> first = Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60")
        >>> again = Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60")
        >>> first.key_check() == again.key_check(), len(first.key_check())
        (True, 16)
        """
        if self._key_check is None:
            secret = self._outer.copy()
            inner = self._inner.copy()
            inner.update(b"key-check\x00tsinvest")
            secret.update(inner.digest())
            derived = hashlib.scrypt(
                secret.digest(), salt=b"tsinvest-key-check-v2", n=2**15, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=16
            )
            self._key_check = derived.hex()[:16]
        return self._key_check

    def __repr__(self) -> str:
        # Never show key material, even partially.
        return f"Pseudonymiser(key=<hidden>, length={self.length})"

    @classmethod
    def from_env(cls, var: str = "TSINVEST_PSEUDONYM_KEY", *, length: int = DEFAULT_LENGTH) -> Pseudonymiser:
        """Read the key from an environment variable (its UTF-8 text, stripped).

        Raises
        ------
        MissingKeyError
            If the variable is unset, empty or too short; the message says how
            to set it.

        Examples
        --------
        >>> import os
        >>> os.environ["TSINVEST_DOCTEST_KEY"] = "doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60"
        >>> Pseudonymiser.from_env("TSINVEST_DOCTEST_KEY")
        Pseudonymiser(key=<hidden>, length=12)
        >>> Pseudonymiser.from_env("TSINVEST_DOCTEST_UNSET_KEY")
        Traceback (most recent call last):
        ...
        tsinvest.exceptions.MissingKeyError: No pseudonymisation key: environment variable ... is not set...
        """
        text = os.environ.get(var)
        if text is None:
            raise MissingKeyError(
                f"No pseudonymisation key: environment variable {var} is not set. " + _HOW_TO_SET_KEY.format(var=var)
            )
        key = text.strip().encode("utf-8")
        if not key:
            raise MissingKeyError(
                f"No pseudonymisation key: environment variable {var} is empty. " + _HOW_TO_SET_KEY.format(var=var)
            )
        problem = key_strength_problem(key)
        if problem is not None:
            raise MissingKeyError(f"The pseudonymisation key in {var} is {problem}. " + _HOW_TO_SET_KEY.format(var=var))
        return cls(key, length=length)

    @classmethod
    def from_key_file(cls, path: str | os.PathLike, *, length: int = DEFAULT_LENGTH) -> Pseudonymiser:
        """Read the key from a file (its bytes, surrounding whitespace stripped).

        Raises
        ------
        MissingKeyError
            If the file does not exist, is empty or holds too short a key.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> key_file = pathlib.Path(tempfile.mkdtemp()) / "pseudonym.key"
        >>> _ = key_file.write_text("doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60\\n")
        >>> Pseudonymiser.from_key_file(key_file).pseudonym("42", kind="acct") == (
        ...     Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60").pseudonym("42", kind="acct"))
        True
        """
        file = Path(path)
        if not file.is_file():
            raise MissingKeyError(
                f"No pseudonymisation key: key file '{file.name}' does not exist. "
                + _HOW_TO_SET_KEY.format(var="TSINVEST_PSEUDONYM_KEY")
            )
        key = file.read_bytes().strip()
        problem = "empty" if not key else key_strength_problem(key)
        if problem is not None:
            raise MissingKeyError(
                f"The pseudonymisation key in '{file.name}' is {problem}. "
                + _HOW_TO_SET_KEY.format(var="TSINVEST_PSEUDONYM_KEY")
            )
        return cls(key, length=length)

    def pseudonym(self, value: object, *, kind: Kind = "acct") -> str:
        """Pseudonym of one identifier (missing or empty values come back unchanged).

        Examples
        --------
        >>> pseudonymiser = Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60")
        >>> token = pseudonymiser.pseudonym("10.0.0.1", kind="ip")
        >>> token.startswith("ip_"), len(token)
        (True, 15)
        """
        _check_kind(kind)
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            return value  # type: ignore[return-value]
        return self._tokens([str(value)], kind)[0]

    def _tokens(self, texts: Sequence[str], kind: str) -> list[str]:
        """Pseudonyms of distinct non-missing strings ("" stays ""); the hot loop."""
        inner_copy, outer_copy = self._inner.copy, self._outer.copy
        prefix = kind.encode("ascii") + b"\x00"
        length = self.length
        label = f"{kind}_"
        tokens = []
        for text in texts:
            canonical = _canonical(text, kind) if kind in ("email", "ip") else text
            if canonical == "":
                tokens.append("")
                continue
            inner = inner_copy()
            inner.update(prefix + canonical.encode("utf-8", "surrogatepass"))
            outer = outer_copy()
            outer.update(inner.digest())
            tokens.append(label + outer.hexdigest()[:length])
        return tokens

    def _distinct(self, values: Iterable[object]) -> tuple[np.ndarray, list[str]]:
        series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
        codes, distinct = pd.factorize(series.astype("string"), use_na_sentinel=True)
        return codes, [str(value) for value in distinct]

    def mapping(self, values: Iterable[object], *, kind: Kind = "acct") -> dict[str, str]:
        """Raw value -> pseudonym for every distinct non-empty value.

        Raises
        ------
        ParameterError
            If two different values received the same pseudonym (increase
            ``length``). The message names no value.

        Examples
        --------
        >>> pseudonymiser = Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60")
        >>> sorted(pseudonymiser.mapping(["b", "a", "a", None], kind="user"))
        ['a', 'b']
        """
        _check_kind(kind)
        _, distinct = self._distinct(values)
        result = {raw: token for raw, token in zip(distinct, self._tokens(distinct, kind), strict=True) if raw != ""}
        _check_collisions(result, kind, self.length)
        return result

    def pseudonymise(self, values: pd.Series, *, kind: Kind = "acct") -> pd.Series:
        """Replace every value of a Series by its pseudonym (string dtype, same index).

        Examples
        --------
        >>> pseudonymiser = Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60")
        >>> out = pseudonymiser.pseudonymise(pd.Series(["7", None, "7"], dtype="string"), kind="acct")
        >>> out.isna().tolist(), out[0] == out[2], str(out.dtype)
        ([False, True, False], True, 'string')
        """
        _check_kind(kind)
        # Hash each distinct value once, then gather by code: cost grows with
        # distinct ids, not rows.
        codes, distinct = self._distinct(values)
        tokens = self._tokens(distinct, kind)
        pairs = {raw: token for raw, token in zip(distinct, tokens, strict=True) if raw != ""}
        _check_collisions(pairs, kind, self.length)
        gathered = np.asarray(tokens + [None], dtype=object)[codes]  # code -1 (missing) picks None
        return pd.Series(gathered, index=values.index, name=values.name, dtype="string")


def key_strength_problem(key: bytes) -> str | None:
    """Why a key is too weak to pseudonymise with, or None when it is strong enough.

    A key must be at least :data:`MIN_KEY_BYTES` bytes, must not repeat a
    shorter pattern (``passwordpassword...``), and its estimated entropy
    (length times the Shannon entropy of its byte frequencies) must reach
    :data:`MIN_KEY_BITS`. The estimate is generous to structured text, so it
    rejects the obviously weak, not every weak key: generate keys with
    ``secrets.token_hex(32)``. The reason names sizes only, never key bytes.

    Examples
    --------
    >>> key_strength_problem(b"passwordpassword") is not None
    True
    >>> key_strength_problem(b"password" * 4)
    'a repeated pattern (a guessable key)'
    >>> key_strength_problem(bytes.fromhex("9f" * 32))
    'a repeated pattern (a guessable key)'
    >>> key_strength_problem(b"4c1f0b9e7a2d68c35e0f1a9b7c3d2e8f6a4b0c1d9e7f3a5b2c8d6e0f4a1b3c5d") is None
    True
    """
    import math
    from collections import Counter

    if len(key) < MIN_KEY_BYTES:
        return f"too short ({len(key)} bytes, at least {MIN_KEY_BYTES} needed)"
    if key in (key + key)[1:-1]:
        return "a repeated pattern (a guessable key)"
    counts = Counter(key)
    bits = -sum(count * math.log2(count / len(key)) for count in counts.values())
    if bits < MIN_KEY_BITS:
        return f"too predictable (about {int(bits)} bits of entropy estimated, at least {MIN_KEY_BITS} needed)"
    return None


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ParameterError(f"kind must be one of {', '.join(KINDS)}; got an unknown kind")


def _canonical(text: str, kind: str) -> str:
    if kind == "email":
        return text.strip().casefold()
    if kind == "ip":
        stripped = text.strip()
        try:
            return ipaddress.ip_address(stripped).compressed
        except ValueError:
            return stripped
    return text


def _check_collisions(mapping: Mapping[str, str], kind: str, length: int) -> None:
    pseudonyms = set(mapping.values())
    if len(pseudonyms) == len(mapping):
        return
    # Different raw spellings of one canonical value share a pseudonym on purpose.
    canonical = {_canonical(raw, kind) for raw in mapping}
    if len(pseudonyms) < len(canonical):
        raise ParameterError(
            f"two different '{kind}' values received the same pseudonym at length={length}; "
            "create the Pseudonymiser with a larger length= (e.g. 16)"
        )


# ---------------------------------------------------------------------------
# Free text


class TextRedactor:
    """Replace identifiers inside free text by their pseudonyms.

    Compile once, apply to many strings.

    Parameters
    ----------
    mapping : Mapping[str, str]
        Raw identifier -> pseudonym, e.g. the union of
        :meth:`Pseudonymiser.mapping` results.
    pseudonymiser : Pseudonymiser, optional
        With it the redactor is *default-deny*: identifier-like text that is
        not in ``mapping`` is pseudonymised too (see Notes). Without it only
        the ids of ``mapping`` are replaced.

    Notes
    -----
    Known ids are matched exactly, where they are not glued to a character
    of the same class: a numeric id is found inside ``ref_<id>`` or
    ``<id>x`` but not inside a longer number (``"123"`` stays in ``"91234"``,
    ``"12"`` in the IP ``"10.0.0.12"``); a username is found after ``@`` in
    any letter case. Where several known ids could match the longest wins
    (``"bob_smith"`` before ``"bob"``). Ids are also matched in their
    JSON-escaped and HTML-escaped spellings (``\\u00e9``, ``&lt;``), because
    evidence columns hold JSON and reports hold HTML.

    Default-deny (with ``pseudonymiser``) also replaces what no table
    listed: ``@mentions`` of unknown users (kind ``user``, case-folded),
    email addresses (``email``), IPv4 addresses (``ip``), phone numbers
    (``+`` or separators, 7 to 15 digits: ``phone``) and any run of 7 or
    more digits, glued to letters or not (``number``). Dates and times
    (``2026-03-02``, ``10:00:00``) are kept. The price is over-redaction
    of harmless long numbers (``1000000 views``), accepted because a
    redacted report must not leak.

    Matching cost per string grows with its length, not with the number of
    ids; compiling costs about 0.2 ms per known id that is not one word.

    Examples
    --------
    >>> redactor = TextRedactor({"123": "acct_aaa", "1234": "acct_bbb", "bob": "user_ccc"})
    >>> redactor.redact('{"accounts": ["1234", "123"], "by": "@BOB", "other": "91234", "ref": "ref_123"}')
    '{"accounts": ["acct_bbb", "acct_aaa"], "by": "@user_ccc", "other": "91234", "ref": "ref_acct_aaa"}'
    >>> strict = TextRedactor({}, pseudonymiser=Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60"))
    >>> strict.redact("mail x@y.org, call +44 20 7946 0000, @eve on 2026-03-02") # doctest: +ELLIPSIS
    'mail email_..., call phone_..., @user_... on 2026-03-02'
    """

    def __init__(self, mapping: Mapping[str, str], *, pseudonymiser: Pseudonymiser | None = None):
        lookup: dict[str, str] = {}
        for raw, token in mapping.items():
            if isinstance(raw, str) and raw:
                lookup.setdefault(raw, token)
        # Escaped spellings after the raw ones, so a raw id always keeps its own pseudonym.
        for raw, token in list(lookup.items()):
            for variant in _escaped_variants(raw):
                lookup.setdefault(variant, token)
        self._lookup = lookup
        folded: dict[str, str] = {}
        for raw, token in lookup.items():
            folded.setdefault(raw.casefold(), token)
        self._folded = folded
        self._pseudonymiser = pseudonymiser
        # Ids that are one word (numeric ids, IPv4, most usernames and device
        # ids) are found by the generic word pattern plus a dict lookup, which
        # costs nothing to compile. Only the others (emails, IPv6, names with
        # spaces, escaped spellings) go into the trie.
        others = sorted(raw for raw in lookup if not _SIMPLE_TOKEN.fullmatch(raw))
        branches = []
        if others:
            branches.append(f"{_GLUE_BEFORE}(?P<known>{_trie_regex(others)}){_GLUE_AFTER}")
        if pseudonymiser is not None:
            branches += [_DATE, _EMAIL, _MENTION, _IPV4, _PHONE]
        else:
            branches += [_MENTION]
        branches.append(f"(?P<word>{_BEFORE}{_SIMPLE_TOKEN.pattern})")
        self._pattern = re.compile("|".join(branches)) if (lookup or pseudonymiser is not None) else None

    def _unknown(self, text: str, kind: Kind) -> str:
        if self._pseudonymiser is None:
            return text
        return self._pseudonymiser.pseudonym(text.casefold() if kind in ("user", "email") else text, kind=kind)

    def _known(self, text: str) -> str | None:
        return self._lookup.get(text)

    def _digits(self, match: re.Match) -> str:
        run = match.group(0)
        token = self._lookup.get(run)
        if token is not None:
            return token
        return self._unknown(run, "number") if len(run) >= _MIN_NUMBER_DIGITS else run

    def _word(self, word: str) -> str:
        token = self._lookup.get(word)
        if token is not None:
            return token
        if _IPV4_RE.fullmatch(word):
            return self._unknown(word, "ip") if self._pseudonymiser is not None else word
        # Ids glued to letters (ref_<id>, <id>x, v.<id>): look at each digit run.
        return _DIGIT_RUN.sub(self._digits, word)

    def _replace(self, match: re.Match) -> str:
        kind = match.lastgroup
        text = match.group(0)
        if kind == "known":
            return self._lookup[text] if text in self._lookup else self._folded.get(text.casefold(), text)
        if kind == "word":
            return self._word(text)
        if kind == "date":
            return text
        if kind == "mention":
            name = text[1:]
            token = self._lookup.get(name) or self._folded.get(name.casefold())
            if token is not None:
                return "@" + token
            if self._pseudonymiser is not None:
                return "@" + self._unknown(name, "user")
            return "@" + self._word(name)
        if kind == "email":
            token = self._lookup.get(text) or self._folded.get(text.casefold())
            return token if token is not None else self._unknown(text, "email")
        if kind == "ipv4":
            token = self._lookup.get(text)
            return token if token is not None else self._unknown(text, "ip")
        if kind == "phone":
            digits = sum(char.isdigit() for char in text)
            plain = text.isdigit()
            if not plain and _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS and not _IPV4_RE.fullmatch(text):
                return self._unknown(text, "phone")
            # Not a phone number: several ids side by side, a version, a count.
            return _WORDS_IN_SPAN.sub(lambda inner: self._word(inner.group(0)), text)
        return text  # pragma: no cover - every group is handled above

    def redact(self, text: object) -> object:
        """Redact one string; non-strings (None, NA, numbers) come back unchanged."""
        if self._pattern is None or not isinstance(text, str):
            return text
        return self._pattern.sub(self._replace, text)

    def redact_series(self, texts: pd.Series) -> pd.Series:
        """Redact every string of a Series (missing values kept)."""
        if self._pattern is None:
            return texts.copy()
        return texts.map(self.redact, na_action="ignore").astype(texts.dtype)


def redact_text(
    text: str | pd.Series, mapping: Mapping[str, str], *, pseudonymiser: Pseudonymiser | None = None
) -> str | pd.Series:
    """Replace identifiers in a string or a Series of strings by their pseudonyms.

    See :class:`TextRedactor` (use it directly to reuse the compiled pattern
    across many calls); ``pseudonymiser`` makes it default-deny.

    Examples
    --------
    >>> redact_text("10.0.0.1 and 10.0.0.12 shared device d-9", {"10.0.0.1": "ip_1", "d-9": "device_2"})
    'ip_1 and 10.0.0.12 shared device device_2'
    >>> redact_text(pd.Series(["by 42", None], dtype="string"), {"42": "acct_x"}).tolist()
    ['by acct_x', <NA>]
    """
    redactor = TextRedactor(mapping, pseudonymiser=pseudonymiser)
    if isinstance(text, pd.Series):
        return redactor.redact_series(text)
    return redactor.redact(text)


# Token bounds of a word: not glued to a word character, nor to a dot that
# joins word characters ("12" is not a token of "10.0.0.12"), while a
# sentence-final dot still ends a token ("met bob.").
_BEFORE = r"(?<!\w)(?<!\w\.)"
_AFTER = r"(?!\w)(?!\.\w)"
# A maximal run of word characters joined by single dots always satisfies _AFTER.
_SIMPLE_TOKEN = re.compile(r"\w+(?:\.\w+)*")
# Bounds of a known id with punctuation (``ESC-1``, an email): not glued to a
# character of the same class as its own first / last one, so ``ref_ESC-1``
# and ``ESC-1x`` are found but ``ESC-12`` is not ``ESC-1``.
_GLUE_BEFORE = r"(?:(?=\d)(?<!\d)|(?=[^\W\d_])(?<![^\W\d_])|(?![^\W_]))"
_GLUE_AFTER = r"(?:(?<=\d)(?!\d)|(?<=[^\W\d_])(?![^\W\d_])|(?<![^\W_]))"
_DIGIT_RUN = re.compile(r"\d+")
_WORDS_IN_SPAN = re.compile(r"\w+(?:\.\w+)*")
_IPV4_RE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_MIN_NUMBER_DIGITS = 7
_MIN_PHONE_DIGITS = 7
_MAX_PHONE_DIGITS = 15
_DATE = (
    r"(?P<date>(?<!\d)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)"
    r"|(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?(?![\d:]))"
)
_EMAIL = r"(?P<email>(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
_MENTION = r"(?P<mention>(?<![\w@])@\w+(?:\.\w+)*)"
_IPV4 = r"(?P<ipv4>(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\w))"
_PHONE = r"(?P<phone>(?<![\w+])(?:\+|\(\+?)?\d(?:[ ().\-/]{0,2}\d){6,}(?!\w))"


def _escaped_variants(raw: str) -> set[str]:
    variants = {
        json.dumps(raw)[1:-1],
        json.dumps(raw, ensure_ascii=False)[1:-1],
        html.escape(raw, quote=True),
        html.escape(raw, quote=False),
    }
    variants.discard(raw)
    return variants


def _trie_regex(words: Sequence[str]) -> str:
    """Regex alternation of ``words`` factored as a trie, longest alternative first."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = True
    return _node_regex(trie)


def _node_regex(node: dict) -> str:
    ends = "" in node
    branches = []
    for char, child in sorted((item for item in node.items() if item[0] != ""), key=lambda item: item[0]):
        # Path compression: a chain of single-child nodes becomes one literal,
        # so recursion depth follows branch points, not id length.
        literal = char
        while len(child) == 1 and "" not in child:
            (next_char, child), = child.items()
            literal += next_char
        branches.append(re.escape(literal) + _node_regex(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Greedy optional: try the longer continuation first, fall back to ending here.
    return f"(?:{body})?" if ends else body


# ---------------------------------------------------------------------------
# Frames and graphs


def pseudonymise_frame(
    frame: pd.DataFrame,
    pseudonymiser: Pseudonymiser,
    *,
    columns: Sequence[str] | Mapping[str, Kind] = ("account_id",),
    kind: Kind = "acct",
    text_columns: Sequence[str] = (),
    mapping: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` with identifier columns replaced by pseudonyms.

    Parameters
    ----------
    frame : DataFrame
        Input table; not modified.
    pseudonymiser : Pseudonymiser
        Holds the key.
    columns : sequence of str or mapping of column -> kind
        Identifier columns. A plain sequence uses ``kind`` for all of them.
    kind : Kind, default "acct"
        Kind of the columns given as a plain sequence.
    text_columns : sequence of str, default ()
        Free-text columns (e.g. ``evidence`` JSON, ``text``) in which every raw
        id of ``columns`` (and of ``mapping``) is replaced by its pseudonym.
    mapping : mapping of str -> str, optional
        Extra raw -> pseudonym pairs for ``text_columns``, e.g. ids pseudonymised
        in another table.

    Returns
    -------
    DataFrame
        Same index and column order; id columns are string dtype.

    Raises
    ------
    ParameterError
        Listing every requested column the frame lacks, or on a pseudonym collision.

    Examples
    --------
    >>> frame = pd.DataFrame({"account_a": ["1", "2"], "account_b": ["2", "3"],
    ...                       "evidence": ['{"ip": "10.0.0.1", "with": "3"}', "shared with 1"]})
    >>> key = Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60")
    >>> out = pseudonymise_frame(frame, key, columns=["account_a", "account_b"], text_columns=["evidence"])
    >>> out.loc[0, "account_b"] == out.loc[1, "account_a"]
    True
    >>> out.loc[1, "evidence"] == "shared with " + out.loc[0, "account_a"]
    True
    """
    kinds = dict(columns) if isinstance(columns, Mapping) else {column: kind for column in columns}
    missing = [column for column in [*kinds, *text_columns] if column not in frame.columns]
    if missing:
        raise ParameterError(
            f"pseudonymise_frame: column(s) {', '.join(map(repr, missing))} not in the frame; "
            "check columns= and text_columns="
        )
    for column_kind in kinds.values():
        _check_kind(column_kind)
    result = frame.copy()
    text_mapping: dict[str, str] = {}
    for column, column_kind in kinds.items():
        result[column] = pseudonymiser.pseudonymise(frame[column], kind=column_kind)
        if text_columns:
            for raw, token in zip(frame[column].astype("string").tolist(), result[column].tolist(), strict=True):
                if isinstance(raw, str) and raw:
                    text_mapping.setdefault(raw, token)
    if text_columns:
        if mapping:
            for raw, token in mapping.items():
                text_mapping.setdefault(raw, token)
        redactor = TextRedactor(text_mapping)
        for column in text_columns:
            result[column] = redactor.redact_series(frame[column])
    return result


def pseudonymise_graph(
    graph: nx.Graph,
    pseudonymiser: Pseudonymiser,
    *,
    kind: Kind = "acct",
    id_attributes: Mapping[str, Kind] | None = None,
    mapping: Mapping[str, str] | None = None,
) -> nx.Graph:
    """A copy of a networkx graph with nodes and string attributes pseudonymised.

    Parameters
    ----------
    graph : networkx.Graph (any class)
        Input graph; not modified.
    pseudonymiser : Pseudonymiser
        Holds the key.
    kind : Kind, default "acct"
        Kind of the node ids.
    id_attributes : mapping of attribute name -> kind, optional
        Node/edge attributes whose whole value is an identifier
        (e.g. ``{"username": "user", "ip": "ip"}``).
    mapping : mapping of str -> str, optional
        Extra raw -> pseudonym pairs to redact inside string attributes.

    Returns
    -------
    networkx.Graph
        Same class; nodes relabelled; every other string attribute (node,
        edge and graph level, also inside lists, tuples and dicts, including
        dict keys) has raw ids replaced via :class:`TextRedactor`.

    Examples
    --------
    >>> import networkx as nx
    >>> graph = nx.Graph(name="ring around 1")
    >>> graph.add_node("1", username="alice", label="alice (1)")
    >>> graph.add_edge("1", "2", evidence='{"shared_ip": "10.0.0.1"}')
    >>> pseudonymiser = Pseudonymiser(b"doctest-key-6f0c1e9a2b7d4c8e3f5a9b1d7c2e4f60")
    >>> out = pseudonymise_graph(graph, pseudonymiser, id_attributes={"username": "user"},
    ...                          mapping=pseudonymiser.mapping(["10.0.0.1"], kind="ip"))
    >>> sorted(out.nodes) == sorted(pseudonymiser.mapping(["1", "2"]).values())
    True
    >>> "alice" in str(out.nodes(data=True)) or "10.0.0.1" in str(out.edges(data=True))
    False
    """
    id_attributes = dict(id_attributes or {})
    for attribute_kind in id_attributes.values():
        _check_kind(attribute_kind)
    node_mapping = pseudonymiser.mapping((str(node) for node in graph.nodes), kind=kind)
    relabel = {node: node_mapping.get(str(node), node) for node in graph.nodes}

    text_mapping: dict[str, str] = dict(node_mapping)
    attribute_mappings: dict[str, dict[str, str]] = {}
    for name, attribute_kind in id_attributes.items():
        values = [data[name] for _, data in graph.nodes(data=True) if isinstance(data.get(name), str)]
        values += [data[name] for *_, data in graph.edges(data=True) if isinstance(data.get(name), str)]
        attribute_mappings[name] = pseudonymiser.mapping(values, kind=attribute_kind)
        for raw, token in attribute_mappings[name].items():
            text_mapping.setdefault(raw, token)
    for raw, token in (mapping or {}).items():
        text_mapping.setdefault(raw, token)
    redactor = TextRedactor(text_mapping)

    def clean_attributes(data: Mapping[str, object]) -> dict[object, object]:
        cleaned: dict[object, object] = {}
        for name, value in data.items():
            if name in attribute_mappings and isinstance(value, str):
                cleaned[name] = attribute_mappings[name].get(value, value)
            else:
                cleaned[redactor.redact(name)] = _redact_nested(value, redactor)
        return cleaned

    result = graph.__class__()
    result.graph.update(clean_attributes(graph.graph))
    result.add_nodes_from((relabel[node], clean_attributes(data)) for node, data in graph.nodes(data=True))
    if graph.is_multigraph():
        result.add_edges_from(
            (relabel[u], relabel[v], _redact_nested(key, redactor), clean_attributes(data))
            for u, v, key, data in graph.edges(keys=True, data=True)
        )
    else:
        result.add_edges_from((relabel[u], relabel[v], clean_attributes(data)) for u, v, data in graph.edges(data=True))
    return result


def _redact_nested(value: object, redactor: TextRedactor) -> object:
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, Mapping):
        return {_redact_nested(key, redactor): _redact_nested(item, redactor) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(_redact_nested(item, redactor) for item in value)
    return value
