"""Read any supported source into raw columns, without coercing anything.

Supported sources (``source`` of :func:`tsinvest.loading.load_table`):

================================  =============================================
``pandas.DataFrame``              used as is (a named index becomes columns)
``*.csv``, ``*.tsv``              UTF-8 text (a UTF-8 BOM is stripped)
``*.jsonl``, ``*.ndjson``         one JSON object per line; numbers kept as text
``*.json``                        a JSON array of objects, or JSON Lines
``*.csv.gz`` (also .bz2, .xz)     text formats read compressed
``*.parquet``                     integers converted to exact decimal text later
``*.xlsx``                        the sheet named like the table, else the first
``*.duckdb``                      the table named like the canonical table, read
                                  in a sandbox (see :mod:`tsinvest.loading.sql`)
``*.sql``                         one SELECT query, run in the same sandbox (or
                                  on ``connection=``), no file readers
``"SELECT ..."`` (text)           the analyst's query, run on ``connection=`` (a
                                  DuckDB connection) or on a fresh in-memory
                                  DuckDB connection, which can read files in place
================================  =============================================

Text formats are read as text only: nothing is turned into a number, a date or
a missing value here. Row numbers are the 1-based data rows as the analyst sees
them: the N-th record after the header in CSV/TSV, the line number in JSONL,
sheet row minus one in Excel, the position in a DataFrame or query result.
Blank lines are skipped but still counted, so later row numbers stay right.

Examples
--------
>>> import pandas as pd
>>> raw = read_source(pd.DataFrame({"account_id": ["00123"]}), table="logins")
>>> raw.names, raw.row_numbers.tolist()
(['account_id'], [1])
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, NoReturn, cast

import numpy as np
import pandas as pd

from tsinvest.exceptions import ParameterError, Problem, SchemaValidationError, UnsafeInputError
from tsinvest.loading.issues import RowIssue

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

__all__ = [
    "RawTable",
    "read_source",
    "is_sql_query",
    "split_suffixes",
    "unsupported_reason",
    "FileFormat",
    "READERS",
    "FILE_EXTENSIONS",
    "COMPRESSIONS",
    "file_format",
    "duckdb_reader",
    "escape_glob",
    "SOURCE_DATAFRAME",
    "SOURCE_QUERY",
]

#: Compression suffixes read transparently on text formats (csv, tsv, jsonl, json): events.csv.gz.
COMPRESSIONS = ("gz", "bz2", "xz")
#: A compressed input may expand to at most this many times its size (and always to 64 MiB).
MAX_COMPRESSION_RATIO = 200
MIN_DECOMPRESSED_LIMIT = 64 * 2**20
_UNSUPPORTED_COMPRESSIONS = {"zst": "zstd -d", "zip": "unzip", "7z": "7z x", "lz4": "lz4 -d"}


@dataclass(frozen=True)
class FileFormat:
    """How one readable file format is read: by :func:`read_source`, and in place by DuckDB.

    Attributes
    ----------
    kind : {"delimited", "json", "parquet", "xlsx", "duckdb", "sql"}
        The reader :func:`read_source` uses.
    delimiter : str or None
        Field separator of a delimited format.
    text : bool
        A text format, also read compressed (``events.csv.gz``).
    table : bool
        Holds one table (found by ``load_dir`` and the workspace by file name);
        ``.duckdb`` and ``.sql`` hold tables or queries and are passed by name.
    """

    kind: Literal["delimited", "json", "parquet", "xlsx", "duckdb", "sql"]
    delimiter: str | None = None
    text: bool = False
    table: bool = True


#: The reader registry: file suffix (lower case) -> format. Every list of readable
#: suffixes in tsinvest (``load_dir``, the workspace, ``coordination_edges`` on a path,
#: the provenance row counts) is derived from it.
READERS: Mapping[str, FileFormat] = MappingProxyType({
    "csv": FileFormat("delimited", ",", text=True),
    "tsv": FileFormat("delimited", "\t", text=True),
    "tab": FileFormat("delimited", "\t", text=True),
    "jsonl": FileFormat("json", text=True),
    "ndjson": FileFormat("json", text=True),
    "json": FileFormat("json", text=True),
    "parquet": FileFormat("parquet"),
    "pq": FileFormat("parquet"),
    "xlsx": FileFormat("xlsx"),
    "duckdb": FileFormat("duckdb", table=False),
    "sql": FileFormat("sql", table=False),
})
#: File extensions read as tables (besides .duckdb and .sql, which hold tables or queries).
FILE_EXTENSIONS = tuple(suffix for suffix, form in READERS.items() if form.table)
_TEXT_FORMATS = tuple(suffix for suffix, form in READERS.items() if form.text)
SOURCE_DATAFRAME = "<DataFrame>"
SOURCE_QUERY = "<SQL query>"

# pandas' C parser pays per column; beyond this width the csv-module path builds one object block.
_WIDE = 2000
_SQL_START = re.compile(
    r"^\s*(?:--[^\n]*\n\s*)*\(?\s*(select|with|from|values|table|pivot|unpivot|summarize)(?=[\s(*])", re.IGNORECASE
)
_RAGGED = "wrong number of fields for the header: a stray delimiter or quote, or a cut-off line"
_TRUNCATED = (
    "the file ends inside a quoted field that starts in this row: the file is truncated or a quote is "
    "unbalanced; nothing after this point could be read"
)


@dataclass
class RawTable:
    """Columns exactly as read, before mapping and coercion.

    ``frame`` has positional column labels ``0..len(names)-1`` (names may repeat,
    which is reported later) and a RangeIndex; ``row_numbers[i]`` is the file row
    of frame row ``i``. ``issues`` are whole-row reading problems (ragged rows,
    broken JSON lines) keyed by frame position.
    """

    source: str
    path: Path | None
    names: list[str]
    frame: pd.DataFrame
    row_numbers: np.ndarray
    issues: list[RowIssue] = field(default_factory=list)
    #: JSON value kinds that cannot be ids, per raw column name: {name: {kind: frame positions}}.
    value_kinds: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def is_sql_query(source: object) -> bool:
    """True when ``source`` is query text rather than a path.

    Examples
    --------
    >>> is_sql_query("SELECT * FROM 'events.parquet'"), is_sql_query("events.csv")
    (True, False)
    """
    return isinstance(source, str) and bool(_SQL_START.match(source))


def _fail(source: str, table: str, reason: str, *, rows: tuple[int, ...] = (), count: int = 0) -> NoReturn:
    raise SchemaValidationError(source, table, [Problem(None, reason, rows, count)])


def _clean_names(names: Iterable[object]) -> list[str]:
    cleaned = []
    for position, name in enumerate(names, start=1):
        text = "" if name is None else str(name).strip()
        cleaned.append(text or f"unnamed_{position}")
    return cleaned


def split_suffixes(path: str | Path) -> tuple[str, str, str | None]:
    """``(stem, format, compression)`` of a file name, lower-cased where it matters.

    Examples
    --------
    >>> split_suffixes("Events.CSV.gz"), split_suffixes("reports.json")
    (('Events', 'csv', 'gz'), ('reports', 'json', None))
    """
    name = Path(path).name
    parts = name.split(".")
    compression = None
    if len(parts) > 2 and parts[-1].lower() in COMPRESSIONS + tuple(_UNSUPPORTED_COMPRESSIONS):
        compression = parts.pop().lower()
    if len(parts) < 2:
        return name, "", compression
    return ".".join(parts[:-1]), parts[-1].lower(), compression


_COMPRESSED_TEXT_ONLY = f"only text formats ({', '.join(_TEXT_FORMATS)}) are read compressed; decompress it first"


def file_format(path: str | Path) -> tuple[FileFormat | None, str | None]:
    """The registered format of a file name and its compression (None, None if unknown).

    Examples
    --------
    >>> form, compression = file_format("Events.TSV.gz")
    >>> form.kind, form.delimiter, compression
    ('delimited', '\\t', 'gz')
    >>> file_format("notes.txt")
    (None, None)
    """
    _, suffix, compression = split_suffixes(path)
    form = READERS.get(suffix)
    if form is None or (compression is not None and not (form.text and compression in COMPRESSIONS)):
        return None, None
    return form, compression


def escape_glob(path: str) -> str:
    """Make DuckDB read exactly ``path``: ``?``, ``*`` and ``[`` become one-character classes.

    Examples
    --------
    >>> escape_glob("/data/case?1/[a]*.csv")
    '/data/case[?]1/[[]a][*].csv'
    """
    return "".join(f"[{char}]" if char in "?*[" else char for char in path)


def duckdb_reader(path: str | Path, *, glob: bool = False) -> str | None:
    """SQL that reads the file ``path`` in place with DuckDB, every delimited column as text.

    Covers the registered formats DuckDB reads itself: delimited text (also
    gzip-compressed), JSON Lines and Parquet; None for any other file. The
    path is glob-escaped (only this file is read) unless ``glob=True``.

    Examples
    --------
    >>> print(duckdb_reader("/data/it's events.tsv"))
    read_csv('/data/it''s events.tsv', all_varchar = true, header = true, delim = '\\t')
    >>> duckdb_reader("events.xlsx") is None
    True
    """
    from tsinvest.loading.sql import quote_literal

    form, compression = file_format(path)
    if form is None or compression not in (None, "gz"):
        return None
    literal = quote_literal(str(path) if glob else escape_glob(str(path)))
    if form.kind == "parquet":
        return f"read_parquet({literal})"
    if form.kind == "delimited":
        # Every column as text: ids keep their leading zeros and full 19 digits.
        delimiter = str(form.delimiter).replace("\t", "\\t")
        return f"read_csv({literal}, all_varchar = true, header = true, delim = '{delimiter}')"
    if form.kind == "json" and split_suffixes(path)[1] != "json":
        return f"read_json({literal}, format = 'newline_delimited')"
    return None


def _read_bytes(path: Path, compression: str | None, *, source: str, table: str) -> bytes:
    if compression is None:
        return path.read_bytes()
    import bz2
    import gzip
    import lzma

    opener = {"gz": gzip.GzipFile, "bz2": bz2.BZ2File, "xz": lzma.LZMAFile}[compression]
    # A decompression bomb (a few KB that expand to terabytes) must fail fast, not fill memory.
    limit = max(MIN_DECOMPRESSED_LIMIT, MAX_COMPRESSION_RATIO * path.stat().st_size)
    chunks, total = [], 0
    try:
        with opener(path, "rb") as stream:
            while chunk := stream.read(16 * 2**20):
                total += len(chunk)
                if total > limit:
                    _fail(
                        source,
                        table,
                        f"expands more than {MAX_COMPRESSION_RATIO} times its compressed size (a decompression "
                        "bomb or a wrongly named file); decompress it yourself if it is genuine",
                    )
                chunks.append(chunk)
    except (OSError, EOFError, lzma.LZMAError, ValueError) as error:
        reason = f"not a readable .{compression} file ({type(error).__name__}); the archive is damaged or cut off"
        _fail(source, table, reason)
    return b"".join(chunks)


def _utf16_without_bom(sample: bytes) -> str | None:
    """'LE'/'BE' when every other byte is NUL, as in UTF-16 text without a byte-order mark."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
        return "LE"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "BE"
    return None


def _decode(data: bytes, *, source: str, table: str, header_lines: int) -> str:
    """Decode UTF-8 (BOM stripped) or fail with every undecodable row and a suggested encoding."""
    offset = 0
    if data.startswith(codecs.BOM_UTF8):
        data, offset = data[len(codecs.BOM_UTF8):], len(codecs.BOM_UTF8)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _fail(source, table, "file is UTF-16 encoded; UTF-8 is expected: re-save or export it as UTF-8")
    # Only the first bytes (the header, written by the exporter) so user text cannot trigger it.
    order = _utf16_without_bom(data[:64])
    if order:
        _fail(
            source,
            table,
            f"file looks UTF-16 ({order}) encoded without a byte-order mark (every other byte is NUL); "
            "UTF-8 is expected: re-save or export it as UTF-8",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="surrogateescape")
    bad = [m.start() for m in re.finditer("[\udc80-\udcff]+", text)]
    first = bad[0]
    byte_offset = len(text[:first].encode("utf-8", errors="surrogateescape")) + offset
    lines = sorted({text.count("\n", 0, position) + 1 for position in bad})
    rows = tuple(line - header_lines for line in lines if line > header_lines)
    try:
        data.decode("cp1252")
        guess = "Windows-1252 / latin-1"
    except UnicodeDecodeError:
        guess = "latin-1 or another legacy single-byte encoding"
    where = "the header" if lines[0] <= header_lines else f"line {lines[0]}"
    _fail(
        source,
        table,
        f"not valid UTF-8: first undecodable byte at byte offset {byte_offset} ({where}); the file looks like "
        f"{guess}: re-save it as UTF-8 (e.g. read with encoding='cp1252' and write with encoding='utf-8')",
        rows=rows[:1000],
        count=len(rows),
    )


@contextlib.contextmanager
def _unlimited_csv_fields() -> Iterator[None]:
    # The csv module refuses fields over 128 KiB by default; long user text is legitimate.
    previous = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


# Stands in for a lone carriage return inside a field while parsing (a Unicode noncharacter).
_LONE_CR = "\ufdd0"


def _line_endings(text: str, *, source: str, table: str) -> tuple[str, bool]:
    """Make line endings unambiguous for the parsers; True when lone CRs must be restored in values.

    A file with CR-only line endings (classic Mac) gets LF endings. In a file
    with LF or CRLF endings, a carriage return not followed by LF is content
    typed inside a field (e.g. a pasted comment), not a new row.
    """
    if "\r" not in text:
        return text, False
    if "\n" not in text:
        return text.replace("\r", "\n"), False
    if re.search("\r(?!\n)", text) is None:
        return text, False
    if _LONE_CR in text:
        _fail(
            source, table, "file mixes line endings with carriage returns inside fields; save it with LF line endings"
        )
    return re.sub("\r(?!\n)", _LONE_CR, text), True


def _restore_lone_cr(frame: pd.DataFrame, names: list[str]) -> tuple[pd.DataFrame, list[str]]:
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object:
            frame[column] = values.map(lambda v: v.replace(_LONE_CR, "\r") if isinstance(v, str) else v)
    return frame, [name.replace(_LONE_CR, "\r") for name in names]


def _read_delimited(data: bytes, path: Path, *, sep: str, source: str, table: str) -> RawTable:
    """CSV or TSV: Arrow's or pandas' parser when every row has the header's width, else the exact csv-module path."""
    if re.fullmatch(rb"[ \t\r\n\xef\xbb\xbf]*", data):
        _fail(source, table, "file is empty: no header row and no data")
    with _unlimited_csv_fields():
        parsed = _regular_bytes(data, sep)
        if parsed is not None:
            names, frame, keep = parsed
            return _raw_delimited(source, path, names, frame, keep, [], lone_cr=False)
        text = _decode(data, source=source, table=table, header_lines=1)
        del data
        text, lone_cr = _line_endings(text, source=source, table=table)
        lengths, truncated = _field_counts(io.StringIO(text), sep)
        frame = _regular_frame(io.StringIO(text), sep, lengths, has_nul="\x00" in text)
        if frame is not None and lengths is not None:
            names, frame, keep = _split_header(frame, lengths)
            issues: list[RowIssue] = []
        else:
            names, frame, keep, issues = _exact_rows(text, sep, truncated=truncated)
    return _raw_delimited(source, path, names, frame, keep, issues, lone_cr=lone_cr)


def _raw_delimited(
    source: str, path: Path, names: list[str], frame: pd.DataFrame, keep: np.ndarray, issues: list[RowIssue],
    *, lone_cr: bool,
) -> RawTable:
    row_numbers = np.arange(1, len(frame) + 1)
    if not keep.all():
        frame, row_numbers, issues = _drop_rows(frame, row_numbers, issues, keep)
    if lone_cr:
        frame, names = _restore_lone_cr(frame, names)
    return RawTable(source, path, names, frame, row_numbers, issues)


def _split_header(frame: pd.DataFrame, lengths: np.ndarray) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    """Header names, the records under them, and which records are not blank lines."""
    names = _clean_names(frame.iloc[0].tolist())
    frame = frame.iloc[1:].reset_index(drop=True)
    frame.columns = range(len(names))
    return names, frame, lengths[1:] != 0


def _regular_bytes(data: bytes, sep: str) -> tuple[list[str], pd.DataFrame, np.ndarray] | None:
    """The common case read straight from the bytes, or None for every file that needs the text path.

    A regular UTF-8 file (no byte-order mark, no lone carriage return, no
    NUL, every row the header's width) never becomes one Python string: the
    field count decodes it a block at a time (and so checks the encoding) and
    pyarrow (no blank line) or pandas (blank lines) parses the bytes, so the
    file is not held three times over as text.
    Anything else (other encodings, ragged rows, line-ending repairs) returns
    None and takes the text path, which reports every problem.
    """
    if data.startswith(codecs.BOM_UTF8) or _utf16_without_bom(data[:64]) or b"\x00" in data:
        return None
    if b"\r" in data and re.search(rb"\r(?!\n)", data) is not None:
        return None
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="strict", newline="")
    try:
        lengths, _ = _field_counts(stream, sep)
    except UnicodeDecodeError:
        return None
    frame = _arrow_frame(data, sep, lengths)
    if frame is None:
        frame = _regular_frame(io.BytesIO(data), sep, lengths, has_nul=False)
    if frame is None or lengths is None:
        return None
    return _split_header(frame, lengths)


