"""Doc tables generated from the code that is their truth, so the docs cannot drift.

Each table sits between two marker comments in its file; `python -m engine.docs`
rewrites them, and `tests/test_docs.py` fails when a file differs from what the code
gives now (sqlite-utils checks its docs the same way).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Final

import click

from engine import contracts
from engine.cli import cli
from engine.staging_rules import REASONS

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

ROOT: Final[Path] = Path(__file__).resolve().parents[1]
REGENERATE: Final = "python -m engine.docs"
"""The command that rewrites every generated table; failures name it."""

REASON_WHY: Final[dict[str, dict[str, str]]] = {
    "customers": {
        "null_customer_id": "a customer nobody can reference",
        "null_customer_name": "the name is required downstream",
        "null_email": "the email is the contact and a uniqueness key",
        "null_signup_date": "tenure metrics need it",
        "invalid_email": "undeliverable address",
        "signup_date_out_of_range": "a typo such as `1850-01-01` or `9999-12-31` would make tenure absurd",
        "duplicate_key_conflict": "two versions of one customer; which is right needs a human",
        "duplicate_email": "one person, two ids; counting both inflates customers",
    },
    "products": {
        "null_product_id": "nothing can reference it",
        "null_product_name": "required downstream",
        "null_category": "category metrics group by it",
        "null_price": "no value to sell at",
        "null_cost": "no margin can be computed",
        "negative_price": "impossible value",
        "price_too_large": "would fail the load",
        "negative_cost": "impossible value",
        "cost_too_large": "would fail the load",
        "duplicate_key_conflict": "a snapshot that contradicts itself",
    },
    "orders": {
        "null_order_id": "nothing can reference it",
        "null_customer_id": "an order must belong to someone",
        "null_order_date": "daily and monthly sales need it",
        "null_order_status": "revenue rules depend on it",
        "null_total_amount": "no value",
        "order_date_out_of_range": "`0001-01-01` or `9999-12-31` would land in prod as a sales day and give `days_since_last_order` of minus millions",
        "unknown_status": "revenue rules only know these",
        "negative_total_amount": "an order total cannot be negative",
        "total_amount_too_large": "would fail the load",
        "duplicate_key_conflict": "two versions of one order",
        "customer_unknown": "orphan from the source system",
        "customer_rejected": "fix the customer's reject first",
    },
    "order_items": {
        "null_order_item_id": "nothing can reference it",
        "null_order_id": "an item must belong to an order",
        "null_product_id": "an item must be a product",
        "null_quantity": "no value",
        "null_unit_price": "no value",
        "non_positive_quantity": "a line sells at least one unit",
        "negative_unit_price": "impossible value",
        "unit_price_too_large": "would fail the load",
        "discount_out_of_range": "a percentage",
        "duplicate_key_conflict": "two versions of one line",
        "order_unknown": "orphan from the source system",
        "order_rejected": "fix the order (or its customer) first",
        "product_unknown": "orphan from the source system",
        "product_rejected": "fix the product first",
    },
}
"""Entity -> reason code -> why the rule exists: the docs' column beside `REASONS`."""


@dataclass(frozen=True, slots=True)
class Block:
    """One generated table: the file it lives in, its marker name and its maker."""

    path: str
    """Relative to the repository root."""
    name: str
    make: Callable[[], str]


def reason_table(entity: str) -> str:
    """The entity's reason codes in priority order, with rule (`REASONS`) and why."""
    why = REASON_WHY.get(entity, {})
    missing = [code for code in REASONS[entity] if code not in why]
    if missing:
        msg = (
            f"engine/docs.py: REASON_WHY has no entry for {entity}.{missing[0]}; "
            "add why the rule exists, then run " + REGENERATE
        )
        raise ValueError(msg)
    columns = contracts.arrow_schema(f"raw.{entity}").names
    rows = [
        f"| `{code}` | {_quote_columns(rule, columns)} | {why[code]} |"
        for code, rule in REASONS[entity].items()
    ]
    return "\n".join(["| Code | Rule | Why |", "|---|---|---|", *rows])


