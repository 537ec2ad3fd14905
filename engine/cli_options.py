"""The `etl` command line's shared parts: the error boundary and options used by several commands.

Defined once here so every command spells, documents and validates them the same way.
Like cli.py, this module imports no heavy library at module level.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from engine.config import DEFAULT_DATA_DIR, DEFAULT_WAREHOUSE
from engine.errors import EtlError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

F = TypeVar("F", bound="Callable[..., Any]")

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# What a shell reports for a process the reader of its pipe went away from (128 + SIGPIPE).
BROKEN_PIPE_EXIT = 141


class EtlGroup(click.Group):
    """Turns engine errors into one `Error: ...` line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:  # noqa: ANN401 - click's signature
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _exit_on_broken_pipe()
        except (
            EtlError,
            KeyboardInterrupt,
            click.ClickException,
            click.exceptions.Exit,
        ):
            raise
        except Exception as exc:
            if _debug_enabled():
                raise
            from engine.failures import explain

            if (known := explain(exc)) is not None:
                raise known from exc
            first = str(exc).splitlines()[0] if str(exc) else ""
            msg = f"unexpected {type(exc).__name__}: {first} (rerun with --debug for the traceback)"
            raise click.ClickException(msg) from exc

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - click's signature
        _DEBUG["on"] = os.environ.get("ETL_DEBUG", "") not in ("", "0")
        _configure_logging()
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except EtlError as exc:
            if _debug_enabled():
                raise
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        finally:
            # The handler writes to this invocation's stderr; don't outlive it.
            if handler := _HANDLER.pop("etl", None):
                logging.getLogger().removeHandler(handler)


def _exit_on_broken_pipe() -> None:
    """The reader of stdout went away (`etl status | head -3`): exit quietly, as `cat` does.

    Exit status 141 is what a shell reports for a Unix tool killed by SIGPIPE, so
    `set -o pipefail` scripts see etl like any other tool. stdout is pointed at
    /dev/null first, or Python's final flush would print another traceback.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # not a real file descriptor (tests); nothing left to flush
    sys.exit(BROKEN_PIPE_EXIT)


# Set per invocation (flag or ETL_DEBUG), read by the error boundary above.
_DEBUG = {"on": False}


def _debug_enabled() -> bool:
    return _DEBUG["on"]


class _LevelPrefix(logging.Formatter):
    """`warning: ...` for warnings and errors, so they stand out among progress lines."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {text}"
        return text


# The handler of the current invocation; replaced, never stacked, on the next one.
_HANDLER: dict[str, logging.Handler] = {}


def _configure_logging(level: int = logging.WARNING, fmt: str = "%(message)s") -> None:
    handler = logging.StreamHandler()  # binds the current sys.stderr
    handler.setFormatter(_LevelPrefix(fmt))
    root = logging.getLogger()
    if old := _HANDLER.get("etl"):
        root.removeHandler(old)
    _HANDLER["etl"] = handler
    root.addHandler(handler)
    root.setLevel(level)


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        _DEBUG["on"] = True
        _configure_logging(logging.DEBUG, "%(name)s: %(message)s")
    return value


def _set_verbose(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value and not _debug_enabled():
        _configure_logging(logging.INFO)
    return value


def debug_option(func: F) -> F:
    """--debug, accepted by every command."""
    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_debug,
        envvar="ETL_DEBUG",
        help="Show the full traceback on errors and debug logs.",
    )(func)


def verbose_option(func: F) -> F:
    """-v, only on the commands that load tables and so have a line per load to log."""
    return click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        callback=_set_verbose,
        help="Log one line per table load.",
    )(func)


def warehouse_option(func: F) -> F:
    return click.option(
        "--warehouse",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_WAREHOUSE,
        show_default=True,
        envvar="ETL_WAREHOUSE",
        show_envvar=True,
        help="Embedded DuckDB warehouse file.",
    )(func)


def data_dir_option(func: F) -> F:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_DATA_DIR,
        show_default=True,
        envvar="ETL_DATA_DIR",
        show_envvar=True,
        help="Root of the partitioned Parquet files (<table>/<YYYY-MM-DD>/*.parquet).",
    )(func)


_URL_FORM = "postgresql://user@host:port/db"


