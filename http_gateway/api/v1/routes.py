"""One REST endpoint = one RPC: `expose` declares it, validates its input, calls the core with the
caller's own key and answers the RPC's response in its REST form (`proto_json`).

Declaring endpoints as data rather than writing a view per RPC keeps every endpoint alike: the
same input rules (path + query for reads, path + JSON body for writes, unknown fields refused), the
same `Idempotency-Key` handling, the same error responses, and an OpenAPI entry that cannot drift
from what the view does, because both come from the same request message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from pydantic import BaseModel, Field, RootModel, ValidationError, create_model
from quart import Blueprint, Response, request
from quart_schema import document_headers, document_querystring, document_request, document_response, operation_id, tag

from http_gateway.api.v1.caller import caller
from http_gateway.api.v1.idempotency import IdempotencyHeaders, request_id
from http_gateway.api.v1.proto_json import (
    MAX_STRING,
    QUERY_MAX_STRING,
    JsonInputError,
    from_json,
    query_model,
    request_model,
    response_model,
    to_json,
)
from http_gateway.errors import BODY_TOO_LARGE, MAX_API_BODY, ErrorBody, RequestInvalid
from sdk.client import BillingHubClient
from sdk.errors import BillingHubError, FieldViolation

PATH_PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
READ_METHODS = frozenset({"GET", "DELETE"})
# what every endpoint may answer besides its success (the mapping is in http_gateway/errors.py)
ERROR_STATUSES = (400, 401, 403, 404, 409, 429, 500, 503)
MAX_BODY = MAX_API_BODY

PACKAGE = "billinghub.v1"
# the client property that holds each service's stub
STUBS = {
    "UserService": "users",
    "WalletService": "wallet",
    "CatalogService": "catalog",
    "OrderService": "orders",
    "PaymentService": "payments",
    "FulfillmentService": "fulfillment",
    "SubscriptionService": "subscriptions",
    "ReferralService": "referrals",
    "PromoService": "promos",
    "TopupRequestService": "topups",
    "ReportService": "reports",
    "EventService": "events",
    "WebhookEndpointService": "webhooks",
    "BotSettingsService": "bot_settings",
}


def _method(rpc: str) -> MethodDescriptor:
    return descriptor_pool.Default().FindMethodByName(f"{PACKAGE}.{rpc}")


def _call(rpc: str) -> Callable[[BillingHubClient], Callable[..., Any]]:
    service, method = rpc.split(".")
    attribute = STUBS[service]
    return lambda client: getattr(getattr(client, attribute), method)


def _violations(error: ValidationError, body: str) -> list[tuple[str, str]]:
    """Each invalid field named as the caller wrote it (inside the body when the body is a field)."""
    out = []
    for item in error.errors():
        parts = [str(part) for part in item["loc"]]
        if body and parts[:1] == [body]:
            parts = parts[1:]
        out.append((".".join(parts) or "body", str(item["msg"])))
    return out


async def _json_body() -> dict[str, Any]:
    raw = await request.get_data(as_text=False)
    assert isinstance(raw, bytes)
    if len(raw) > MAX_BODY:
        raise RequestInvalid([("body", BODY_TOO_LARGE)])
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise RequestInvalid([("body", "is not valid JSON")]) from None
    if not isinstance(data, dict):
        raise RequestInvalid([("body", "must be a JSON object")])
    return data


def _query(repeated: frozenset[str]) -> dict[str, Any]:
    """The query string as request fields; `amount.asset=RUB` fills the message field `amount`."""
    out: dict[str, Any] = {}
    for key in request.args:
        value = request.args.getlist(key) if key in repeated else request.args.getlist(key)[-1]
        field, dot, sub = key.partition(".")
        if not dot:
            if isinstance(out.get(key), dict):
                raise RequestInvalid([(key, "is given both whole and by its fields")])
            out[key] = value
            continue
        nested = out.setdefault(field, {})
        if not isinstance(nested, dict):
            raise RequestInvalid([(field, "is given both whole and by its fields")])
        nested[sub] = value
    return out


@dataclass(frozen=True)
class _Binding:
    """One RPC behind one rule: how REST input becomes its request message, and its answer REST."""

    name: str
    message: type[Message]
    call: Callable[[BillingHubClient], Callable[..., Any]]
    path_names: frozenset[str]
    reads: bool
    input_model: type[BaseModel]  # what the document shows: the query or the body without the path
    whole_model: type[BaseModel]  # what is validated: the input with the path parameters
    takes_request_id: bool
    masks: bool
    repeated: frozenset[str]  # REST names of repeated fields (a query key may then repeat)
    proto_names: Mapping[str, str]  # REST name -> proto field name, for renamed fields
    unwrap: str
    output_model: type[BaseModel]
    body: str  # the message field the input fills ("" for the request itself)

    async def answer(self, client: BillingHubClient, given: dict[str, Any], path: dict[str, str]) -> Any:
        """Validate `given` (query or body) with the path parameters, call the RPC, answer REST."""
        clash = sorted(self.path_names & set(given))
        if clash:
            raise RequestInvalid([(field, "is given by the path") for field in clash])
        given_and_path = {**given, **path}
        data = _validated(self.whole_model, {self.body: given_and_path} if self.body else given_and_path, self.body)
        built = self.message()
        try:
            from_json({self.proto_names.get(key, key): value for key, value in data.items()}, built)
        except JsonInputError as error:
            raise RequestInvalid([(error.field, error.problem)]) from None
        if self.takes_request_id:
            built.request_id = request_id()  # type: ignore[attr-defined]
        if self.masks:
            built.update_mask.paths.extend(sorted(set(given) - {"update_mask"}))  # type: ignore[attr-defined]
        try:
            response = await self.call(client)(built)
        except BillingHubError as error:  # the core names proto fields: name renamed ones as REST shows them
            shown = {proto: rest for rest, proto in self.proto_names.items()}
            error.field_violations = [
                FieldViolation(shown.get(v.field, v.field), v.description) for v in error.field_violations
            ]
            raise
        return to_json(getattr(response, self.unwrap) if self.unwrap else response)


def _bind(
    method: str,
    rule: str,
    rpc: str,
    name: str,
    unwrap: str,
    renames: Mapping[str, str],
    omit: frozenset[str] = frozenset(),
    body: str = "",
) -> _Binding:
    method_descriptor = _method(rpc)
    descriptor = method_descriptor.input_type
    target: Any = descriptor.fields_by_name[body].message_type if body else descriptor
    path_names = frozenset(PATH_PARAMETER.findall(rule))
    unknown = (path_names | set(renames)) - set(target.fields_by_name)
    assert not unknown, f"{rule}: {sorted(unknown)} are not fields of {target.name}"
    reads = method in READ_METHODS
    bound = QUERY_MAX_STRING if reads else MAX_STRING
    pairs = tuple(sorted(renames.items()))
    if reads:
        input_model = query_model(target, name + "Query", path_names | omit, pairs)
    else:
        input_model = request_model(target, name + "Body", path_names | omit, bound, pairs)
    whole_name = descriptor.name + ("Query" if reads else "Input")
    output = method_descriptor.output_type
    return _Binding(
        name=name,
        message=message_factory.GetMessageClass(descriptor),
        call=_call(rpc),
        path_names=path_names,
        reads=reads,
        input_model=input_model,
        whole_model=request_model(descriptor, whole_name, omit, bound, () if body else pairs),
        takes_request_id="request_id" in descriptor.fields_by_name,
        masks="update_mask" in descriptor.fields_by_name,
        repeated=frozenset(renames.get(f.name, f.name) for f in descriptor.fields if f.is_repeated),
        proto_names={shown: proto for proto, shown in renames.items()},
        unwrap=unwrap,
        output_model=response_model(output.fields_by_name[unwrap].message_type if unwrap else output),
        body=body,
    )


def expose(
    blueprint: Blueprint,
    method: str,
    rule: str,
    rpc: str,
    *,
    resource: str,
    summary: str,
    unwrap: str = "",
    status: int = 200,
    name: str = "",
    renames: Mapping[str, str] | None = None,
    omit: frozenset[str] = frozenset(),
    body: str = "",
) -> None:
    """Serve `method rule` by calling `rpc` ("UserService.GetUser") with its request message built
    from the path parameters and the query (GET, DELETE) or the JSON body (the other methods).

    The operation id (which also names the input model in the OpenAPI document) is `name`, by
    default the RPC's name; give one when a second rule serves the same RPC (CreatePayment: an
    order's checkout and a wallet top-up). `resource` is its tag; `unwrap` answers one field of
    the response instead of the whole response message; `renames` shows proto fields under other
    names (`{"max_tasks": "limit"}`); `omit` leaves out request fields an endpoint does not take
    (they are refused as unknown, like any other); `body` names a message field the JSON body
    (and the path parameters) fill instead of the request itself: the shape of an update that
    takes the resource and a mask (`UpdateWebhookEndpoint(webhook_endpoint, update_mask)` as a
    `PATCH` of the resource).
    """
    binding = _bind(method, rule, rpc, name or _method(rpc).name, unwrap, renames or {}, omit, body)

    async def view(**path: str) -> Response:
        client = caller()
        given = _query(binding.repeated) if binding.reads else await _json_body()
        return _json_response(await binding.answer(client, given, path), status)

    body_model = None if binding.reads else binding.input_model
    query = binding.input_model if binding.reads and binding.input_model.model_fields else None
    _document(
        blueprint, method, rule, view, binding.name, resource, summary, status, binding.output_model,
        query=query, body=body_model, idempotent=binding.takes_request_id,
    )  # fmt: skip


def expose_choice(
    blueprint: Blueprint,
    method: str,
    rule: str,
    field: str,
    choices: Mapping[str, str],
    *,
    name: str,
    resource: str,
    summary: str,
    unwrap: str = "",
    status: int = 200,
) -> None:
    """Serve `method rule` by one of several RPCs, chosen by the body's `field`: `choices` maps
    each value to its RPC (`{"completed": "FulfillmentService.CompleteTask", ...}`). The rest of
    the body is that RPC's input; every choice must answer the same REST shape. The document
    shows the body as one object per choice, told apart by `field` (an OpenAPI discriminator).
    """
    assert method not in READ_METHODS, f"{rule}: a choice is made in a JSON body"
    bindings = {value: _bind(method, rule, rpc, f"{name}{_camel(value)}", unwrap, {}) for value, rpc in choices.items()}
    outputs = {binding.output_model for binding in bindings.values()}
    assert len(outputs) == 1, f"{rule}: the choices answer different shapes"
    assert all(field not in b.whole_model.model_fields for b in bindings.values()), f"{rule}: {field} is an RPC field"
    allowed = ", ".join(bindings)

    async def view(**path: str) -> Response:
        client = caller()
        given = await _json_body()
        chosen = given.pop(field, None)
        if not isinstance(chosen, str) or chosen not in bindings:
            raise RequestInvalid([(field, f"must be one of {allowed}")])
        return _json_response(await bindings[chosen].answer(client, given, path), status)

    variants = tuple(
        create_model(binding.name + "Body", __base__=binding.input_model, **{field: (Literal[value], ...)})  # type: ignore[call-overload]
        for value, binding in bindings.items()
    )
    union = Annotated[Union[variants], Field(discriminator=field)]  # type: ignore[valid-type]  # noqa: UP007  # Union[...] of a runtime tuple
    body: type[BaseModel] = create_model(name + "Body", __base__=RootModel[union])
    idempotent = any(binding.takes_request_id for binding in bindings.values())
    _document(
        blueprint, method, rule, view, name, resource, summary, status, outputs.pop(), body=body, idempotent=idempotent
    )


def _json_response(body: Any, status: int) -> Response:
    """The answer, already plain JSON data (`to_json`), as a response. Returning the dict instead
    would let quart-schema build a pydantic TypeAdapter for it on every response to dump what
    needs no dumping (a fifth of the gateway's time per request, measured with cProfile)."""
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status, mimetype="application/json")


