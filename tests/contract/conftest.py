from __future__ import annotations

from collections.abc import Iterator

import pytest

from radgraph.store import Store, open_store


@pytest.fixture(params=["memory", "oxigraph-disk"])
def store(request, tmp_path) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    desc = "memory:" if request.param == "memory" else f"oxigraph:{tmp_path / 'kg'}"
    with open_store(desc) as s:
        yield s