def _check_pg_url(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    """Accept a libpq URL or key=value string; explain the form for anything else."""
    if not value or re.match(r"^postgres(ql)?(\+\w+)?://", value) or "=" in value:
        return value
    from engine.config import redact

    msg = f"{redact(value)!r} is not a PostgreSQL URL; write it as {_URL_FORM}, e.g. postgresql://postgres@localhost:5432/shop"
    raise click.BadParameter(msg)


def pg_url_option(func: F) -> F:
    return click.option(
        "--pg-url",
        default=None,
        envvar="ETL_PG_URL",
        show_envvar=True,
        metavar="URL",
        callback=_check_pg_url,
        help="PostgreSQL target as a libpq URL (postgresql://user:pass@host:5432/db). "
        "Without it everything stays in the DuckDB warehouse.",
    )(func)


def pg_options(*, publish_mode: bool) -> Callable[[F], F]:
    """PostgreSQL waits (and how to replace staging and prod), passed on as `pg_options`."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - click's signature
            names = ("pg_connect_timeout", "pg_lock_timeout", "publish_mode")
            chosen = {n: kwargs.pop(n) for n in names if n in kwargs}
            return func(*args, pg_options=chosen, **kwargs)

        options = [
            click.option(
                "--pg-connect-timeout",
                type=click.FloatRange(min=1),
                default=10.0,
                show_default=True,
                envvar="ETL_PG_CONNECT_TIMEOUT",
                show_envvar=True,
                metavar="SECONDS",
                help="Give up on a PostgreSQL server that does not answer.",
            ),
            click.option(
                "--pg-lock-timeout",
                type=click.FloatRange(min=0.1),
                default=30.0,
                show_default=True,
                envvar="ETL_PG_LOCK_TIMEOUT",
                show_envvar=True,
                metavar="SECONDS",
                help="Give up when another session locks a table this long (set on the "
                "server, so no backend waits on after the client is gone).",
            ),
        ]
        if publish_mode:
            options.append(
                click.option(
                    "--publish-mode",
                    type=click.Choice(["replace", "swap"]),
                    default="replace",
                    show_default=True,
                    envvar="ETL_PUBLISH_MODE",
                    show_envvar=True,
                    help="How staging and prod reach PostgreSQL: replace the rows in one "
                    "transaction (safe for snapshot readers), or load new tables in "
                    "parallel and rename them in (see README: PostgreSQL target).",
                )
            )
        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorate


def quiet_option(func: F) -> F:
    return click.option(
        "-q", "--quiet", is_flag=True, help="No progress and no summary; errors only."
    )(func)


DEFAULT_WAIT = 300


def wait_option(func: F) -> F:
    """--wait: how long a reader waits for a running build to release the warehouse."""
    return click.option(
        "--wait",
        type=click.FloatRange(min=0),
        default=DEFAULT_WAIT,
        show_default=True,
        envvar="ETL_WAIT",
        show_envvar=True,
        metavar="SECONDS",
        help="While `etl run` writes the warehouse, wait up to this long for it "
        "to finish (0: fail at once).",
    )(func)


class MemorySize(click.ParamType):
    """A size such as 4GB or 500MB, in bytes."""

    name = "size"

    def convert(
        self,
        value: str | int,
        param: click.Parameter | None,
        ctx: click.Context | None,
    ) -> int:
        from engine.errors import ConfigError
        from engine.memory import parse_size

        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ConfigError as exc:
            self.fail(str(exc), param, ctx)


def memory_limit_option(func: F) -> F:
    from engine.memory import DEFAULT_MEMORY_LIMIT

    return click.option(
        "--memory-limit",
        type=MemorySize(),
        default=DEFAULT_MEMORY_LIMIT,
        envvar="ETL_MEMORY_LIMIT",
        show_envvar=True,
        help="Memory the whole run may use, e.g. 4GB or 500MB; work is split into "
        "pieces that fit [default: 3.5GiB].",
    )(func)


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
        help="Output format on stdout.",
    )(func)


def _parse_layers(
    ctx: click.Context, param: click.Parameter, value: str
) -> tuple[str, ...]:
    from engine.contracts import LAYERS

    names = tuple(v.strip() for v in value.split(",") if v.strip())
    if "all" in names:
        return LAYERS
    unknown = [n for n in names if n not in LAYERS]
    if unknown or not names:
        msg = f"{value!r}: choose from raw, staging, prod (comma-separated) or all"
        raise click.BadParameter(msg)
    return tuple(layer for layer in LAYERS if layer in names)


def _parse_build_layers(
    ctx: click.Context, param: click.Parameter, value: str
) -> tuple[str, ...]:
    """As _parse_layers, but a gap (raw and prod without staging) is refused.

    prod would be built from a staging layer older than the raw just ingested.
    """
    from engine.contracts import LAYERS

    layers = _parse_layers(ctx, param, value)
    first, last = LAYERS.index(layers[0]), LAYERS.index(layers[-1])
    missing = [layer for layer in LAYERS[first : last + 1] if layer not in layers]
    if missing:
        msg = (
            f"{value!r} skips {', '.join(missing)}, so prod would be built from a stale "
            f"{missing[0]}; give {','.join(LAYERS[first : last + 1])} (or all)"
        )
        raise click.BadParameter(msg)
    return layers


def layers_option(verb: str) -> Callable[[F], F]:
    """--layers: which layers a command builds or publishes (they go raw -> staging -> prod)."""
    build = verb == "build"
    rule = "; no gap: prod,raw needs staging too" if build else ""
    return click.option(
        "--layers",
        default="raw,staging,prod",
        show_default=True,
        callback=_parse_build_layers if build else _parse_layers,
        help=f"Layers to {verb}, comma-separated, in any order (they go raw -> staging -> prod{rule}).",
    )


def dirt_rates(pairs: Sequence[str], *, clean: bool) -> Any:  # noqa: ANN401 - DirtRates
    """The --dirt KIND=RATE pairs (and --clean) as the generator's DirtRates."""
    import dataclasses

    from engine.generate import DirtRates

    names = [f.name for f in dataclasses.fields(DirtRates)]
    rates: dict[str, float] = dict.fromkeys(names, 0.0) if clean else {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or name not in names:
            msg = (
                f"--dirt {pair}: expected KIND=RATE with KIND one of {', '.join(names)}"
            )
            raise click.BadParameter(msg)
        try:
            rates[name] = float(value)
        except ValueError:
            msg = f"--dirt {pair}: rate must be a number between 0 and 1"
            raise click.BadParameter(msg) from None
    return DirtRates(**rates)
