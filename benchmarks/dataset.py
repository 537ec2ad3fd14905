"""Benchmark data, generated once per (scale, seed, days) into a cache, and the reference
warehouse every variant's output is checked against. Nothing here is timed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchmarks.build import START, in_own_process
from benchmarks.cases import BenchError
from benchmarks.process import REPO
from engine.contracts import ENTITIES

if TYPE_CHECKING:
    from pathlib import Path


def source_hash(*patterns: str) -> str:
    """Short hash of the repository files matching the glob patterns."""
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(REPO.glob(pattern)):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            digest.update(path.relative_to(REPO).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def engine_hash() -> str:
    """Short hash of everything that decides the warehouse's contents."""
    return source_hash(
        "engine/**/*.py", "queries/**/*.py", "queries/**/*.sql", "sql/**/*.sql"
    )


def generator_hash() -> str:
    """Short hash of the generator: data sets are cached per generator code."""
    return source_hash("engine/generate/*.py")


def file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every <table>/<day>/<file>.parquet under root, by relative path."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.glob("*/*/*.parquet"))
    }


@dataclass(frozen=True)
class Dataset:
    """One data set; `view(days)` and `reference(days)` serve capped runs.

    Its partitions are generated into `root/data`, or are a pre-generated folder
    (`source`); references, views and the manifest always live under `root`.
    """

    root: Path
    scale: float
    seed: int
    days: int
    source: Path | None = None
    """A folder `etl generate` wrote with these parameters (--data-root), or None."""
    memory_limit: str | None = None
    """Budget of the `etl run` that builds the reference."""

    @property
    def source_dir(self) -> Path:
        return self.source or self.root / "data"

    def manifest(self) -> dict[str, str]:
        """sha256 of every file of the data set, by relative path."""
        path = self.root / "manifest.json"
        if not path.exists():
            path.write_text(json.dumps(file_hashes(self.view(self.days)), indent=0))
        return json.loads(path.read_text())

    @functools.cached_property
    def source_days(self) -> int:
        return sum(1 for _ in (self.source_dir / ENTITIES[0]).iterdir())

    def view(self, days: int) -> Path:
        """A data folder holding only the first `days` days (symlinks to the source)."""
        days = min(days, self.days)
        if days == self.source_days:
            return self.source_dir
        view = self.root / f"view-{days}d"
        if not view.exists():
            tmp = self.root / f".view-{days}d-{os.getpid()}"
            last = START + dt.timedelta(days=days - 1)
            for table in ENTITIES:
                (tmp / table).mkdir(parents=True)
                for folder in sorted((self.source_dir / table).iterdir()):
                    if dt.date.fromisoformat(folder.name) <= last:
                        (tmp / table / folder.name).symlink_to(folder.resolve())
            tmp.rename(view)
        return view

    def reference(self, days: int | None = None) -> Path:
        """The warehouse `etl run` (Polars) builds from the first `days` days; cached.

        Keyed by a hash of engine/, queries/ and sql/, so an engine change rebuilds it.
        """
        days = days or self.days
        engine = engine_hash()
        path = self.root / f"reference-{days}d-{engine}.duckdb"
        if not path.exists():
            # References of older engine code only fill the disk.
            for stale in self.root.glob("reference-*.duckdb"):
                if not stale.name.endswith(f"-{engine}.duckdb"):
                    stale.unlink()
            tmp = path.with_name(f".{path.name}.{os.getpid()}")
            tmp.unlink(missing_ok=True)
            in_own_process(
                "run",
                data_dir=str(self.view(days)),
                warehouse=str(tmp),
                memory_limit=self.memory_limit,
            )
            tmp.rename(path)
        return path

    @functools.cache  # noqa: B019 - a handful of datasets per session
    def rows(self, days: int | None = None) -> int:
        """Raw rows (all four tables) in the first `days` days."""
        import pyarrow.parquet as pq

        view = self.view(days or self.days)
        return sum(
            pq.ParquetFile(path).metadata.num_rows
            for table in ENTITIES
            for path in sorted((view / table).glob("*/*.parquet"))
        )


def ensure_dataset(
    cache: Path,
    *,
    scale: float,
    seed: int,
    days: int,
    data_root: Path | None = None,
    memory_limit: str | None = None,
) -> Dataset:
    """The data set for these parameters: `data_root/s<scale>` when that folder
    exists, else generated into the cache on first use.
    """
    source = data_root / f"s{scale:g}" if data_root else None
    if source and source.is_dir():
        _check_days(source, days)
        where = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:10]
        root = cache / f"given-s{scale:g}-seed-{seed}-days-{days}-at-{where}"
        root.mkdir(parents=True, exist_ok=True)
        return Dataset(root, scale, seed, days, source, memory_limit)
    root = cache / f"scale-{scale:g}-seed-{seed}-days-{days}-gen-{generator_hash()}"
    dataset = Dataset(root, scale, seed, days, memory_limit=memory_limit)
    if not (root / "manifest.json").exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        in_own_process(
            "generate", out=str(root / "data"), scale=scale, seed=seed, days=days
        )
        dataset.manifest()
    return dataset


def _check_days(source: Path, days: int) -> None:
    """Refuse a pre-generated folder that lacks a table or one of the first days."""
    wanted = [(START + dt.timedelta(days=d)).isoformat() for d in range(days)]
    for table in ENTITIES:
        folder = source / table
        found = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        if found[:days] != wanted:
            msg = (
                f"{folder}: expected day folders {wanted[0]}..{wanted[-1]}; "
                f"write the data with etl generate --days {days} --out {source}"
            )
            raise BenchError(msg)
