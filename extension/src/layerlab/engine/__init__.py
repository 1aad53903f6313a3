"""Engines: the Engine API seam, the simulated engine and the real-engine adapter."""