def option_table() -> str:
    """Every option that an environment variable can set, as `etl COMMAND --help` says."""
    found: dict[tuple[str, str], tuple[click.Option, click.Context, list[str]]] = {}
    group = click.Context(cli, info_name="etl")
    for name in sorted(cli.commands):
        command = cli.commands[name]
        ctx = click.Context(command, info_name=name, parent=group)
        for param in command.params:
            if isinstance(param, click.Option):
                for env in _envvars(param):
                    key = (_flag(param), env)
                    found.setdefault(key, (param, ctx, []))[2].append(name)
    rows = [
        f"| `{flag}` | `{env}` | {_default(option, ctx)} | "
        f"{_commands(names)} | {_cell(_meaning(option))} |"
        for (flag, env), (option, ctx, names) in sorted(found.items())
    ]
    header = "| flag | env | default | commands | what it sets |\n|---|---|---|---|---|"
    return "\n".join([header, *rows])


BLOCKS: Final[tuple[Block, ...]] = (
    *(
        Block(
            "docs/staging-rules.md", f"reasons:{entity}", partial(reason_table, entity)
        )
        for entity in REASONS
    ),
    Block("README.md", "options", option_table),
)


def render(text: str, name: str, table: str, *, path: str) -> str:
    """``text`` with block ``name``'s lines between its markers replaced by ``table``."""
    begin, end = _markers(name)
    pattern = re.compile(rf"({re.escape(begin)}\n).*?(\n{re.escape(end)})", re.S)
    if not pattern.search(text):
        msg = f"{path}: no markers for the {name} table; put {begin!r} and {end!r} around it"
        raise ValueError(msg)
    return pattern.sub(lambda m: f"{m.group(1)}{table}{m.group(2)}", text, count=1)


def stale_blocks(root: Path = ROOT) -> list[str]:
    """`<file>: <block>` for every generated table that differs from the code now."""
    return [
        f"{block.path}: {block.name}"
        for block in BLOCKS
        if _rendered(block, root) != (root / block.path).read_text(encoding="utf-8")
    ]


def regenerate(root: Path = ROOT) -> list[str]:
    """Rewrite every stale generated table; the `<file>: <block>`s rewritten."""
    stale = stale_blocks(root)
    for block in BLOCKS:
        path, text = root / block.path, _rendered(block, root)
        if text != path.read_text(encoding="utf-8"):
            path.write_text(text, encoding="utf-8")
    return stale


def _rendered(block: Block, root: Path) -> str:
    text = (root / block.path).read_text(encoding="utf-8")
    return render(text, block.name, block.make(), path=block.path)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--check", is_flag=True, help="Only list stale tables; exit 1 if any.")
def main(*, check: bool) -> None:
    """Rewrite the doc tables generated from the code, or list the stale ones."""
    stale = stale_blocks() if check else regenerate()
    for item in stale:
        click.echo(f"{'stale' if check else 'rewrote'}: {item}")
    if check and stale:
        sys.exit(1)


def _markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- begin generated {name}: edit the code, then run {REGENERATE} -->",
        f"<!-- end generated {name} -->",
    )


def _quote_columns(text: str, columns: Sequence[str]) -> str:
    """Column names in a rule's description set as code, as the docs write them."""
    names = "|".join(re.escape(column) for column in columns)
    return re.sub(rf"\b({names})\b", r"`\1`", text)


def _envvars(option: click.Option) -> list[str]:
    if option.envvar is None:
        return []
    return [option.envvar] if isinstance(option.envvar, str) else list(option.envvar)


def _flag(option: click.Option) -> str:
    return next(opt for opt in option.opts if opt.startswith("--"))


def _help_text(option: click.Option, ctx: click.Context) -> str:
    record = option.get_help_record(ctx)
    return record[1] if record else ""


def _default(option: click.Option, ctx: click.Context) -> str:
    """The default as `--help` shows it; flags default to off, others to none."""
    shown = re.search(r"\bdefault: ([^;\]]+)", _help_text(option, ctx))
    if shown:
        return shown.group(1).strip()
    return "off" if option.is_flag else "none"


def _meaning(option: click.Option) -> str:
    return re.sub(r"\s*\[default: [^\]]*\]", "", option.help or "").strip()


def _commands(names: list[str]) -> str:
    return "all" if len(names) == len(cli.commands) else ", ".join(names)


def _cell(text: str) -> str:
    """Help text as one Markdown cell: no table break, no HTML tag, no emphasis."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace("*", "\\*")


if __name__ == "__main__":
    main()
