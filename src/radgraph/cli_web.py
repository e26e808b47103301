"""``radgraph serve``: the SPARQL endpoint and the page (the ``[web]`` extra).

The command only parses its options, builds the app with :func:`radgraph.web.create_app` and
hands it to uvicorn. ``radgraph.cli`` registers it with ``main.add_command(serve)``.
"""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

import click

from radgraph.errors import MissingExtraError, RadgraphError, StoreUnavailable

log = logging.getLogger(__name__)

TOKEN_ENV = "RADGRAPH_TOKEN"
EXIT_INTERNAL, EXIT_STORE = 1, 5
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@click.command("serve")
@click.option(
    "--store",
    "store_desc",
    default=None,
    help="Store: oxigraph:PATH, memory: or sparql:URL (default: $RADGRAPH_STORE or the per-user store).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=7878, show_default=True, help="TCP port.")
@click.option(
    "--allow-update",
    is_flag=True,
    help=f"Accept SPARQL UPDATE with 'Authorization: Bearer TOKEN' (needs --token or ${TOKEN_ENV}).",
)
@click.option(
    "--token",
    envvar=TOKEN_ENV,
    default=None,
    help=f"The update token; prefer ${TOKEN_ENV} (a command line is visible to other users).",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0.1, max=3600),
    default=10.0,
    show_default=True,
    help="Time limit of one query in seconds; past it the answer is 503.",
)
@click.option(
    "--max-results",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Most rows or triples in one answer (a cut answer has X-Radgraph-Truncated: true).",
)
def serve(
    store_desc: str | None,
    host: str,
    port: int,
    allow_update: bool,
    token: str | None,
    timeout_s: float,
    max_results: int,
) -> None:
    """Serve the SPARQL 1.1 endpoint (/sparql), the JSON API and the page for educators."""
    if allow_update and not token:
        raise click.UsageError(f"--allow-update needs --token TOKEN or ${TOKEN_ENV}")
    from radgraph.store.base import default_descriptor

    descriptor = store_desc or default_descriptor()
    try:
        from radgraph.web import create_app

        app = create_app(
            descriptor,
            allow_update=allow_update,
            token=token if allow_update else None,
            timeout_s=timeout_s,
            max_results=max_results,
            preload=True,
        )
        import uvicorn
    except ImportError:
        _fail(EXIT_STORE, str(MissingExtraError("install radgraph[web]")))
    except (StoreUnavailable, MissingExtraError) as exc:
        _fail(EXIT_STORE, str(exc))
    except RadgraphError as exc:
        _fail(EXIT_INTERNAL, str(exc))
    if host not in _LOOPBACK:
        log.warning("listening on %s: anyone who can reach this host can query the graph", host)
    click.echo(f"radgraph: serving {descriptor} on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)


def _fail(code: int, message: str) -> NoReturn:
    click.echo(f"radgraph: {message}", err=True)
    sys.exit(code)
