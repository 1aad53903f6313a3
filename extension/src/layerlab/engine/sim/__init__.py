"""The simulated Docker engine."""
