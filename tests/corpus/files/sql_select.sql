-- a partner's query file
SELECT * FROM (VALUES ('00123', '2026-03-02T10:00:00Z'), ('7276431715937856976', '2026-03-02T12:00:00+02:00')) AS t(account_id, ts);
