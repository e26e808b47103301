"""Packaged data: ontology, knowledge, rules and the prefix map."""
