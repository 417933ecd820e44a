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
from collections.abc import Callable
from typing import Any

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor
from pydantic import BaseModel, ValidationError
from quart import Blueprint, request
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


def expose(
    blueprint: Blueprint,
    method: str,
    rule: str,
    rpc: str,
    *,
    resource: str,
    summary: str,
    unwrap: str = "",
    body: str = "",
    status: int = 200,
    operation: str = "",
    omit: frozenset[str] = frozenset(),
) -> None:
    """Serve `method rule` by calling `rpc` ("UserService.GetUser") with its request message built
    from the path parameters and the query (GET, DELETE) or the JSON body (the other methods).

    The RPC's name is the operation id (and names the input model in the OpenAPI document);
    `resource` is its tag; `unwrap` answers one field of the response instead of the whole
    response message. When one RPC serves two endpoints (CreatePayment: an order's checkout and a
    wallet top-up), `operation` names the second one's operation, and `omit` leaves out the request
    fields an endpoint does not take (they are refused as unknown, like any other).
    `body` names a message field the JSON body (and the path parameters) fill
    instead of the request itself: the shape of an update that takes the resource and a mask
    (`UpdateWebhookEndpoint(webhook_endpoint, update_mask)` as `PATCH` of the resource).
    """
    method_descriptor = _method(rpc)
    descriptor = method_descriptor.input_type
    message = message_factory.GetMessageClass(descriptor)
    call = _call(rpc)
    name = operation or method_descriptor.name
    path_names = frozenset(PATH_PARAMETER.findall(rule))
    target: Any = descriptor.fields_by_name[body].message_type if body else descriptor
    unknown = path_names - set(target.fields_by_name)
    assert not unknown, f"{rule}: {sorted(unknown)} are not fields of {target.name}"
    reads = method in READ_METHODS
    bound = QUERY_MAX_STRING if reads else MAX_STRING
    if reads:
        input_model = query_model(target, name + "Query", path_names | omit)
    else:
        input_model = request_model(target, name + "Body", path_names | omit, bound)
    whole_model = request_model(descriptor, descriptor.name + ("Query" if reads else "Input"), omit, bound)
    takes_request_id = "request_id" in descriptor.fields_by_name
    masks = "update_mask" in descriptor.fields_by_name
    repeated = frozenset(f.name for f in descriptor.fields if f.is_repeated)
    output = method_descriptor.output_type
    output_model = response_model(output.fields_by_name[unwrap].message_type if unwrap else output)

    async def view(**path: str) -> tuple[Any, int]:
        client = caller()
        given = _query(repeated) if reads else await _json_body()
        clash = sorted(path_names & set(given))
        if clash:
            raise RequestInvalid([(field, "is given by the path") for field in clash])
        data = _validated(whole_model, {body: {**given, **path}} if body else {**given, **path}, body)
        built = message()
        try:
            from_json(data, built)
        except JsonInputError as error:
            raise RequestInvalid([(error.field, error.problem)]) from None
        if takes_request_id:
            built.request_id = request_id()  # type: ignore[attr-defined]
        if masks:
            built.update_mask.paths.extend(sorted(set(given) - {"update_mask"}))  # type: ignore[attr-defined]
        response = await call(client)(built)
        return to_json(getattr(response, unwrap) if unwrap else response), status

    view.__name__ = name
    view.__qualname__ = name
    documented: Any = view
    for code in ERROR_STATUSES:
        documented = document_response(ErrorBody, code)(documented)
    documented = document_response(output_model, status)(documented)
    if reads:
        if input_model.model_fields:
            documented = document_querystring(input_model)(documented)
    else:
        documented = document_request(input_model)(documented)
    if takes_request_id:
        documented = document_headers(IdempotencyHeaders)(documented)
    documented = tag([resource])(operation_id(name)(documented))
    documented.__doc__ = summary
    blueprint.add_url_rule(rule, name, documented, methods=[method])


def _validated(model: type[BaseModel], data: dict[str, Any], body: str = "") -> dict[str, Any]:
    try:
        return model.model_validate(data).model_dump(exclude_none=True)
    except ValidationError as error:
        raise RequestInvalid(_violations(error, body)) from None