def _arrow_frame(data: bytes, sep: str, lengths: np.ndarray | None) -> pd.DataFrame | None:
    """All records (header first) as Arrow-backed text read by pyarrow's CSV reader, or None.

    Used only for files the strict csv-module scan accepted, with every row
    the header's width and no blank line, so both parsers see the same
    records; the record count is checked again. No cell becomes a Python
    object: ``load_events`` of a million rows peaks at 462-498 MiB instead
    of 650 MiB (bench/README.md).
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    if lengths is None or not len(lengths) or not np.all(lengths == lengths[0]) or lengths[0] > _WIDE:
        return None
    width = int(lengths[0])
    names = [f"f{i}" for i in range(width)]
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=names),
            parse_options=pa_csv.ParseOptions(delimiter=sep, quote_char='"', double_quote=True, escape_char=False,
                                              newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), null_values=[],
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != len(lengths):
        return None
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    frame.columns = range(width)
    return frame


def _field_counts(lines: io.TextIOBase, sep: str) -> tuple[np.ndarray | None, bool]:
    """Fields per record (a C-level scan, no Python work per row), or None and whether the file is cut off."""
    try:
        lengths = np.fromiter(map(len, csv.reader(lines, delimiter=sep, strict=True)), dtype=np.int64)
    except csv.Error as error:
        return None, "unexpected end of data" in str(error)
    return lengths, False


def _regular_frame(
    records: io.StringIO | io.BytesIO, sep: str, lengths: np.ndarray | None, *, has_nul: bool
) -> pd.DataFrame | None:
    """All records (header first) by pandas' C parser, or None when rows are ragged or the parsers disagree."""
    if lengths is None or not len(lengths):
        return None
    width = lengths[0]
    body = lengths[1:]
    # pandas < 2.2's C parser cuts a field at a NUL byte, so such files take the exact
    # csv-module path and the NUL is reported instead of silently dropped.
    if not (np.all((body == width) | (body == 0)) and not has_nul and width <= _WIDE):
        return None
    frame = pd.read_csv(
        records,
        sep=sep,
        header=None,
        dtype=object,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        engine="c",
        encoding="utf-8",
    )
    if len(frame) != len(lengths) or frame.shape[1] != width:
        return None
    return frame


