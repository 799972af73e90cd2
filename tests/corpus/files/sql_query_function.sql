SELECT * FROM query('SELECT 1 AS account_id, ''2026-03-02T10:00:00Z'' AS ts');
