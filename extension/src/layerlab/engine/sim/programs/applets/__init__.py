"""Busybox's applets as simulated programs; ``..busybox`` is the multi-call binary that
dispatches to them."""
