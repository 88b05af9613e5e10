"""Excel in and out: the roster importer and the printed ledgers (台账)."""
