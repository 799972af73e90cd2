SELECT '1' AS account_id, '2026-03-02T10:00:00Z' AS ts; COPY (SELECT 1) TO 'tsinvest_corpus_pwned.csv';
