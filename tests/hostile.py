"""Hostile requests for any RPC of the contract: hypothesis strategies built from descriptors.

`methods()` enumerates every method of every billinghub.v1 service from the descriptor pool (so a
new RPC is swept without touching a test), and `request_strategy(descriptor, ...)` builds requests
of any message type, filling nested messages recursively: strings with NUL, non-ASCII and up to
100 KB, ids and codes that exist (so calls get past lookups), extreme integers, unknown enum
numbers, out-of-range Timestamps, garbage page tokens and random field-mask paths.

Input classes whose failures belong to work in progress elsewhere can be left out by name (see
`SKIPPED_INPUT_CLASSES` in tests/core/test_hostile_sweep.py), so the sweep can be tightened one
class at a time as those fixes land.
"""

from __future__ import annotations

import base64
import dataclasses
import importlib
import json
import pkgutil
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pool, field_mask_pb2, message_factory, timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

import sdk.billinghub.v1

PACKAGE = "billinghub.v1"
MAX_DEPTH = 4  # nested messages deeper than this stay unset
HUGE = 100_000  # characters of the largest strings sent

# Input classes (names used by SKIPPED_INPUT_CLASSES).
NUL = "nul"  # strings containing U+0000
HUGE_STRINGS = "huge_strings"  # strings of up to 100 000 characters
PAGE_TOKENS = "page_tokens"  # garbage in page_token fields
# Timestamps outside 1970..2200: before 0001-01-01 or after 9999-12-31, bad nanos, and the ends
# of the valid range (where a period computed from them leaves the datetime range)
TIMESTAMPS_OUT_OF_RANGE = "timestamps_out_of_range"
UNKNOWN_ENUMS = "unknown_enums"  # enum numbers the contract does not define
UNKNOWN_ENUM_FILTERS = "unknown_enum_filters"  # unknown enum numbers in list/filter requests only
REQUEST_IDS = "request_ids"  # hostile request_id values (NUL, huge, non-ASCII)
INVALID_UTF8 = "invalid_utf8"  # strings that are not valid UTF-8 (see serialize)
FIELD_MASKS = "field_masks"  # random update_mask paths
EXTREME_INTEGERS = "extreme_integers"  # integers at the ends of their type's range
ALL_CLASSES = frozenset(
    {
        NUL,
        HUGE_STRINGS,
        PAGE_TOKENS,
        TIMESTAMPS_OUT_OF_RANGE,
        UNKNOWN_ENUMS,
        UNKNOWN_ENUM_FILTERS,
        REQUEST_IDS,
        INVALID_UTF8,
        FIELD_MASKS,
        EXTREME_INTEGERS,
    }
)

_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
_NOTABLE_INTS = (
    *(0, 1, 2, -1, 3, 50, 100, 1000, 2**15 - 1, 2**15, 40_000, 2**31 - 1, 2**31, 2**53 + 1),
    *(10**7, 10**7 + 1, 10**9, 10**15, 10**15 + 1, 10**17, 4 * 10**18, 2**62),
)
_TIMESTAMP_MIN, _TIMESTAMP_MAX = -62_135_596_800, 253_402_300_799  # 0001-01-01 .. 9999-12-31T23:59:59
_YEAR_2200 = 7_258_118_400
_INTERESTING_TEXT = (
    "",
    " ",
    "0",
    "-1",
    "null",
    "{}",
    "[]",
    '{"a": NaN}',
    '{"a": 1e999}',
    "[" * 50 + "]" * 50,
    "%s%n",
    "' OR 1=1 --",
    "../../etc/passwd",
    "\u202e\u200b\ufeff",
    "Ünïcødé ✓ 😀 中文",
    "@",
    "@username_here",
    "https://example.invalid/receipt.png",
    "telegram:1",
    "RUB",
    "xtr",
    "TOKEN",
    "ZZZZZZZZZZ",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "-7777777777777777",
)


# A client cannot put invalid UTF-8 in a string field; the sweep writes this private-use
# character (3 bytes of UTF-8) and `serialize` swaps its bytes for 3 bytes that are not UTF-8.
INVALID_UTF8_MARKER = "\ue000"
_MARKER_BYTES = INVALID_UTF8_MARKER.encode()
_NOT_UTF8 = b"\xff\xfe\xfd"


