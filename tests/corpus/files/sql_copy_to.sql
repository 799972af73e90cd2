COPY (SELECT 'pwned' AS line) TO 'tsinvest_corpus_pwned.sh' (HEADER false);
