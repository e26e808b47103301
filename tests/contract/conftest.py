from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from radgraph.store import Store, open_store


def _oxigraph_binary() -> str | None:
    local = Path(sys.executable).parent / "oxigraph"
    return str(local) if local.exists() else shutil.which("oxigraph")


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A real `oxigraph serve` on 127.0.0.1 with a free port, for the remote backend."""
    binary = _oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    location = tmp_path_factory.mktemp("oxigraph-serve")
    proc = subprocess.Popen(
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/query", params={"query": "ASK {}"}, timeout=1.0)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("oxigraph serve did not start")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(params=["memory", "oxigraph-disk", pytest.param("remote", marks=pytest.mark.remote)])
def store(request, tmp_path) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    if request.param == "remote":
        url = request.getfixturevalue("oxigraph_server")
        s = open_store(f"sparql:{url}")
        s._update("CLEAR ALL")  # type: ignore[attr-defined]
        with s:
            yield s
        return
    desc = "memory:" if request.param == "memory" else f"oxigraph:{tmp_path / 'kg'}"
    with open_store(desc) as s:
        yield s
