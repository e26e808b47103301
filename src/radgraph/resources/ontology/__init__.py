"""Packaged ontology resources (read with importlib.resources)."""
