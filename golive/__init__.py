"""golive: the go-live validation suite (PYTEST_DONT_REWRITE: the `golive` command imports this package before
pytest starts; its modules assert nothing a test reads)."""
