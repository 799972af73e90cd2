"""Write the bad-input corpus under tests/corpus/files/ (run once; the files are committed).

    python tests/corpus/make_corpus.py

Every file here has an entry in tests/corpus/expected.yaml saying what loading
it must do: fail with a problem naming column/rows, or load every row exactly.
"""

from __future__ import annotations

import codecs
from pathlib import Path

HERE = Path(__file__).parent / "files"
BIG = "7276431715937856976"
TS = "2026-03-02T10:00:00Z"
NAUGHTY = [
    "Robert'); DROP TABLE accounts;--",
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "\u202egnp.exe",
    "zero\u200bwidth",
    "👩‍👩‍👧‍👦 family",
    "ＡＢＣ full width",
    "Ω≈ç√∫",
    "undefined",
    "-1e308",
    "0x41",
    '"quoted", with comma',
    "tab\tinside",
    "  padded  ",
    "null",
    "\\N",
]


def write(name: str, text: str | bytes, encoding: str = "utf-8") -> None:
    path = HERE / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))


def csv_quote(value: str) -> str:
    if any(c in value for c in ',"\n\r') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    logins = "account_id,ts,user_agent\n"
    write("latin1.csv", logins + f"1,{TS},plain\n2,{TS},Müller\n3,{TS},ok\n4,{TS},café\n", "latin-1")
    write("bom.csv", codecs.BOM_UTF8 + (logins + f"00123,{TS},a\n{BIG},{TS},b\n").encode())
    write("utf16.csv", logins + f"1,{TS},a\n", "utf-16")
    write("crlf.csv", (logins + f"00123,{TS},a\n{BIG},{TS},b\n").replace("\n", "\r\n"))
    write(
        "mixed_offsets.csv",
        logins + "1,2026-03-02T10:00:00Z,a\n2,2026-03-02T12:00:00+02:00,b\n3,2026-03-02T05:00:00-05:00,c\n"
        "4,2026-03-02T10:00:00.000000+00:00,d\n5,2026-03-02T15:30:00+05:30,e\n",
    )
    write("naive.csv", logins + f"1,2026-03-02 11:00:00,a\n2,{TS},b\n3,2026-03-02T11:00,c\n")
    write("epoch_seconds.csv", logins + "1,1772445600,a\n2,1772445600.25,b\n")
    write("epoch_millis.csv", logins + "1,1772445600000,a\n2,1772445600250,b\n")
    write("unparseable_ts.csv", logins + f"1,{TS},a\n2,yesterday,b\n3,2026-02-30T10:00:00Z,c\n4,,d\n")
    write(
        "ids.csv",
        "account_id,created_at,username,display_name,follower_count\n"
        f"{BIG},{TS},big,,10\n00123,{TS},zero,Z,\n0000000000000000001,{TS},ones,,0\n9223372036854775807,{TS},max,,\n",
    )
    write(
        "ids.tsv",
        "account_id\tcreated_at\tusername\n" f"{BIG}\t{TS}\tbig\n00123\t{TS}\tzero\n",
    )
    write(
        "ids.jsonl",
        f'{{"account_id": {BIG}, "created_at": "{TS}", "username": "big", "follower_count": 7}}\n'
        f'{{"account_id": "00123", "created_at": "{TS}", "username": "zero", "follower_count": null}}\n',
    )
    write(
        "na_usernames.csv",
        "account_id,created_at,username,display_name\n"
        f"1,{TS},NA,NA\n2,{TS},null,null\n3,{TS},None,None\n4,{TS},nan,NaN\n5,{TS},NULL,#N/A\n6,{TS},N/A,\n",
    )
    write("duplicate_headers.csv", f"account_id,ts,ts\n1,{TS},{TS}\n")
    write("missing_columns.csv", f"acount_id,actoin,timestamp\n1,like,{TS}\n")
    write("empty.csv", "")
    write("header_only.csv", "account_id,action,target_id,ts\n")
    write("truncated.csv", logins + f'1,{TS},ok\n2,{TS},"Mozilla/5.0 (cut\n3,{TS},lost')
    write("ragged.csv", logins + f"1,{TS},a\n2,{TS}\n3,{TS},c,surplus\n4,{TS},d\n")
    write(
        "embedded_newlines.csv",
        "account_id,action,target_id,ts,text\n"
        f'1,comment,c1,{TS},"line one\nline two"\n2,comment,c2,{TS},"he said ""hi""\r\nbye"\n3,comment,c3,{TS},plain\n',
    )
    write("nul_bytes.csv", "account_id,action,target_id,ts,text\n" f'1,comment,c1,{TS},"a\x00b"\n2,comment,c2,{TS},fine\n')
    write("long_fields.csv", "account_id,action,target_id,ts,text\n" f"1,comment,c1,{TS},{'x' * 300_000}\n2,like,c2,{TS},\n")
    write(
        "naughty.csv",
        "account_id,action,target_id,ts,text\n"
        + "".join(f"{i},comment,c{i},{TS},{csv_quote(text)}\n" for i, text in enumerate(NAUGHTY, start=1)),
    )
    write(
        "bad_accounts.csv",
        "account_id,created_at,username,follower_count\n"
        f"{BIG},{TS},a,5\n{BIG},{TS},b,-1\n3,{TS},,2.5\n,{TS},d,\n5,{TS},e,1e3\n",
    )
    write(
        "bad_channel.csv",
        "ticket_id,channel,subject_account_id,policy,priority,opened_at,status\n"
        f"T1,user,1,spam,P1,{TS},open\nT2,email,2,spam,P1,{TS},open\nT3,regulator,3,spam,P1,{TS},open\n",
    )
    write(
        "bad_ids.jsonl",
        "".join(
            f'{{"account_id": {value}, "ts": "{TS}"}}\n'
            for value in ['"00123"', BIG, "1.5", "1e3", '{"id": 1}', "[1]", "true", "NaN", "Infinity", "null"]
        ),
    )
    write("truncated.jsonl", f'{{"account_id": "1", "ts": "{TS}"}}\n{{"account_id": "2", "ts": "2026-0')
    _sql_files()
    _shape_files()
    _binary_files()


