"""The prod queries: one Polars `build` and one DuckDB `.sql` twin per prod table.

`discover()` pairs `<name>.py` with `<name>.sql` by file stem and checks each pair at
discovery, so a missing twin or a parameter mismatch fails before any data is read.
`_macros.sql` holds the revenue rules the SQL twins share, as `_revenue.py` does for
the Polars ones.
A `<name>.py` may declare `SPLIT` (one of `SPLITS`): how the Polars engine may build
its table in pieces when the data does not fit the memory budget at once.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, get_args

import duckdb

from engine import contracts
from engine.errors import QueryError

if TYPE_CHECKING:
    from collections.abc import Callable

    import polars as pl

QUERIES_DIR: Final[Path] = Path(__file__).parent
MACROS_PATH: Final[Path] = QUERIES_DIR / "_macros.sql"

_MACRO = re.compile(r"CREATE OR REPLACE TEMP MACRO (\w+)\(")

Split = Literal["order_month", "customer"]
"""How a query's table may be built in pieces, declared as `SPLIT` in its module:

- `order_month`: its rows are local to a range of whole months of order date (each
  piece gets those months' orders and their items; other inputs whole);
- `customer`: its rows are local to one customer (each piece gets a bucket of
  customers, their orders and those orders' items; other inputs whole).

A query that declares nothing runs in one piece over whole inputs.
"""
SPLITS: Final[tuple[str, ...]] = get_args(Split)
_SPLIT_INPUTS: Final[dict[str, str]] = {"order_month": "orders", "customer": "orders"}


@dataclass(frozen=True, slots=True)
class Query:
    """One prod table's pair of implementations and what they need."""

    name: str
    """The file stem, which is also the prod table it fills (`prod.<name>`)."""
    build: Callable[..., pl.LazyFrame]
    """The Polars variant: staging tables by name, scalar parameters keyword-only."""
    sql_path: Path
    """The DuckDB variant: one SELECT over `staging.<table>` with `$param` values."""
    inputs: tuple[str, ...]
    """Staging tables the query reads, named as `build`'s positional parameters."""
    params: tuple[str, ...] = ()
    """Scalar parameters: keyword-only in `build`, `$name` in the SQL (e.g. `as_of`)."""
    split: Split | None = None
    """How the table may be built in pieces (`SPLIT` in the module); None: whole."""

    @property
    def table(self) -> str:
        """The qualified prod table whose contract both variants must meet."""
        return f"prod.{self.name}"

    def read_select(self) -> str:
        """The SQL twin's SELECT, for a connection already holding `read_macros()`."""
        return self.sql_path.read_text(encoding="utf-8")

    def read_sql(self) -> str:
        """The SQL twin after the macros it calls: runs alone where `staging.*` exists."""
        return f"{read_macros()}\n{self.read_select()}"


def read_macros() -> str:
    """The CREATE TEMP MACRO statements the SQL twins use."""
    return MACROS_PATH.read_text(encoding="utf-8")


def macro_names(sql: str) -> list[str]:
    """The macros that ``sql``'s CREATE TEMP MACRO statements create, in order."""
    return _MACRO.findall(sql)


def find_pairs(directory: Path) -> list[tuple[str, Path, Path]]:
    """(name, .py, .sql) for each query in `directory`; raises on a file without twin.

    Modules starting with `_` are shared helpers, not queries.
    """
    modules = {p.stem: p for p in directory.glob("*.py") if not p.stem.startswith("_")}
    sqls = {p.stem: p for p in directory.glob("*.sql") if not p.stem.startswith("_")}
    for stem in sorted(modules.keys() ^ sqls.keys()):
        have, lack = (
            (modules[stem], f"{stem}.sql")
            if stem in modules
            else (sqls[stem], f"{stem}.py")
        )
        msg = (
            f"{have}: no {lack} next to it; every query needs both a Polars and a "
            f"SQL variant, so add {lack} or remove {have.name}"
        )
        raise QueryError(msg)
    return [(stem, modules[stem], sqls[stem]) for stem in sorted(modules)]


def discover() -> list[Query]:
    """Every query in this package, sorted by name, with each pair checked."""
    return [
        _load(name, sql_path) for name, _py_path, sql_path in find_pairs(QUERIES_DIR)
    ]


def _load(name: str, sql_path: Path) -> Query:
    module = importlib.import_module(f"{__name__}.{name}")
    build = getattr(module, "build", None)
    if not callable(build):
        msg = (
            f"queries/{name}.py: no build() function; "
            "define build(<staging tables>, *, <params>)"
        )
        raise QueryError(msg)
    signature = inspect.signature(build)
    inputs = tuple(
        p.name
        for p in signature.parameters.values()
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    )
    params = tuple(
        p.name
        for p in signature.parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    )
    staging = contracts.tables("staging")
    unknown = [table for table in inputs if table not in staging]
    if unknown:
        msg = (
            f"queries/{name}.py: build() parameter {unknown[0]!r} is not a staging "
            f"table; name table inputs after one of {', '.join(staging)} and make "
            "scalars keyword-only"
        )
        raise QueryError(msg)
    _check_sql(name, sql_path, params)
    return Query(name, build, sql_path, inputs, params, _split(name, module, inputs))


def _split(name: str, module: object, inputs: tuple[str, ...]) -> Split | None:
    split = getattr(module, "SPLIT", None)
    if split is None:
        return None
    if split not in SPLITS:
        msg = (
            f"queries/{name}.py: SPLIT = {split!r} is not one of {', '.join(SPLITS)}; "
            "declare one of them, or nothing to build the table in one piece"
        )
        raise QueryError(msg)
    needed = _SPLIT_INPUTS[split]
    if needed not in inputs:
        msg = (
            f"queries/{name}.py: SPLIT = {split!r} cuts pieces by {needed}, which "
            f"build() does not read; declare another SPLIT or none"
        )
        raise QueryError(msg)
    return split


def _check_sql(name: str, sql_path: Path, params: tuple[str, ...]) -> None:
    # Parsing (not running) the SQL is cheap and catches a broken twin at discovery.
    try:
        statements = duckdb.extract_statements(sql_path.read_text(encoding="utf-8"))
    except duckdb.Error as exc:
        msg = f"queries/{name}.sql: does not parse: {exc}"
        raise QueryError(msg) from exc
    if len(statements) != 1 or statements[0].type is not duckdb.StatementType.SELECT:
        msg = f"queries/{name}.sql: must hold exactly one SELECT statement"
        raise QueryError(msg)
    named = set(statements[0].named_parameters)
    if named != set(params):
        msg = (
            f"queries/{name}.sql uses parameters {sorted(named)} but build() takes "
            f"{sorted(params)}; make the SQL $names match build()'s keyword-only "
            "parameters"
        )
        raise QueryError(msg)
