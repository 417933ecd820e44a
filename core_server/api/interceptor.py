"""The one server interceptor: request id and access log, authentication, error mapping.

It wraps each method's handler once (cached by method name) so the per-call cost is one
function call layer. Health and reflection pass through untouched: probes and `buf curl
--list-methods` need no key. A method of ours without an access rule is refused.

Before anything else runs (authentication, idempotency, the handler) a call is refused with
INVALID_ARGUMENT when:
- a request id is malformed. A request id is 1 to 128 printable ASCII characters, 0x20 (space)
  to 0x7E (`~`); both the `x-request-id` metadata and the request's `request_id` field are checked
  (empty means none), and the BadRequest violation names the one at fault. Anything else could not
  be logged, stored as an idempotency key or echoed in the `x-request-id` trailer;
- the request does not decode (a string field that is not UTF-8, corrupt bytes): reason
  MALFORMED_REQUEST.
A call's request id is its `x-request-id` metadata, else its `request_id` field, else a fresh one;
every error carries it in RequestInfo, authentication errors included. When the id given is
malformed, the call gets a fresh id (the error message says so) and no id is echoed.

A gateway key's staff call (one whose rule names a bot admin permission, api/access.py) must name
the acting admin in `x-on-behalf-of: telegram:<id>`; that admin of the tenant's bot must hold the
permission (domain/bots/admins.py), and the call then acts, and is audited, as that admin. A
gateway's other calls that name an admin are checked the same way (the admin must exist), so a
use case may ask the actor for the admin's permissions.

Right after authentication the key's rate limit is checked (domain/rate_limits.py): a refused call
never reaches idempotency or the handler. Every call of ours is counted in the core's metrics
(core_server/metrics.py) by method and status code, with its duration; the labelled children are
resolved once per method when its handler is wrapped, so a call pays two increments.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NamedTuple, TypeAlias, cast

import grpc
import structlog
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

from core_server.api.access import Idempotency, MethodRule, rule_of
from core_server.api.call_context import current_actor, set_call, set_request_id
from core_server.api.errors import code_name, internal_status, status_for
from core_server.api.fingerprint import idempotency_key
from core_server.domain.actor import Role
from core_server.domain.bots.admins import ON_BEHALF_HEADER, acting_admin
from core_server.domain.deps import Deps
from core_server.domain.errors import DomainError, InvalidArgument, Violation
from core_server.domain.idempotency import REQUEST_ID_RULE, run_once, valid_request_id
from core_server.domain.rate_limits import RateLimiter, SharedBuckets
from core_server.domain.reasons import DatabaseUnavailable, MalformedRequest, MethodNotAllowed, RateLimited
from core_server.domain.tenancy.authentication import Authenticator
from core_server.store.errors import CONNECTION_LOST, unavailable_cause

log = structlog.get_logger("billinghub.rpc")
# The stdlib logger structlog hands our lines to (core_server/logs.py): its level says whether the
# access line of a successful call is written at all, before anything is formatted for it.
_access_log = logging.getLogger("billinghub.rpc")
OPEN_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"  # generic only in the type stubs
REQUEST_ID_HEADER = "x-request-id"


class _Undecodable:
    """What a method's deserializer gives for bytes that are not its request message."""

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem


def _tolerant(deserialize: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """The deserializer, turning a DecodeError (grpc would answer UNKNOWN) into an _Undecodable."""
    if deserialize is None:
        return None
    owner = getattr(deserialize, "__self__", None)
    descriptor = getattr(owner, "DESCRIPTOR", None)
    type_name = descriptor.full_name if descriptor is not None else "the request message"

    def deserialize_or_mark(raw: bytes) -> Any:
        try:
            return deserialize(raw)
        except DecodeError as error:
            cause = str(error).rpartition("': ")[2] or "corrupt"  # protobuf names the type before it
            return _Undecodable(f"the request does not decode as {type_name}: {cause} (string fields must be UTF-8)")

    return deserialize_or_mark


def _identify(metadata: dict[str, str], request: Any) -> tuple[str, DomainError | None]:
    """The call's request id, and why the call is refused before anything runs (or None)."""
    header = metadata.get(REQUEST_ID_HEADER, "")
    field = getattr(request, "request_id", "") if isinstance(request, Message) else ""
    given = header or field
    # a fresh id: 32 random hex digits (os.urandom's, without building a UUID object around them)
    request_id = given if valid_request_id(given) else os.urandom(16).hex()
    violations = [
        Violation(name, REQUEST_ID_RULE)
        for name, value in ((REQUEST_ID_HEADER, header), ("request_id", field))
        if value and not valid_request_id(value)
    ]
    if violations:
        described = "; ".join(f"{v.field}: {v.description}" for v in violations)
        made_up = ", made up by the core" if request_id != given else ""
        message = f"{described} (this call is logged under request id {request_id}{made_up})"
        return request_id, InvalidArgument(violations, message=message)
    if isinstance(request, _Undecodable):
        return request_id, MalformedRequest([], message=request.problem)
    return request_id, None


def _metadata(context: grpc.aio.ServicerContext[Any, Any]) -> dict[str, str]:
    return {key: value for key, value in context.invocation_metadata() or () if isinstance(value, str)}


class _Opening(NamedTuple):
    request_id: str
    metadata: dict[str, str]
    refusal: DomainError | None


class CoreInterceptor(grpc.aio.ServerInterceptor):
    """See the module docstring."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._auth = Authenticator(deps)
        self._handlers: dict[str, Handler | None] = {}
        shared = SharedBuckets(deps.uow) if deps.db.dialect == "postgresql" else None
        self._limiter = RateLimiter(deps.rate_limits, deps.clock, shared)
        self._metrics = deps.metrics

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        method: str = handler_call_details.method
        if method in self._handlers:
            return self._handlers[method]
        handler = await continuation(handler_call_details)
        if handler is not None and not method.startswith(OPEN_PREFIXES):
            handler = self._wrap(method, handler)
        self._handlers[method] = handler
        return handler

    def _wrap(self, method: str, handler: Handler) -> Handler:
        if handler.unary_unary is not None:
            rule = rule_of(handler.unary_unary)
            inner_unary = handler.unary_unary
            if rule is not None and rule.idempotency in (Idempotency.STORED, Idempotency.SEALED):
                inner_unary = self._once(method, inner_unary, rule.idempotency)
            return grpc.unary_unary_rpc_method_handler(
                self._unary(method, inner_unary, rule),
                request_deserializer=_tolerant(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            rule = rule_of(handler.unary_stream)
            inner = cast(Callable[..., AsyncIterator[Any]], handler.unary_stream)  # async generators under grpc.aio
            return grpc.unary_stream_rpc_method_handler(
                self._stream(method, inner, rule),
                request_deserializer=_tolerant(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        raise RuntimeError(f"{method}: client-streaming methods are not used by the hub")

    def _once(self, method: str, inner: Callable[..., Any], mode: Idempotency) -> Callable[..., Awaitable[Any]]:
        """Run a mutation at most once per request_id, in one transaction with its record."""
        service, _, name = method.strip("/").partition("/")
        output = descriptor_pool.Default().FindServiceByName(service).FindMethodByName(name).output_type
        response_class: type[Message] = message_factory.GetMessageClass(output)
        box = self._deps.secrets
        context_label = f"idempotency:{method}".encode()

        def encode(response: Message) -> bytes:
            raw = response.SerializeToString()
            return box.encrypt_bytes(raw, context_label) if mode is Idempotency.SEALED else raw

        def decode(stored: bytes) -> Message:
            raw = box.decrypt_bytes(stored, context_label) if mode is Idempotency.SEALED else stored
            return response_class.FromString(raw)

        async def behavior(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            key = idempotency_key(method, request)
            return await run_once(
                self._deps, current_actor().tenant_id, key, lambda: inner(request, context), encode, decode
            )

        return behavior

    def _open(self, method: str, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> _Opening:
        """The call's request id (in the logs from here on), never raising: errors need it."""
        metadata = _metadata(context)
        request_id, refusal = _identify(metadata, request)
        set_request_id(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id, method=method)
        return _Opening(request_id, metadata, refusal)

    async def _begin(self, opening: _Opening, rule: MethodRule | None) -> None:
        if opening.refusal is not None:
            raise opening.refusal
        if rule is None:
            raise MethodNotAllowed("method has no access rule")
        metadata = opening.metadata
        actor = await self._auth.authenticate(metadata.get("authorization"), metadata.get("x-tenant-id"), rule.access)
        set_call(actor)
        structlog.contextvars.bind_contextvars(actor=actor.label, tenant=str(actor.tenant_id or ""))
        try:
            await self._limiter.admit(actor)
        except RateLimited:
            self._metrics.rate_limited.labels(actor.role.value).inc()
            raise
        if actor.role is Role.GATEWAY and actor.tenant_id is not None:
            on_behalf = metadata.get(ON_BEHALF_HEADER, "")
            if rule.permission is not None or on_behalf:
                actor = await acting_admin(self._deps, actor, on_behalf, rule.permission)
                set_call(actor)
                structlog.contextvars.bind_contextvars(actor=actor.label)

    def _unary(
        self, method: str, inner: Callable[..., Awaitable[Any]], rule: MethodRule | None
    ) -> Callable[..., Awaitable[Any]]:
        metrics = self._metrics.for_method(method)

        async def behavior(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            started = time.perf_counter()
            opening = self._open(method, request, context)
            request_id = opening.request_id
            code = status = "OK"
            try:
                await self._begin(opening, rule)
                response = await inner(request, context)
                context.set_trailing_metadata(((REQUEST_ID_HEADER, request_id),))
                return response
            except DomainError as error:
                code, status = type(error).__name__, code_name(error)
                await _abort(context, status_for(error, request_id))
            except Exception as error:
                code, status = await _unexpected(self._deps, context, error, request_id)
            finally:
                metrics.record(status, _log_call(started, code))
                structlog.contextvars.clear_contextvars()

        return behavior

    def _stream(
        self, method: str, inner: Callable[..., AsyncIterator[Any]], rule: MethodRule | None
    ) -> Callable[..., AsyncIterator[Any]]:
        metrics = self._metrics.for_method(method)

        async def behavior(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            started = time.perf_counter()
            opening = self._open(method, request, context)
            request_id = opening.request_id
            code = status = "OK"
            try:
                await self._begin(opening, rule)
                async for response in inner(request, context):
                    yield response
            except DomainError as error:
                code, status = type(error).__name__, code_name(error)
                await _abort(context, status_for(error, request_id))
            except Exception as error:
                code, status = await _unexpected(self._deps, context, error, request_id)
            finally:
                metrics.record(status, _log_call(started, code))
                structlog.contextvars.clear_contextvars()

        return behavior


async def _unexpected(
    deps: Deps, context: grpc.aio.ServicerContext[Any, Any], error: Exception, request_id: str
) -> tuple[str, str]:
    """A database that cannot take the call now is UNAVAILABLE (retry later); anything else is a
    defect: INTERNAL, logged with its traceback. Returns the code for the call's log line and the
    status code's name for its metrics."""
    why = unavailable_cause(error)
    if why == CONNECTION_LOST and deps.fastpath is not None:
        await deps.fastpath.connections_lost()  # SQLAlchemy's pool renews itself; the asyncpg one is told
    if why is not None:
        log.warning("database unavailable", why=why, error=type(error).__name__)
        await _abort(context, status_for(DatabaseUnavailable(why), request_id))
        return "DatabaseUnavailable", "UNAVAILABLE"
    log.exception("unexpected error")
    await _abort(context, internal_status(request_id))
    return "INTERNAL", "INTERNAL"


async def _abort(context: grpc.aio.ServicerContext[Any, Any], status: grpc.Status) -> None:
    await context.abort(status.code, status.details, status.trailing_metadata)


def _log_call(started: float, code: str) -> float:
    """Log the call (a successful one only at debug level); returns its duration in seconds."""
    elapsed = time.perf_counter() - started
    if code != "OK":
        log.info("call", code=code, elapsed_ms=round(elapsed * 1000, 3))
    elif _access_log.isEnabledFor(logging.DEBUG) or not structlog.is_configured():
        # (unconfigured, in tests, structlog prints every line itself)
        log.debug("call", code=code, elapsed_ms=round(elapsed * 1000, 3))
    return elapsed