#: Files an attack would create if a SQL input ran as code (the corpus test checks they never appear).
PWNED = "tsinvest_corpus_pwned"


def _sql_files() -> None:
    """SQL inputs are data: every attack class is refused, a plain SELECT loads."""
    write("sql_select.sql", "-- a partner's query file\nSELECT * FROM (VALUES ('00123', '2026-03-02T10:00:00Z'), "
          f"('{BIG}', '2026-03-02T12:00:00+02:00')) AS t(account_id, ts);\n")
    write("sql_copy_to.sql", f"COPY (SELECT 'pwned' AS line) TO '{PWNED}.sh' (HEADER false);\n")
    write("sql_attach.sql", f"ATTACH '{PWNED}.duckdb' AS pwned;\n")
    write("sql_install.sql", "INSTALL httpfs;\n")
    write("sql_load.sql", "LOAD httpfs;\n")
    write("sql_set.sql", "SET enable_external_access = true;\n")
    write("sql_pragma.sql", "PRAGMA database_list;\n")
    write(
        "sql_multi.sql",
        f"SELECT '1' AS account_id, '{TS}' AS ts; COPY (SELECT 1) TO '{PWNED}.csv';\n",
    )
    write("sql_read_text.sql", f"SELECT content AS account_id, '{TS}' AS ts FROM read_text('/etc/passwd');\n")
    write(
        "sql_read_nested.sql",
        f"SELECT '1' AS account_id, '{TS}' AS ts WHERE 1 IN (SELECT 1 FROM read_csv('/etc/passwd'));\n",
    )
    write("sql_path_table.sql", f"SELECT *, '{TS}' AS ts FROM '/etc/hostname';\n")
    write("sql_query_function.sql", f"SELECT * FROM query('SELECT 1 AS account_id, ''{TS}'' AS ts');\n")