def _camel(value: str) -> str:
    return "".join(part.title() for part in value.split("_"))


def _document(
    blueprint: Blueprint,
    method: str,
    rule: str,
    view: Callable[..., Any],
    name: str,
    resource: str,
    summary: str,
    status: int,
    output_model: type[BaseModel],
    *,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    idempotent: bool = False,
) -> None:
    """Add the view under `rule`, documented: its answers, its input, the Idempotency-Key header."""
    view.__name__ = name
    view.__qualname__ = name
    documented: Any = view
    for code in ERROR_STATUSES:
        documented = document_response(ErrorBody, code)(documented)
    documented = document_response(output_model, status)(documented)
    if query is not None:
        documented = document_querystring(query)(documented)
    if body is not None:
        documented = document_request(body)(documented)
    if idempotent:
        documented = document_headers(IdempotencyHeaders)(documented)
    documented = tag([resource])(operation_id(name)(documented))
    documented.__doc__ = summary
    blueprint.add_url_rule(rule, name, documented, methods=[method])


def _validated(model: type[BaseModel], data: dict[str, Any], body: str = "") -> dict[str, Any]:
    try:
        return model.model_validate(data).model_dump(exclude_none=True)
    except ValidationError as error:
        raise RequestInvalid(_violations(error, body)) from None
