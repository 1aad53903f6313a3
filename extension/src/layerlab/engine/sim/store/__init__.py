"""The simulated daemon's storage: SQLite (one transaction per command), the virtual clock and
ID source, and the union filesystem layers are made of."""