def serialize(message: Message, ctx: Context) -> bytes:
    """The request's wire bytes, with invalid UTF-8 where the strategies put the marker."""
    raw = message.SerializeToString()
    return raw.replace(_MARKER_BYTES, _NOT_UTF8) if ctx.allows(INVALID_UTF8) else raw


def _load_contract() -> None:
    for module in pkgutil.iter_modules(sdk.billinghub.v1.__path__):
        if module.name.endswith("_pb2"):
            importlib.import_module(f"{sdk.billinghub.v1.__name__}.{module.name}")


def methods() -> Iterator[MethodDescriptor]:
    """Every method of every service of the contract, from the descriptor pool."""
    _load_contract()
    pool = descriptor_pool.Default()
    seen: set[str] = set()
    for module in sorted(pkgutil.iter_modules(sdk.billinghub.v1.__path__), key=lambda m: m.name):
        if not module.name.endswith("_pb2"):
            continue
        file = pool.FindFileByName(f"billinghub/v1/{module.name.removesuffix('_pb2')}.proto")
        for service in file.services_by_name.values():
            for method in service.methods:
                if method.full_name not in seen:
                    seen.add(method.full_name)
                    yield method


def message_class(descriptor: Descriptor) -> type[Message]:
    cls: type[Message] = message_factory.GetMessageClass(descriptor)
    return cls


@dataclass(frozen=True)
class Context:
    """What the strategies know about the world (values that exist: ids and codes, by the field
    name they fit, "" listing them all) and which input classes to leave out. Take one per
    hypothesis test, from a snapshot of what is known then: data generation must not depend on
    state that changes while the test runs."""

    known: Mapping[str, Sequence[str]]
    skipped: Collection[str] = frozenset()
    is_filter: bool = False  # the request is a list/filter request (for UNKNOWN_ENUM_FILTERS)
    setters: dict[str, st.SearchStrategy[Any]] = dataclasses.field(default_factory=dict, compare=False)

    def allows(self, input_class: str) -> bool:
        return input_class not in self.skipped


def _known(ctx: Context, index: int, name: str = "") -> str:
    """One of the known values for a field name (any known value for other names)."""
    values = ctx.known.get(name) or ctx.known.get("") or ("",)
    return values[index % len(values)]


def _text(ctx: Context, *, huge: bool = True) -> st.SearchStrategy[str]:
    alphabet = st.characters(exclude_categories=("Cs",), exclude_characters=None if ctx.allows(NUL) else "\x00")
    options: list[st.SearchStrategy[str]] = [
        st.text(alphabet=alphabet, max_size=40),
        st.sampled_from(_INTERESTING_TEXT),
    ]
    options.append(st.integers(0, 255).map(lambda i: _known(ctx, i)))
    if huge and ctx.allows(HUGE_STRINGS):
        unit = st.sampled_from(["a", "é", "😀", "%", "{", " ", "\x00" if ctx.allows(NUL) else "b"])
        options.append(st.builds(lambda u, n: u * n, unit, st.integers(1_000, HUGE)))
    if ctx.allows(NUL):
        options.append(st.sampled_from(["\x00", "a\x00b", "\x00" * 10]))
    if ctx.allows(INVALID_UTF8):
        options.append(st.sampled_from([INVALID_UTF8_MARKER, f"a{INVALID_UTF8_MARKER}b"]))
    return st.one_of(options)


_JSON_HOSTILE = (
    '{"a": NaN}',
    '{"a": -Infinity}',
    '{"a": 1e999}',
    '{"a": ' * 3000 + "1" + "}" * 3000,
    "[" * 3000 + "]" * 3000,
    '{"a": 1, "a": 2}',
    '{"a": "\\ud800"}',
    '{"a": "\\u0000"}',
    "[]",
    "1",
    '"text"',
)
# Hostile values that fit a field's name (what a field of that name is most likely to choke on).
_HOSTILE_HINTS: dict[str, tuple[str, ...]] = {
    "features": _JSON_HOSTILE,
    "result": _JSON_HOSTILE,
    "reference": ("-7777777777777777", 'x"-7777777777777777\\"}', '","balance_minor":1,"y":"'),
}


def _page_token(ctx: Context) -> st.SearchStrategy[str]:
    def token(payload: object) -> str:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    garbage = st.one_of(
        st.binary(max_size=64).map(token),
        st.fixed_dictionaries(
            {
                "a": st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.integers(), max_size=2)),
                "f": st.one_of(st.none(), st.text(max_size=20), st.integers()),
            }
        ).map(token),
        st.one_of(st.sampled_from(["!!!", "====", "a", "%%%"]), st.text(max_size=20)),
    )
    return st.one_of(st.just(""), garbage) if ctx.allows(PAGE_TOKENS) else st.just("")


