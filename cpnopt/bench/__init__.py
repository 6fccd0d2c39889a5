"""The benchmark harness: suites (TOML) → jobs → isolated runs → SQLite store → tables and plots."""
