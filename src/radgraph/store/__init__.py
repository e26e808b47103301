"""Triple stores behind one protocol, chosen by a descriptor string.

>>> with open_store("memory:") as store:
...     len(store)
0
"""

from __future__ import annotations

from radgraph.store.base import Row, Store, default_descriptor, open_store

__all__ = ["Row", "Store", "default_descriptor", "open_store"]