def _shape_files() -> None:
    """Names, compression, line endings, encodings and dates that used to be skipped or crash."""
    import bz2
    import gzip
    import json

    write("Events.csv", f"account_id,action,target_id,ts\n00123,share,v1,{TS}\n")
    reports = [{"report_id": "r1", "reporter_id": "00123", "target_account_id": BIG, "policy": "spam", "ts": TS},
               {"report_id": "r2", "reporter_id": 42, "target_account_id": "7", "policy": "spam", "ts": TS}]
    write("reports.json", json.dumps(reports, indent=1))
    write("reports_lines.json", "".join(json.dumps(r) + "\n" for r in reports))
    logins = f"account_id,ts,user_agent\n00123,{TS},a\n{BIG},{TS},b\n"
    (HERE / "logins.csv.gz").write_bytes(gzip.compress(logins.encode(), mtime=0))
    (HERE / "logins.csv.bz2").write_bytes(bz2.compress(logins.encode()))
    write("logins.csv.zst", b"\x28\xb5\x2f\xfd" + b"\x00" * 16)
    write("cr_only.csv", logins.replace("\n", "\r"))
    write("cr_in_field.csv", f"account_id,ts,user_agent\n1,{TS},first\rsecond\n2,{TS},ok\n")
    write("utf16_no_bom.csv", logins, "utf-16-le")
    deep = "[" * 100_000 + "]" * 100_000
    write("deep_nested.jsonl", f'{{"account_id": "1", "ts": "{TS}"}}\n{{"account_id": "2", "ts": "{TS}", "x": {deep}}}\n')
    write("deep_nested.json", f'[{{"account_id": "1", "ts": "{TS}", "x": {deep}}}]')
    write("headerless.csv", f"00123,{TS},+44 7700 900123,alice@example.com\n2,{TS},+44 7700 900456,bob@example.com\n")
    write("excel_serial.csv", "account_id,ts\n1,46083.5\n2,46083\n")
    extra = [f"x{i}" for i in range(2500)]
    write(
        "wide_row.csv",
        ",".join(["account_id", "action", "target_id", "ts", *extra]) + "\n"
        + ",".join(["00123", "share", "v1", TS, "a\x00b", *["" for _ in extra[1:]]]) + "\n",
    )


def _duckdb_files() -> None:
    import duckdb

    path = HERE / "view_reads_file.duckdb"
    path.unlink(missing_ok=True)
    connection = duckdb.connect()
    # Small blocks keep the committed file at ~30 KB instead of ~500 KB.
    connection.execute(f"ATTACH '{path}' AS corpus (BLOCK_SIZE 16384)")
    connection.execute("USE corpus")
    connection.execute(
        f"CREATE VIEW logins AS SELECT content AS account_id, TIMESTAMPTZ '{TS}' AS ts FROM read_text('/etc/passwd')"
    )
    connection.execute(f"CREATE TABLE events AS SELECT '00123' AS account_id, 'like' AS action, 'v1' AS target_id, '{TS}' AS ts")
    connection.close()


def _binary_files() -> None:
    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({"account_id": pa.array([int(BIG), 123], pa.int64()), "ts": [TS, "2026-03-02T12:00:00+02:00"]}),
        HERE / "int64_ids.parquet",
    )
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["account_id", "ts"])
    sheet.append([BIG, TS])
    sheet.append(["00123", TS])
    workbook.save(HERE / "text_ids.xlsx")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["account_id", "ts"])
    sheet.append([int(BIG), TS])
    sheet.append([123, TS])
    workbook.save(HERE / "numeric_ids.xlsx")
    _duckdb_files()
    _id_files()


def _id_files() -> None:
    """Ids in every typed shape: decoded exactly, or a clear error naming file, row and column."""
    import datetime
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    times = pa.array([datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.timezone.utc)] * 2, pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table({"account_id": pa.array([b"00123", BIG.encode()], pa.binary()), "ts": times}),
                   HERE / "binary_ids.parquet")
    pq.write_table(pa.table({"account_id": pa.array([b"00123", b"\xff\xfe1"], pa.binary()), "ts": times}),
                   HERE / "binary_not_utf8_ids.parquet")
    pq.write_table(
        pa.table({"account_id": pa.array([Decimal("123.00"), Decimal(BIG + ".00")], pa.decimal128(25, 2)), "ts": times}),
        HERE / "decimal_ids.parquet",
    )
    pq.write_table(
        pa.table({"account_id": pa.array([Decimal("123.00"), Decimal("7.50")], pa.decimal128(10, 2)), "ts": times}),
        HERE / "decimal_fraction_ids.parquet",
    )
    pq.write_table(pa.table({"account_id": pa.array([["1", "2"], ["3"]]), "ts": times}), HERE / "list_ids.parquet")
    far = pa.array([datetime.datetime(9999, 12, 31, tzinfo=datetime.timezone.utc),
                    datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.timezone.utc)], pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table({"account_id": ["1", "2"], "ts": far}), HERE / "year_9999.parquet")


if __name__ == "__main__":
    main()
