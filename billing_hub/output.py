"""Printing results: aligned tables for people, JSON (proto field names) for scripts.

Every admin command prints through here, so `--json` means the same everywhere: the message as
`MessageToDict` renders it, defaults included, so scripts never miss a key.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp


def message_dict(message: Message) -> dict[str, Any]:
    """A message as a JSON-ready dict with the proto's own field names."""
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def print_json(value: Any) -> None:
    """Pretty JSON on stdout."""
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns aligned to their widest cell; a note instead of a bare header when empty."""
    if not rows:
        print("(none)")
        return
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    for line in (headers, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def print_fields(fields: Sequence[tuple[str, str]]) -> None:
    """`name: value` lines for one object."""
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        print(f"{name + ':':<{width + 1}} {value}")


def timestamp(value: Timestamp, present: bool = True) -> str:
    """A timestamp as `YYYY-MM-DD HH:MM:SSZ`, or "-" when unset."""
    if not present or (value.seconds == 0 and value.nanos == 0):
        return "-"
    return value.ToDatetime(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def enum_label(name: str, prefix: str) -> str:
    """`TENANT_STATUS_ACTIVE` -> `active`."""
    return name.removeprefix(prefix).lower()


def warn(text: str) -> None:
    """A line for the person at the terminal, on stderr so it never pollutes piped output."""
    print(f"warning: {text}", file=sys.stderr)