def _exact_rows(text: str, sep: str, *, truncated: bool) -> tuple[list[str], pd.DataFrame, np.ndarray, list[RowIssue]]:
    """Names, cells padded to the header's width, non-blank rows and ragged/truncated rows, by the csv module."""
    records = list(csv.reader(io.StringIO(text), delimiter=sep, strict=False))
    names = _clean_names(records[0])
    width = len(names)
    rows = records[1:]
    keep = np.array([len(r) > 0 for r in rows], dtype=bool)
    wrong = np.array([len(r) not in (0, width) for r in rows], dtype=bool)
    fixed = []
    for record in rows:
        if len(record) > width:
            # Keep the overflow visible in the last column of the rejected row.
            record = record[: width - 1] + [sep.join(record[width - 1:])]
        fixed.append(record + [""] * (width - len(record)))
    cells = np.empty((len(fixed), width), dtype=object)
    if fixed:
        cells[:] = fixed  # one 2-D object block: pandas would otherwise build one array per column
    issues = []
    if truncated and len(rows):
        wrong[-1] = False
        issues.append(RowIssue(None, _TRUNCATED, np.array([len(rows) - 1])))
    if wrong.any():
        issues.append(RowIssue(None, _RAGGED, np.flatnonzero(wrong)))
    return names, pd.DataFrame(cells, columns=range(width), dtype=object), keep, issues


