"""What the `etl` commands print: summaries, reports and query results on stdout.

Like cli.py, this module imports no heavy library at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from engine.pipeline import RunSummary
    from engine.quality import Report
    from engine.sink import Rows

# Rows a table-format query shows unless told otherwise, as the duckdb CLI does.
DEFAULT_TABLE_ROWS = 40


def progress(quiet: bool) -> Any:  # noqa: ANN401 - a Progress implementation
    from engine.progress import NullProgress, StderrProgress

    return NullProgress() if quiet else StderrProgress()


def notice(quiet: bool) -> Callable[[str], None] | None:
    """Where a reader says it is waiting for a build: stderr, unless -q."""
    if quiet:
        return None
    return lambda text: click.echo(text, err=True)


def print_reports(reports: Sequence[Report], fmt: str) -> None:
    """Titled tables; one JSON object keyed by title; one CSV with a `report` column."""
    from engine.render import render

    if fmt == "json":
        import json

        payload = {
            r.title: json.loads(render(r.columns, r.rows, "json")) for r in reports
        }
        click.echo(json.dumps(payload, indent=2))
        return
    if fmt == "csv":
        # One header for the whole stream: the union of the reports' columns.
        columns: list[str] = []
        for report in reports:
            columns += [c for c in report.columns if c not in columns]
        rows = [
            (
                report.name,
                *(dict(zip(report.columns, row, strict=True)).get(c) for c in columns),
            )
            for report in reports
            for row in report.rows
        ]
        click.echo(render(["report", *columns], rows, "csv"))
        return
    for i, report in enumerate(reports):
        click.echo(("\n" if i else "") + report.title)
        click.echo(render(report.columns, report.rows, "table"))


def print_run_summary(summary: RunSummary, pg_url: str | None, warehouse: str) -> None:
    """Rows per table, then one line with each layer's seconds (or that it was up to date)."""
    from engine.render import render

    rows = [
        (s.table, s.rows_in, s.rows_out, s.rows_rejected, s.rows_duplicate)
        for s in summary.tables
    ]
    if rows:
        click.echo(
            render(["table", "rows_in", "rows_out", "rejected", "duplicates"], rows)
        )
    if summary.published:
        echo_published(pg_url, summary.published)
    layers = ", ".join(
        f"{layer} up to date"
        if layer in summary.up_to_date
        else f"{layer} {summary.layer_seconds[layer]:.2f} s"
        for layer in summary.layers
    )
    as_of_text = f", as of {summary.as_of}" if summary.as_of else ""
    click.echo(
        f"run {summary.run_id} {summary.status}{as_of_text}: {layers} -> {warehouse}"
    )


def echo_published(pg_url: str | None, published: Mapping[str, Any]) -> None:
    """The 'published to URL: raw N rows S s, ...' line."""
    from engine.config import redact

    sent = ", ".join(
        f"{p.layer} up to date"
        if p.up_to_date
        else f"{p.layer} {p.rows:,} rows {p.seconds:.2f} s"
        for p in published.values()
    )
    click.echo(f"published to {redact(pg_url)}: {sent}")


def print_query_result(result: Rows, fmt: str, quiet: bool) -> None:
    """The result on stdout; when rows were left out, a note says how many and how to see them."""
    from engine.render import render

    click.echo(render(result.columns, result.rows, fmt))  # type: ignore[arg-type]
    hidden = result.total - len(result.rows)
    if hidden and not quiet:
        click.echo(
            f"({len(result.rows):,} of {result.total:,} rows shown; "
            "--limit N shows N, --all shows every row)",
            err=fmt != "table",
        )
