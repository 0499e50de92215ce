"""How a command's result is shown: a rich rendering for people, JSON for scripts.

A command returns a :class:`Result` holding JSON-ready data and, optionally, a function that
draws it for a terminal; ``--json`` prints the data instead.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from objectio.cli.errors import EXIT_OK

Render = Callable[[Console], None]


@dataclass
class Result:
    data: Any
    render: Render | None = None
    exit_code: int = EXIT_OK


def emit(result: Result, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result.data, indent=2, sort_keys=True) + "\n")
        sys.stdout.flush()
        return
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    if result.render is not None:
        result.render(console)
    elif isinstance(result.data, dict):
        console.print(kv_table(result.data.items()))
    else:
        console.print(result.data)


def human_bytes(count: int | float) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024 or unit == "PiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def parse_bytes(text: str) -> int:
    """``4096``, ``64k``, ``64KiB``, ``1M``, ``2GiB`` -> bytes (binary units)."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    cleaned = text.strip().upper().removesuffix("B").removesuffix("I")
    number, suffix = (cleaned[:-1], cleaned[-1]) if cleaned[-1:] in units and cleaned[-1:] else (cleaned, "")
    try:
        value = int(number) * units[suffix]
    except (ValueError, KeyError):
        raise ValueError(f"{text!r} is not a size (e.g. 4096, 64KiB, 1MiB)") from None
    if value < 0:
        raise ValueError(f"{text!r}: a size cannot be negative")
    return value


def kv_table(items: Iterable[tuple[str, Any]], title: str | None = None) -> Table:
    table = Table(title=title, show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in items:
        table.add_row(str(key), "" if value is None else str(value))
    return table


def grid(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    return table
