"""The REST shape of the contract, derived from the proto messages: one schema, declared once.

Every REST resource is a gRPC message of `proto/billinghub/v1`, so its JSON form and its OpenAPI
schema are generated from the message descriptor rather than written a second time by hand:

- field names stay snake_case, as in the proto;
- 64-bit integers are JSON strings (`"amount_minor": "1990"`): JavaScript's numbers lose
  integers past 2^53, and a billing API that rounds a balance is not one;
- enum values are the short lower-case name (`PLATFORM_TELEGRAM` -> `"telegram"`); the zero
  `*_UNSPECIFIED` value is what an omitted field means and is never written;
- timestamps are RFC 3339 strings in UTC;
- `request_id` never appears: the `Idempotency-Key` header carries it.

`to_json` and `from_json` are the two directions; `response_model` and `request_model` build the
pydantic models quart-schema documents in `/api/v1/openapi.json` and validates requests with.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Annotated, Any, Literal

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, create_model

INT64_TYPES = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_SFIXED64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_FIXED64,
    }
)
INT32_TYPES = frozenset(
    {
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_SFIXED32,
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_FIXED32,
    }
)
INT64_PATTERN = r"^-?[0-9]{1,19}$"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
HIDDEN_FIELDS = frozenset({"request_id"})
TIMESTAMP = Timestamp.DESCRIPTOR.full_name
MAX_STRING = 4096  # far above any field the core accepts; the core checks each field's own bound
MAX_ITEMS = 100  # as many items as any list the core accepts

# protobuf's stubs type descriptors as unions of the pure-Python and the upb classes, which share
# no base class; the code below reads only attributes both have
FieldInfo = Any
Int64 = Annotated[str, Field(pattern=INT64_PATTERN, description="a 64-bit integer as a string")]
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
# in a JSON body a number is a number and a boolean a boolean (pydantic alone would take 0 as false
# and "7" as 7); a query string has only text, so there the text forms are parsed
BodyInt32 = Annotated[int, Strict(), Field(ge=INT32_MIN, le=INT32_MAX)]
BodyBool = Annotated[bool, Strict()]
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def _rfc3339(value: Any) -> Any:
    """Only an RFC 3339 time with its offset is a time: pydantic alone would also take a number
    ("0.5" as seconds since 1970) or a time without a zone, which the document does not allow."""
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 time with its offset, e.g. 2026-01-31T12:00:00Z")
    return value


Time = Annotated[dt.datetime, BeforeValidator(_rfc3339)]
QUERY_MAX_STRING = 256  # a query string past ~16 KB is refused by the server before the app sees it
# page tokens are base64url (core_server/domain/paging.py): ASCII, so the core's longest fits a URL
PAGE_TOKEN = Annotated[str, Field(max_length=2048, pattern=r"^[A-Za-z0-9_-]*$")]
# for the same reason a list in a query string is a short list of short strings (asset codes, enum
# names, ids): 16 items of 40 characters stay far below the server's limit even percent-encoded
QUERY_MAX_ITEMS = 16
QUERY_MAX_ITEM_STRING = 40


class JsonInputError(ValueError):
    """A value the JSON form allows but the message cannot hold (an int64 out of range)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _upper_snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


@cache
def enum_names(enum: Any) -> dict[int, str]:
    """Short lower-case names of an enum's values, the zero value left out."""
    prefix = _upper_snake(enum.name) + "_"
    return {
        value.number: (value.name.removeprefix(prefix) if value.name.startswith(prefix) else value.name).lower()
        for value in enum.values
        if value.number != 0
    }


@cache
def enum_numbers(enum: Any) -> dict[str, int]:
    return {name: number for number, name in enum_names(enum).items()}


def _scalar_to_json(field: FieldInfo, value: Any) -> Any:
    if field.type in INT64_TYPES:
        return str(value)
    if field.type == FieldDescriptor.TYPE_ENUM:
        return enum_names(field.enum_type).get(value)
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return to_json(value)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return value.hex()
    return value


