ATTACH 'tsinvest_corpus_pwned.duckdb' AS pwned;
