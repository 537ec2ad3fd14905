"""A generated data folder read back: frames per table, bytes per file."""

from __future__ import annotations

import datetime as dt

import polars as pl


def read(root, table):
    """Every partition of a table, with the partition date as `_day`."""
    frames = [
        pl.read_parquet(path).with_columns(
            _day=pl.lit(dt.date.fromisoformat(path.parent.name))
        )
        for path in sorted((root / table).glob("*/data.parquet"))
    ]
    return pl.concat(frames)


def files(root):
    """Every file under root, by relative path, as bytes: runs compare byte for byte."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
