"""Packaged rules resources (read with importlib.resources)."""
