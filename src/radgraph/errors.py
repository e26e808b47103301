"""The radgraph error and warning classes.

Every error names the offending value (with ``!r``) and where it came from. Errors that are
bad values subclass :class:`ValueError` (or :class:`KeyError` for unknown terms), so callers
that do not know radgraph still catch them.
"""

from __future__ import annotations


class RadgraphError(Exception):
    """Base class of every radgraph error."""


class RadgraphWarning(UserWarning):
    """A recoverable problem with input data (the data was used as far as it could be)."""


class InputError(RadgraphError, ValueError):
    """An input file or text cannot be read as a case."""


class RuleError(RadgraphError, ValueError):
    """A rule file has an invalid line (the message names ``path:line``)."""


class CurieError(RadgraphError, ValueError):
    """A CURIE or IRI is malformed or uses an unknown prefix."""


class UnknownTermError(RadgraphError, KeyError):
    """A label, synonym or CURIE does not name any concept of the ontology."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable.
        return str(self.args[0]) if self.args else ""


class OntologyError(RadgraphError):
    """The ontology or knowledge resources are inconsistent or cannot be loaded."""


class QueryError(RadgraphError, ValueError):
    """A SPARQL query is invalid, unknown, or was given bad parameters."""


class StoreError(RadgraphError):
    """A store operation failed."""


class StoreUnavailable(StoreError):
    """A store cannot be opened or reached (locked, missing, or the server does not answer)."""


class MissingExtraError(RadgraphError, ImportError):
    """An optional dependency is not installed; the message says which extra to install."""
