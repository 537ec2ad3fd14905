"""The measurements: one Record per (run, target), appended to benchmarks.csv."""

from __future__ import annotations

import csv
import dataclasses
import os
import platform
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pathlib import Path

CSV_HEADER: Final = (
    *("timestamp", "case", "engine", "target", "scale", "rows", "repeat", "seconds"),
    *("rows_per_s", "peak_rss_mb", "polars", "duckdb", "pyarrow", "adbc", "python"),
    *("cpus", "days", "input_rows", "memory_limit_mb"),
)
"""Columns of benchmarks.csv; an older file is rewritten with the new columns empty."""


@dataclass(frozen=True)
class Record:
    """One measurement of one run."""

    timestamp: str
    case: str
    engine: str
    target: str
    scale: float
    rows: int
    repeat: int
    seconds: float
    peak_rss_mb: float
    days: int
    full_days: int
    input_rows: int
    """Raw rows of the data this run read (fewer than full_rows when capped)."""
    full_rows: int
    memory_limit_mb: float | None = None
    """The memory budget the run was given; None for cases that take none."""

    @property
    def capped(self) -> bool:
        return self.days < self.full_days

    def csv_row(self) -> dict[str, object]:
        """The run's columns of benchmarks.csv (the versions are added by the writer)."""
        rate = f"{self.rows / self.seconds:.0f}" if self.seconds > 0 else ""
        limit = self.memory_limit_mb
        return dataclasses.asdict(self) | {
            "scale": f"{self.scale:g}",
            "seconds": f"{self.seconds:.4f}",
            "rows_per_s": rate,
            "peak_rss_mb": f"{self.peak_rss_mb:.1f}",
            "memory_limit_mb": "" if limit is None else f"{limit:.0f}",
        }


def versions() -> dict[str, str]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return ""

    return {
        "polars": version("polars"),
        "duckdb": version("duckdb"),
        "pyarrow": version("pyarrow"),
        "adbc": version("adbc-driver-postgresql"),
        "python": platform.python_version(),
        "cpus": str(os.cpu_count() or 0),
    }


def append_csv(path: Path, records: list[Record]) -> None:
    """Append the records; the header is written once, with the file."""
    if not records:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    new, info = not path.exists(), versions()
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, CSV_HEADER, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerows(r.csv_row() | info for r in records)


def upgrade_csv(path: Path) -> None:
    """Rewrite a CSV of an older harness under today's header, new columns empty."""
    if not path.exists():
        return
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    if tuple(reader.fieldnames or ()) == CSV_HEADER:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    with tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, CSV_HEADER, restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)