def _integer(field: FieldDescriptor, ctx: Context) -> st.SearchStrategy[int]:
    low, high = _INT_RANGES[field.type]
    small = st.integers(max(low, -1000), min(high, 10**6))
    notable = [n for n in _NOTABLE_INTS if low <= n <= high]
    options: list[st.SearchStrategy[int]] = [small, st.sampled_from(notable)]
    if ctx.allows(EXTREME_INTEGERS):
        options += [st.sampled_from([low, high, low + 1, high - 1]), st.integers(low, high)]
    return st.one_of(options)


def _enum(field: FieldDescriptor, ctx: Context) -> st.SearchStrategy[int]:
    numbers = [value.number for value in field.enum_type.values]
    options: list[st.SearchStrategy[int]] = [st.sampled_from(numbers)]
    unknown_allowed = ctx.allows(UNKNOWN_ENUMS) and (ctx.allows(UNKNOWN_ENUM_FILTERS) or not ctx.is_filter)
    if unknown_allowed:
        options.append(st.integers(-(2**31), 2**31 - 1).filter(lambda n: n not in numbers))
    return st.one_of(options)


def _timestamp(ctx: Context) -> st.SearchStrategy[Message]:
    seconds = st.one_of(st.integers(0, _YEAR_2200), st.sampled_from([0, 1, 1_700_000_000, 4_102_444_800]))
    nanos = st.integers(0, 999_999_999)
    if ctx.allows(TIMESTAMPS_OUT_OF_RANGE):
        seconds = st.one_of(
            seconds,
            st.integers(_TIMESTAMP_MIN, _TIMESTAMP_MAX),
            st.sampled_from([_TIMESTAMP_MIN, _TIMESTAMP_MAX]),
            st.sampled_from([-(2**63), 2**63 - 1, _TIMESTAMP_MIN - 1, _TIMESTAMP_MAX + 1]),
        )
        nanos = st.one_of(nanos, st.sampled_from([-1, 10**9, -(2**31), 2**31 - 1]))
    return st.builds(lambda s, n: timestamp_pb2.Timestamp(seconds=s, nanos=n), seconds, nanos)


def _field_mask(owner: Descriptor, ctx: Context, *, hostile: bool) -> st.SearchStrategy[Message]:
    """Paths naming fields of an update request or of the message it carries (a hostile mask may
    name anything)."""
    targets = [f.message_type for f in owner.fields if f.message_type is not None and not f.is_repeated]
    own = {f.name for f in owner.fields if f.message_type is None and not f.name.endswith("_id")} - {"request_id"}
    names = sorted(own | {f.name for message in targets for f in message.fields})
    path: st.SearchStrategy[str] = st.sampled_from(names) if names else st.just("name")
    if hostile and ctx.allows(FIELD_MASKS):
        path = st.one_of(path, _text(ctx, huge=False), st.sampled_from(["", "*", "a.b.c", "id", "__invalid__"]))
    size = (0, 4) if hostile else (1, 2)
    return st.lists(path, min_size=size[0], max_size=size[1]).map(lambda paths: field_mask_pb2.FieldMask(paths=paths))


# Plausible values by field name, so that most requests get past validation and lookups into the
# code behind them (ids and codes that exist come from Context.known).
_HINTS: dict[str, tuple[str, ...]] = {
    "asset": ("TOKEN", "XTR", "RUB"),
    "assets": ("TOKEN", "XTR", "RUB"),
    "payout_asset": ("TOKEN", "XTR", "RUB"),
    "code": ("WELCOME", "HALF", "GEMS", "NEW1"),
    "promo_code": ("WELCOME", "HALF"),
    "plan_code": ("pro", "vip"),
    "method_code": ("card",),
    "recipient": ("gift_target", "@gift_target"),
    "url": ("https://t.me/channel/1",),
    "receipt": ("https://example.invalid/r.png", "AgADBAADbqcxG0123"),
    "features": ('{"v": 1}', ""),
    "result": ('{"tx": "1"}', ""),
    "destination": ("wallet-1",),
    "reason": ("because",),
    "actor": ("telegram:1",),
    "name": ("Name",),
    "display_name": ("Gems",),
    "external_id": ("1001", "2002", "3003"),
    "username": ("buyer_one", "new_user"),
    "default_locale": ("en", "ru"),
    "locale": ("en", "ru"),
    "time_zone": ("UTC", "Europe/Moscow", "Asia/Kolkata"),
    "reference": ("ref-1",),
    "types": ("wallet.debited", "order.paid"),
    "bot_username": ("acme_bot",),
    "category": ("stars", "tokens"),
    "categories": ("stars", "tokens"),
    "platform": ("telegram",),
    "metric": ("invited", "earned"),
}


