SELECT content AS account_id, '2026-03-02T10:00:00Z' AS ts FROM read_text('/etc/passwd');