def _timestamp_to_json(value: Timestamp) -> str | None:
    if not value.seconds and not value.nanos:
        return None
    return value.ToDatetime(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


@cache
def _fields(descriptor: Any) -> tuple[FieldInfo, ...]:
    """A message's fields, copied once per message type rather than once per message converted."""
    return tuple(descriptor.fields)


@cache
def _fields_by_name(descriptor: Any) -> dict[str, FieldInfo]:
    return dict(descriptor.fields_by_name)


def to_json(message: Message) -> Any:
    """The REST form of a message (see the module docstring); unset timestamps are null."""
    if message.DESCRIPTOR.full_name == TIMESTAMP:
        assert isinstance(message, Timestamp)
        return _timestamp_to_json(message)
    out: dict[str, Any] = {}
    fields = _fields(message.DESCRIPTOR)
    for field in fields:
        if field.name in HIDDEN_FIELDS:
            continue
        value = getattr(message, field.name)
        if _is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            out[field.name] = {key: _scalar_to_json(value_field, item) for key, item in value.items()}
        elif field.is_repeated:
            out[field.name] = [_scalar_to_json(field, item) for item in value]
        elif field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name != TIMESTAMP:
            out[field.name] = to_json(value) if message.HasField(field.name) else None
        else:
            out[field.name] = _scalar_to_json(field, value)
    return out


def _is_map(field: FieldInfo) -> bool:
    return bool(
        field.type == FieldDescriptor.TYPE_MESSAGE and field.is_repeated and field.message_type.GetOptions().map_entry
    )


def _scalar_from_json(field: FieldInfo, value: Any, path: str) -> Any:
    if field.type in INT64_TYPES:
        number = int(value)
        if not INT64_MIN <= number <= INT64_MAX:
            raise JsonInputError(path, "out of the 64-bit integer range")
        return number
    if field.type == FieldDescriptor.TYPE_ENUM:
        return enum_numbers(field.enum_type)[value]
    return value


def from_json(data: dict[str, Any], message: Message, path: str = "") -> Message:
    """Fill `message` from validated REST input (a `request_model` dump); returns it."""
    fields = _fields_by_name(message.DESCRIPTOR)
    for name, value in data.items():
        if value is None:
            continue
        field = fields[name]
        where = f"{path}{name}"
        if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name == TIMESTAMP:
            getattr(message, name).FromDatetime(value)
        elif _is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            target = getattr(message, name)
            for key, item in value.items():
                target[key] = _scalar_from_json(value_field, item, f"{where}.{key}")
        elif field.is_repeated:
            target = getattr(message, name)
            for index, item in enumerate(value):
                if field.type == FieldDescriptor.TYPE_MESSAGE:
                    from_json(item, target.add(), f"{where}[{index}].")
                else:
                    target.append(_scalar_from_json(field, item, f"{where}[{index}]"))
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            from_json(value, getattr(message, name), f"{where}.")
        else:
            setattr(message, name, _scalar_from_json(field, value, where))
    return message


def _string(max_string: int | None) -> Any:
    return str if max_string is None else Annotated[str, Field(max_length=max_string)]


def _json_type(field: FieldInfo, *, max_string: int | None) -> Any:
    """The pydantic type of one value of a field (for maps and repeated fields: of one item)."""
    if field.name == "page_token" and max_string is not None:
        return PAGE_TOKEN
    if field.type in INT64_TYPES:
        return Int64
    body = max_string == MAX_STRING
    if field.type in INT32_TYPES:
        return BodyInt32 if body else Int32
    if field.type == FieldDescriptor.TYPE_BOOL:
        return BodyBool if body else bool
    if field.type == FieldDescriptor.TYPE_STRING:
        return _string(max_string)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return str
    if field.type == FieldDescriptor.TYPE_ENUM:
        names = tuple(enum_names(field.enum_type).values())
        return Literal[names] if names else str
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return float
    if field.message_type.full_name == TIMESTAMP:
        return dt.datetime if max_string is None else Time
    if max_string is None:
        return response_model(field.message_type)
    return request_model(field.message_type, max_string=max_string)


def _field_type(field: FieldInfo, *, max_string: int | None) -> Any:
    if _is_map(field):
        value_type = _json_type(field.message_type.fields_by_name["value"], max_string=max_string)
        key_type = _string(max_string)
        return Annotated[dict[key_type, value_type], Field(max_length=MAX_ITEMS)]  # type: ignore[valid-type]
    if field.is_repeated and max_string == QUERY_MAX_STRING:
        item = _json_type(field, max_string=QUERY_MAX_ITEM_STRING)
        return Annotated[list[item], Field(max_length=QUERY_MAX_ITEMS)]  # type: ignore[valid-type]
    item = _json_type(field, max_string=max_string)
    if field.is_repeated:
        return Annotated[list[item], Field(max_length=MAX_ITEMS)]  # type: ignore[valid-type]
    return item


@cache
def response_model(descriptor: Any) -> type[BaseModel]:
    """The pydantic model of a message as `to_json` writes it: every field present."""
    fields: dict[str, Any] = {}
    for field in descriptor.fields:
        if field.name in HIDDEN_FIELDS:
            continue
        kind = _field_type(field, max_string=None)
        nullable = field.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_ENUM) and not field.is_repeated
        fields[field.name] = (kind | None if nullable else kind, ...)
    model: type[BaseModel] = create_model(descriptor.name, __config__=ConfigDict(extra="forbid"), **fields)
    return model


