"""`python -m benchmarks.chart`: median seconds and peak RSS per case and scale, as a PNG.

Reads benchmarks.csv (every session appended), keeps for each (case, engine, target,
scale) the latest session that measured it, and draws one line per variant. A classic
run capped to fewer days is drawn at its EXTRAPOLATED full-data time, hollow and dashed.
`--sweep` draws only the full rebuilds (both engines, into DuckDB and PostgreSQL) and
the generator, with the memory budget the runs were given as a line on the RSS axes
(docs/scale-sweep.png).
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from pathlib import Path

import click

DEFAULT_RESULTS = Path(__file__).resolve().parent / "results"
# Sub-steps that would crowd the chart; the full table has them.
HIDDEN_TARGETS = {"mem:staging", "mem:prod"}
# Colour by case, line style by engine, so related lines read as a family.
CASE_COLORS = {
    "generator": "tab:gray",
    "rebuild_duckdb": "tab:blue",
    "rebuild_postgres": "tab:green",
    "publish_postgres": "tab:olive",
    "classic_baseline": "tab:red",
    "copy_floor": "tab:purple",
    "transform_only": "tab:orange",
}
ENGINE_STYLES = {"duckdb": "--", "pandas": ":", "copy-parallel": "--"}
SWEEP_SERIES = {
    ("generator", "etl", "parquet"),
    ("rebuild_duckdb", "polars", "duckdb"),
    ("rebuild_duckdb", "duckdb", "duckdb"),
    ("rebuild_postgres", "polars", "postgres"),
    ("rebuild_postgres", "duckdb", "postgres"),
}
DOCS = Path(__file__).resolve().parents[1] / "docs"


def load(path: Path) -> dict[tuple[str, str, str, float], dict[str, float]]:
    """(case, engine, target, scale) -> median seconds, rows, peak RSS, full rows."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    latest: dict[tuple[str, str, str, float], str] = {}
    for row in rows:
        key = (row["case"], row["engine"], row["target"], float(row["scale"]))
        latest[key] = max(latest.get(key, ""), row["timestamp"])
    picked: dict[tuple[str, str, str, float], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        key = (row["case"], row["engine"], row["target"], float(row["scale"]))
        if row["timestamp"] == latest[key]:
            picked[key].append(row)
    # The full data set's rows per scale: the largest row count any engine case saw.
    full: dict[float, int] = defaultdict(int)
    for (case, _, target, scale), group in picked.items():
        if case in {"rebuild_duckdb", "rebuild_postgres"} and ":" not in target:
            full[scale] = max(full[scale], int(group[0]["rows"]))
    summary = {}
    for key, group in picked.items():
        seconds = statistics.median(float(r["seconds"]) for r in group)
        rows_measured = int(group[0]["rows"])
        summary[key] = {
            "seconds": seconds,
            "rows": rows_measured,
            "rss": max(float(r["peak_rss_mb"]) for r in group),
            "full_rows": full.get(key[3], rows_measured),
            "budget": max(
                (float(r.get("memory_limit_mb") or 0) for r in group), default=0.0
            ),
        }
    return summary


def draw(csv_path: Path, png_path: Path, *, sweep: bool = False) -> Path:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    summary = load(csv_path)
    if sweep:
        summary = {k: v for k, v in summary.items() if k[:3] in SWEEP_SERIES}
    series: dict[tuple[str, str, str], list[tuple[float, float, float, bool]]] = (
        defaultdict(list)
    )
    for (case, engine, target, scale), s in summary.items():
        if target in HIDDEN_TARGETS:
            continue
        capped = engine == "pandas" and s["rows"] < s["full_rows"]
        seconds = s["seconds"] * s["full_rows"] / s["rows"] if capped else s["seconds"]
        series[case, engine, target].append((scale, seconds, s["rss"], capped))

    fig, (ax_time, ax_rss) = plt.subplots(1, 2, figsize=(14, 7.5))
    for (case, engine, target), points in sorted(series.items()):
        points.sort()
        scales = [p[0] for p in points]
        style = {
            "color": CASE_COLORS.get(case, "black"),
            "linestyle": ENGINE_STYLES.get(engine, "-"),
            "marker": "s" if target.endswith(":load") else "o",
        }
        (line,) = ax_time.plot(
            scales, [p[1] for p in points], label=f"{case} {engine} → {target}", **style
        )
        ax_rss.plot(scales, [p[2] for p in points], **style)
        for scale, seconds, _, capped in points:
            if capped:
                ax_time.plot(
                    scale,
                    seconds,
                    marker="o",
                    markersize=11,
                    markerfacecolor="none",
                    color=line.get_color(),
                )
                ax_time.annotate(
                    "extrapolated",
                    (scale, seconds),
                    textcoords="offset points",
                    xytext=(6, 6),
                    fontsize=8,
                )
    for budget in sorted({s["budget"] for s in summary.values() if s["budget"]}):
        ax_rss.axhline(budget, color="black", linewidth=1, linestyle="-.")
        ax_rss.annotate(
            f"memory budget {budget:,.0f} MB",
            (0.01, budget),
            xycoords=("axes fraction", "data"),
            textcoords="offset points",
            xytext=(0, 4),
            fontsize=8,
        )
    for ax, title, unit in (
        (ax_time, "Median wall time per run", "seconds (log)"),
        (
            ax_rss,
            "Peak RSS of the run process (PostgreSQL server not included)"
            if sweep
            else "Peak RSS of the run process (client only; capped pandas: its days)",
            "MB (log)",
        ),
    ):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("scale (1 = a year, ~0.5 M raw rows)")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ticks = sorted({key[3] for key in summary})
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.set_xticks([], minor=True)
    fig.legend(loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(
        "medallion-etl scale sweep: full rebuilds and the generator per scale"
        if sweep
        else "medallion-etl benchmarks (hollow = a pandas run capped by time, "
        "EXTRAPOLATED to the full data)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    png_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png_path, dpi=120)
    plt.close(fig)
    return png_path


@click.command(
    "python -m benchmarks.chart",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_RESULTS / "benchmarks.csv",
    help="Results to draw [default: benchmarks/results/benchmarks.csv].",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PNG to write [default: benchmarks/results/benchmarks.png; with --sweep "
    "docs/scale-sweep.png].",
)
@click.option(
    "--sweep",
    is_flag=True,
    help="Only the rebuilds and the generator, with the memory budget drawn.",
)
def main(csv_path: Path, out: Path | None, sweep: bool) -> None:
    """Draw benchmarks.csv: median seconds and peak RSS per case and scale."""
    if not csv_path.exists():
        msg = f"{csv_path}: no results yet; run python -m benchmarks first"
        raise click.ClickException(msg)
    default = DOCS / "scale-sweep.png" if sweep else DEFAULT_RESULTS / "benchmarks.png"
    click.echo(draw(csv_path, out or default, sweep=sweep))


if __name__ == "__main__":
    main()
