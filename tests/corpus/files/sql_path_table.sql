SELECT *, '2026-03-02T10:00:00Z' AS ts FROM '/etc/hostname';