@cache
def request_model(
    descriptor: Any,
    name: str = "",
    exclude: frozenset[str] = frozenset(),
    max_string: int = MAX_STRING,
    renames: tuple[tuple[str, str], ...] = (),
) -> type[BaseModel]:
    """The pydantic model of a message as REST input: every field optional, unknown fields refused
    (a typo in a field name is an error, not a silently ignored value). `exclude` leaves out what
    the path carries; `name` names the model in the OpenAPI document (default: the message's
    name + "Input"); `max_string` bounds strings (tighter in a query string); `renames` pairs a
    field's proto name with the name REST shows instead (`max_tasks` as `limit`)."""
    shown = dict(renames)
    fields: dict[str, Any] = {}
    for field in descriptor.fields:
        if field.name in HIDDEN_FIELDS or field.name in exclude or field.name == "update_mask":
            continue
        fields[shown.get(field.name, field.name)] = (_field_type(field, max_string=max_string) | None, None)
    model: type[BaseModel] = create_model(
        name or descriptor.name + ("Input" if max_string == MAX_STRING else "Query"),
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )
    return model


def _flattened(field: FieldInfo) -> bool:
    return bool(
        field.type == FieldDescriptor.TYPE_MESSAGE
        and not field.is_repeated
        and field.message_type.full_name != TIMESTAMP
    )


@cache
def query_model(
    descriptor: Any, name: str, exclude: frozenset[str] = frozenset(), renames: tuple[tuple[str, str], ...] = ()
) -> type[BaseModel]:
    """The OpenAPI form of a read's input, as a query string carries it: flat. A message field
    becomes one parameter per field of its message, named `field.sub` (`amount.asset`,
    `amount.amount_minor`); the view nests them back before `request_model` validates them.
    `renames` as in `request_model`."""
    shown = dict(renames)
    fields: dict[str, Any] = {}
    for field in descriptor.fields:
        if field.name in HIDDEN_FIELDS or field.name in exclude or field.name == "update_mask":
            continue
        if not _flattened(field):
            fields[shown.get(field.name, field.name)] = (_field_type(field, max_string=QUERY_MAX_STRING) | None, None)
            continue
        for sub in field.message_type.fields:
            kind = _field_type(sub, max_string=QUERY_MAX_STRING)
            fields[f"{field.name}__{sub.name}"] = (kind | None, Field(None, alias=f"{field.name}.{sub.name}"))
    model: type[BaseModel] = create_model(name, __config__=ConfigDict(extra="forbid"), **fields)
    return model