def _plausible_text(field: FieldDescriptor, ctx: Context) -> st.SearchStrategy[str]:
    known = st.integers(0, 255).map(lambda i: _known(ctx, i, field.name))
    if field.name == "page_token" or field.name == "request_id":
        return st.just("")
    hints = _HINTS.get(field.name)
    if hints:
        return st.one_of(st.sampled_from(hints), known)
    if field.name.endswith(("_id", "_ids")) or field.name == "id":
        return known
    return st.one_of(known, st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12))


def _plausible(field: FieldDescriptor, owner: Descriptor, ctx: Context, depth: int) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return _plausible_text(field, ctx)
    if kind == FieldDescriptor.TYPE_ENUM:
        numbers = [value.number for value in field.enum_type.values if value.number]
        return st.sampled_from(numbers or [0])
    if kind in _INT_RANGES:
        return st.one_of(st.integers(0, 1000), st.sampled_from([1, 5, 50, 100, 3600]))
    if kind == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name == "google.protobuf.Timestamp":
        now = int(time.time())
        seconds = st.integers(now - 40 * 86_400, now + 40 * 86_400)
        return st.builds(lambda s: timestamp_pb2.Timestamp(seconds=s), seconds)
    if kind == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name == "google.protobuf.FieldMask":
        return _field_mask(owner, ctx, hostile=False)
    return _hostile(field, owner, ctx, depth)  # bools, bytes, field masks and messages have one strategy


def _hostile(field: FieldDescriptor, owner: Descriptor, ctx: Context, depth: int) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        if field.name == "page_token":
            return _page_token(ctx)
        if field.name == "request_id" and not ctx.allows(REQUEST_IDS):
            return st.one_of(st.just(""), st.uuids().map(str))
        if field.name in _HOSTILE_HINTS:
            return st.one_of(st.sampled_from(_HOSTILE_HINTS[field.name]), _text(ctx))
        return _text(ctx)
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=256)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind == FieldDescriptor.TYPE_ENUM:
        return _enum(field, ctx)
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(allow_nan=True, allow_infinity=True, width=32 if kind == FieldDescriptor.TYPE_FLOAT else 64)
    if kind in _INT_RANGES:
        return _integer(field, ctx)
    assert kind == FieldDescriptor.TYPE_MESSAGE
    name = field.message_type.full_name
    if name == "google.protobuf.Timestamp":
        return _timestamp(ctx)
    if name == "google.protobuf.FieldMask":
        return _field_mask(owner, ctx, hostile=True)
    return st.deferred(lambda: request_strategy(field.message_type, ctx, depth + 1))


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


Setter = Callable[[Message], None]


def request_strategy(descriptor: Descriptor, ctx: Context, depth: int = 0) -> st.SearchStrategy[Message]:
    """Messages of this type with a subset of their fields set. Each request draws how hostile it
    is: from plausible values with one odd field now and then (so that calls get past validation
    into the code behind it) to every field hostile."""
    cls = message_class(descriptor)
    if depth > MAX_DEPTH:
        return st.just(cls())
    choices = [
        (
            field,
            _setter(field, descriptor, ctx, depth, hostile=False),
            _setter(field, descriptor, ctx, depth, hostile=True),
        )
        for field in descriptor.fields
    ]

    @st.composite
    def build(draw: st.DrawFn) -> Message:
        hostility = draw(st.sampled_from([0, 1, 2, 5, 10]))  # tenths of the set fields that are hostile
        presence = 9 if hostility < 5 else 5  # tenths of the fields that are set
        message = cls()
        for _field, plausible, hostile in choices:
            if draw(st.integers(0, 9)) >= presence:
                continue
            apply = draw(hostile if draw(st.integers(0, 9)) < hostility else plausible)
            apply(message)
        return message

    return build()


