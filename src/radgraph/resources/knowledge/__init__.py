"""Packaged knowledge resources (read with importlib.resources)."""