def _drop_rows(
    frame: pd.DataFrame, row_numbers: np.ndarray, issues: list[RowIssue], keep: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, list[RowIssue]]:
    """Drop blank rows but keep row numbers and issue positions aligned."""
    new_position = np.cumsum(keep) - 1
    frame = frame.loc[keep].reset_index(drop=True)
    issues = [RowIssue(i.column, i.reason, new_position[i.positions[keep[i.positions]]]) for i in issues]
    return frame, row_numbers[keep], issues


class _JsonFloat(str):
    """A JSON number with a fraction or exponent, kept as its exact text."""


class _JsonConstant(_JsonFloat):
    """NaN, Infinity or -Infinity (accepted by Python's json, not by JSON itself)."""


class _Repeated(dict):
    """A JSON object that repeated one of its keys (ambiguous value)."""


def _pairs(items: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(items)
    return _Repeated(result) if len(result) != len(items) else result


def _json_loads(text: str) -> object:
    # Numbers stay exact text: a 19-digit id must never pass through float.
    return json.loads(
        text, parse_int=str, parse_float=_JsonFloat, parse_constant=_JsonConstant, object_pairs_hook=_pairs
    )


_TOO_DEEP = "JSON nested too deeply to read (more than about 1,000 levels)"


def _read_json(data: bytes, path: Path, *, source: str, table: str, array_allowed: bool) -> RawTable:
    """JSON Lines (one object per line), or for ``.json`` files also one JSON array of objects.

    Row numbers are line numbers for JSON Lines and 1-based element positions for an array.
    """
    if not data.strip():
        _fail(source, table, "file is empty: no JSON lines")
    text = _decode(data, source=source, table=table, header_lines=0)
    records = _JsonRecords()
    for row_number, value in _json_items(text, source=source, table=table, array_allowed=array_allowed):
        records.add(row_number, value)
    names, frame = _object_block(records.records)
    return RawTable(
        source, path, _clean_names(names), frame, np.asarray(records.row_numbers, dtype=np.int64),
        records.issues(), records.value_kinds(),
    )


def _json_items(text: str, *, source: str, table: str, array_allowed: bool) -> list[tuple[int, object]]:
    """(row number, parsed value or the exception that stopped parsing it) per JSON line or array element."""
    if array_allowed and text.lstrip().startswith("["):
        try:
            document = _json_loads(text)
        except RecursionError:
            _fail(source, table, _TOO_DEEP)
        except ValueError as error:
            where = f" at line {error.lineno}, column {error.colno}" if isinstance(error, json.JSONDecodeError) else ""
            _fail(source, table, f"not valid JSON{where}; check that the export finished")
        return list(enumerate(cast("list[object]", document), start=1))
    items: list[tuple[int, object]] = []
    # Split on "\n" only: JSON strings may legally contain U+2028 and friends.
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            items.append((line_number, _json_loads(line)))
        except (ValueError, RecursionError) as error:
            items.append((line_number, error))
    return items


class _JsonRecords:
    """Parsed JSON objects as text cells, with the rows that are not objects and the value kinds per key."""

    def __init__(self) -> None:
        self.records: list[dict[str, str | None]] = []
        self.row_numbers: list[int] = []
        self.invalid: list[int] = []
        self.too_deep: list[int] = []
        self.not_object: list[int] = []
        self.repeated: list[int] = []
        # JSON kinds that can never be an id; kept as text for other columns, reported for ids.
        self.kinds: dict[str, dict[str, list[int]]] = {}

    def add(self, row_number: int, value: object) -> None:
        position = len(self.records)
        record: dict[str, str | None] = {}
        if isinstance(value, RecursionError):
            self.too_deep.append(position)
        elif isinstance(value, ValueError):
            self.invalid.append(position)
        elif not isinstance(value, dict):
            self.not_object.append(position)
        else:
            if isinstance(value, _Repeated):
                self.repeated.append(position)
            record = {str(key): self._as_text(str(key), item) for key, item in value.items()}
        self.records.append(record)
        self.row_numbers.append(row_number)

    def _kind(self, key: str, kind: str) -> None:
        self.kinds.setdefault(key, {}).setdefault(kind, []).append(len(self.records))

    def _as_text(self, key: str, value: object) -> str | None:
        if isinstance(value, _JsonFloat):
            if isinstance(value, _JsonConstant):
                self._kind(key, "non-finite number (NaN or Infinity)")
            else:
                self._kind(key, "number with a fraction or exponent")
            return str(value)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            self._kind(key, "true/false value")
            return "true" if value else "false"
        self._kind(key, "list or object")
        try:
            return json.dumps(value, ensure_ascii=False)
        except RecursionError:
            return None

    def issues(self) -> list[RowIssue]:
        found = [
            ("not valid JSON (a cut-off or malformed line)", self.invalid),
            (_TOO_DEEP, self.too_deep),
            ("not a JSON object (each line or array element must be {...})", self.not_object),
            ("repeats a key inside one object (ambiguous value)", self.repeated),
        ]
        return [RowIssue(None, reason, np.array(positions)) for reason, positions in found if positions]

    def value_kinds(self) -> dict[str, dict[str, np.ndarray]]:
        return {
            name: {kind: np.asarray(positions, dtype=np.int64) for kind, positions in found.items()}
            for name, found in self.kinds.items()
        }


def _object_block(records: list[dict[str, str | None]]) -> tuple[list[str], pd.DataFrame]:
    """Keys in first-seen order and the cells as one 2-D object block (one array per column is slow when wide)."""
    names = list(dict.fromkeys(key for record in records for key in record))
    if not names:
        return names, pd.DataFrame(index=range(len(records)))
    cells = np.empty((len(records), len(names)), dtype=object)
    if records:
        cells[:] = [[record.get(name) for name in names] for record in records]
    return names, pd.DataFrame(cells, columns=range(len(names)), dtype=object)


def _integer_dtype(arrow_type: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        prefix = "UInt" if pa.types.is_unsigned_integer(arrow_type) else "Int"
        return pd.api.types.pandas_dtype(f"{prefix}{arrow_type.bit_width}")
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    return None


_NOT_UTF8 = "binary value that is not UTF-8 text; ids and text must be exported as text"
_OUTSIDE_RANGE = "timestamp outside the supported years 1678-2261"


def _binary_as_text(column: pa.ChunkedArray, name: str, issues: list[RowIssue]) -> pa.Array | pa.ChunkedArray:
    """Binary cells (Parquet ``binary``) are text in bytes: decode, or report the rows that are not UTF-8."""
    import pyarrow as pa

    try:
        return column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    values = column.to_pylist()
    decoded, bad = [], []
    for position, value in enumerate(values):
        try:
            decoded.append(None if value is None else bytes(value).decode("utf-8"))
        except UnicodeDecodeError:
            decoded.append(None)
            bad.append(position)
    issues.append(RowIssue(name, _NOT_UTF8, np.asarray(bad, dtype=np.int64)))
    return pa.array(decoded, type=pa.string())


def _timestamps_in_range(
    column: pa.ChunkedArray, name: str, issues: list[RowIssue]
) -> pa.Array | pa.ChunkedArray:
    """Null out (and report) typed timestamps pandas cannot hold in nanoseconds (e.g. year 9999)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[kind.unit]
    if per_second == 10**9:
        return column
    ticks = pc.cast(column, pa.int64())
    low, high = pd.Timestamp.min.ceil("s").value, pd.Timestamp.max.floor("s").value
    outside = pc.or_(pc.less(ticks, low // (10**9 // per_second)), pc.greater(ticks, high // (10**9 // per_second)))
    mask = np.asarray(pc.fill_null(outside, False).to_numpy(zero_copy_only=False), dtype=bool)
    if mask.any():
        issues.append(RowIssue(name, _OUTSIDE_RANGE, np.flatnonzero(mask)))
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        column = pc.if_else(pa.array(mask), pa.scalar(None, kind), column)
    return column


def _from_arrow(arrow_table: pa.Table, *, source: str, path: Path | None) -> RawTable:
    """Arrow -> pandas keeping integers exact (nullable Int), text as text, decimals as Decimal."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = _clean_names(arrow_table.column_names)
    columns = []
    issues: list[RowIssue] = []
    for name, column in zip(names, arrow_table.columns, strict=True):
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = pc.cast(column, kind.value_type)
            kind = column.type
        if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind) or (
            hasattr(pa.types, "is_binary_view") and pa.types.is_binary_view(kind)
        ):
            column = _binary_as_text(column, name, issues)
        elif hasattr(pa.types, "is_string_view") and pa.types.is_string_view(kind):
            column = pc.cast(column, pa.string())
        elif pa.types.is_timestamp(kind):
            column = _timestamps_in_range(column, name, issues)
        columns.append(column)
    positional = pa.table(columns, names=[str(i) for i in range(len(names))])
    frame = positional.to_pandas(types_mapper=_integer_dtype)
    frame.columns = range(len(names))
    return RawTable(source, path, names, frame, np.arange(1, len(frame) + 1), issues)


def _read_parquet(path: Path, *, source: str, table: str) -> RawTable:
    import pyarrow.parquet as pq

    try:
        arrow_table = pq.read_table(path)
    except Exception as error:  # pyarrow raises several unrelated types for a bad file
        _fail(source, table, f"not a readable Parquet file ({type(error).__name__}); check the export")
    return _from_arrow(arrow_table, source=source, path=path)


def _read_xlsx(path: Path, *, source: str, table: str) -> RawTable:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # zipfile / XML errors of a damaged workbook
        _fail(source, table, f"not a readable .xlsx workbook ({type(error).__name__}); save it again from Excel")
    try:
        sheet = workbook[table] if table in workbook.sheetnames else workbook.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows or all(value is None for value in rows[0]):
        _fail(source, table, "worksheet is empty: no header row in the first row")
    header = list(rows[0])
    while header and header[-1] is None:
        header.pop()
    width = len(header)
    body = rows[1:]
    keep = np.array([any(value is not None for value in row) for row in body], dtype=bool)
    overflow = np.array([any(value is not None for value in row[width:]) for row in body], dtype=bool)

    def cell(value: object) -> object:
        # Excel holds every number as a double: make that explicit so ids beyond
        # 2**53 are reported by the id check instead of passing as exact ints.
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    values = [[cell(v) for v in (tuple(row[:width]) + (None,) * (width - len(row)))] for row in body]
    frame = pd.DataFrame(values, columns=range(width), dtype=object)
    issues = []
    if overflow.any():
        issues.append(RowIssue(None, "values to the right of the last header column", np.flatnonzero(overflow)))
    row_numbers = np.arange(1, len(frame) + 1)
    raw = RawTable(source, path, _clean_names(header), frame, row_numbers, issues)
    if not keep.all():
        raw.frame, raw.row_numbers, raw.issues = _drop_rows(frame, row_numbers, issues, keep)
    return raw


def _run_query(
    query: str, *, connection: duckdb.DuckDBPyConnection | None, source: str, untrusted: bool
) -> RawTable:
    """Run one SELECT; ``untrusted`` (a .sql file or .duckdb view) also forbids file readers."""

    from tsinvest.loading.sql import check_references, check_single_select, sandboxed_connection, trusted_connection

    check_single_select(query, source=source)
    if untrusted:
        check_references(query, source=source)
    if connection is not None:
        return _fetch(query, source=source, connection=connection)
    owned = sandboxed_connection() if untrusted else trusted_connection()
    try:
        return _fetch(query, source=source, connection=owned)
    finally:
        owned.close()


def _fetch(query: str, *, source: str, connection: duckdb.DuckDBPyConnection) -> RawTable:
    import duckdb

    try:
        relation = connection.sql(query)
        if relation is None:
            raise ParameterError(f"{source}: the SQL statement returned no rows; pass a SELECT query")
        # DuckDB renamed this method across versions (>= 1.4: to_arrow_table).
        for method in ("to_arrow_table", "fetch_arrow_table", "arrow"):
            if hasattr(relation, method):
                arrow_table = getattr(relation, method)()
                break
    except duckdb.PermissionException:
        raise UnsafeInputError(
            f"{source}: refused: the query (or a view it reads) tried to reach a file, the network or an "
            "extension; a SQL input may only read tables of its own database"
        ) from None
    except duckdb.Error as error:
        kind = type(error).__name__
        # Parser/catalog/binder messages describe the query, not the data; others may quote values.
        safe = kind in ("ParserException", "CatalogException", "BinderException", "IOException")
        detail = f": {str(error).splitlines()[0]}" if safe else ""
        raise ParameterError(f"{source}: the SQL query failed ({kind}){detail}") from None
    return _from_arrow(arrow_table, source=source, path=None)


def _read_duckdb_file(path: Path, *, table: str, source: str) -> RawTable:
    import duckdb

    from tsinvest.loading.sql import sandboxed_connection

    try:
        # Read-only, no file or network access: a stored view cannot read local files.
        connection = sandboxed_connection(str(path))
    except duckdb.Error as error:
        raise ParameterError(f"{source}: not a readable DuckDB database ({type(error).__name__})") from None
    try:
        present = sorted(
            row[0]
            for row in connection.sql(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()"
            ).fetchall()
        )
        if table not in present:
            raise ParameterError(
                f"{source}: has no table named '{table}' (tables: {', '.join(present) or 'none'}); "
                "create a view with the canonical name or pass a SELECT query"
            )
        raw = _fetch(f'SELECT * FROM "{table}"', source=source, connection=connection)
    finally:
        connection.close()
    raw.path = path
    return raw


def _from_dataframe(frame: pd.DataFrame) -> RawTable:
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()  # a named index is data (often the id): keep it
    names = _clean_names(frame.columns)
    positional = frame.reset_index(drop=True)
    positional.columns = range(len(names))
    return RawTable(SOURCE_DATAFRAME, None, names, positional, np.arange(1, len(positional) + 1))


def read_source(
    source: str | Path | pd.DataFrame, *, table: str, connection: duckdb.DuckDBPyConnection | None = None
) -> RawTable:
    """Read ``source`` (see module table) into a :class:`RawTable`.

    Raises
    ------
    SchemaValidationError
        The file cannot be read as a table at all (empty, wrong encoding, damaged).
    ParameterError
        The source is not a supported kind, does not exist, or a query failed.
    """
    if isinstance(source, pd.DataFrame):
        return _from_dataframe(source)
    if isinstance(source, str) and is_sql_query(source) and not Path(source).exists():
        return _run_query(source, connection=connection, source=SOURCE_QUERY, untrusted=False)
    if not isinstance(source, str | Path):
        raise ParameterError(
            "source= must be a file path, a pandas DataFrame or a SQL query string; "
            f"got {type(source).__name__}"
        )
    path = Path(source)
    name = str(source)
    if not path.is_file():
        raise ParameterError(f"source file '{name}' does not exist (or is not a file)")
    _, suffix, compression = split_suffixes(path)
    if compression in _UNSUPPORTED_COMPRESSIONS:
        raise ParameterError(
            f"'{name}': .{compression} compression is not supported; decompress it first "
            f"({_UNSUPPORTED_COMPRESSIONS[compression]}) or use .gz, .bz2 or .xz"
        )
    if compression and suffix not in _TEXT_FORMATS:
        raise ParameterError(f"'{name}': {_COMPRESSED_TEXT_ONLY}")
    form = READERS.get(suffix)
    if form is not None and form.text:
        if form.kind == "delimited":  # the bytes are not kept here: the reader drops them once parsed
            return _read_delimited(_read_bytes(path, compression, source=name, table=table), path,
                                   sep=str(form.delimiter), source=name, table=table)
        data = _read_bytes(path, compression, source=name, table=table)
        return _read_json(data, path, source=name, table=table, array_allowed=suffix == "json")
    if form is not None and form.kind == "parquet":
        return _read_parquet(path, source=name, table=table)
    if form is not None and form.kind == "xlsx":
        return _read_xlsx(path, source=name, table=table)
    if suffix == "duckdb":
        return _read_duckdb_file(path, table=table, source=name)
    if suffix == "sql":
        try:
            query = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ParameterError(f"'{name}': a .sql file must be UTF-8 text") from None
        raw = _run_query(query, connection=connection, source=name, untrusted=True)
        raw.path = path
        return raw
    raise ParameterError(f"'{name}': {unsupported_reason(suffix)}")


def unsupported_reason(suffix: str) -> str:
    """Why a file type is not read, with the fix."""
    hints = {"xls": "save it as .xlsx", "xlsm": "save it as .xlsx", "txt": "name it .csv or .tsv"}
    return (
        f"unsupported file type '.{suffix}'"
        + (f" ({hints[suffix]})" if suffix in hints else "")
        + f"; supported: {', '.join('.' + suffix for suffix in FILE_EXTENSIONS)} "
        f"(text formats also {'/'.join('.' + name for name in COMPRESSIONS)}), "
        ".duckdb, .sql, a DataFrame or a SQL query"
    )