def _setter(
    field: FieldDescriptor, owner: Descriptor, ctx: Context, depth: int, *, hostile: bool
) -> st.SearchStrategy[Setter]:
    name = field.name
    values = _hostile if hostile else _plausible
    if _is_map(field):
        key_field = field.message_type.fields_by_name["key"]
        value_field = field.message_type.fields_by_name["value"]
        keys = st.sampled_from(["ru", "en", "uk"])
        if hostile:
            keys = st.one_of(keys, st.just("xx"), values(key_field, owner, ctx, depth))
        entry_values = values(value_field, owner, ctx, depth)

        def set_map(entries: dict[Any, Any]) -> Setter:
            def apply(message: Message) -> None:
                target = getattr(message, name)
                for key, value in entries.items():
                    if value_field.message_type is not None:
                        target[key].CopyFrom(value)
                    else:
                        target[key] = value

            return apply

        return st.dictionaries(keys, entry_values, max_size=3).map(set_map)
    element = values(field, owner, ctx, depth)
    if field.is_repeated:

        def set_repeated(items: list[Any]) -> Setter:
            def apply(message: Message) -> None:
                target = getattr(message, name)
                if field.message_type is not None:
                    for item in items:
                        target.add().CopyFrom(item)
                else:
                    target.extend(items)

            return apply

        return st.lists(element, max_size=3).map(set_repeated)

    def set_one(value: Any) -> Setter:
        def apply(message: Message) -> None:
            if field.message_type is not None:
                getattr(message, name).CopyFrom(value)
            else:
                setattr(message, name, value)

        return apply

    return element.map(set_one)


# Mutations of requests that worked ------------------------------------------------------------


def _hostile_setter(field: FieldDescriptor, owner: Descriptor, ctx: Context) -> st.SearchStrategy[Setter]:
    if field.full_name not in ctx.setters:
        ctx.setters[field.full_name] = _setter(field, owner, ctx, 1, hostile=True)
    return ctx.setters[field.full_name]


def _mutate_one(draw: st.DrawFn, message: Message, ctx: Context, depth: int) -> None:
    descriptor = message.DESCRIPTOR
    if not descriptor.fields:
        return
    field = draw(st.sampled_from(list(descriptor.fields)))
    nested = field.message_type
    singular = nested is not None and not field.is_repeated and not nested.full_name.startswith("google.")
    if singular and depth < 2 and draw(st.booleans()):
        _mutate_one(draw, getattr(message, field.name), ctx, depth + 1)
        return
    if draw(st.integers(0, 9)) == 0:
        message.ClearField(field.name)
        return
    apply = draw(_hostile_setter(field, descriptor, ctx))
    if field.is_repeated:
        message.ClearField(field.name)
    apply(message)


def mutations(descriptor: Descriptor, seeds: Sequence[Message], ctx: Context) -> st.SearchStrategy[Message]:
    """One of the seeds (requests that worked) with one to three fields, top level or nested, made
    hostile or cleared."""
    if not seeds:
        return request_strategy(descriptor, ctx)

    @st.composite
    def build(draw: st.DrawFn) -> Message:
        seed = draw(st.sampled_from(list(seeds)))
        message = message_class(descriptor)()
        message.CopyFrom(seed)
        for _ in range(draw(st.integers(1, 3))):
            _mutate_one(draw, message, ctx, 0)
        return message

    return build()


# Ids that answers name become known values, so later calls reach what earlier calls made.
_NEVER_HARVESTED = frozenset({"tenant_id", "api_key_id", "key_id"})  # the sweep must not suspend or revoke its own
MAX_KNOWN = 40


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def harvest(message: Message, known: dict[str, list[str]]) -> None:
    """Add the ids a response names to `known`, by the field name they fit."""
    for field, value in message.ListFields():
        if field.message_type is not None:
            if _is_map(field):
                continue
            for item in value if field.is_repeated else [value]:
                harvest(item, known)
        elif field.type == FieldDescriptor.TYPE_STRING and (field.name == "id" or field.name.endswith("_id")):
            name = f"{_snake(message.DESCRIPTOR.name)}_id" if field.name == "id" else field.name
            for value_text in value if field.is_repeated else [value]:
                _remember(known, name, value_text)


def _remember(known: dict[str, list[str]], name: str, value: str) -> None:
    if not value or name in _NEVER_HARVESTED:
        return
    for key in (name, ""):
        values = known.setdefault(key, [])
        if value not in values and len(values) < MAX_KNOWN:
            values.append(value)
