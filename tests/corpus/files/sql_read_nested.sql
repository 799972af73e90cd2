SELECT '1' AS account_id, '2026-03-02T10:00:00Z' AS ts WHERE 1 IN (SELECT 1 FROM read_csv('/etc/passwd'));
