"""The one server interceptor: request id and access log, authentication, error mapping.

It wraps each method's handler once (cached by method name) so the per-call cost is one
function call layer. Health and reflection pass through untouched: probes and `buf curl
--list-methods` need no key. A method of ours without an access rule is refused.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias, cast

import grpc
import structlog
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message

from core_server.api.access import Idempotency, MethodRule, rule_of
from core_server.api.call_context import current_actor, set_call, set_request_id
from core_server.api.errors import internal_status, status_for
from core_server.api.fingerprint import idempotency_key
from core_server.domain.deps import Deps
from core_server.domain.errors import DomainError, PermissionDenied
from core_server.domain.idempotency import run_once
from core_server.domain.tenancy.authentication import Authenticator

log = structlog.get_logger("billinghub.rpc")
OPEN_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"  # generic only in the type stubs


def _request_id(metadata: dict[str, str], request: Any) -> str:
    return metadata.get("x-request-id") or getattr(request, "request_id", "") or uuid.uuid4().hex


def _metadata(context: grpc.aio.ServicerContext[Any, Any]) -> dict[str, str]:
    return {key: value for key, value in context.invocation_metadata() or () if isinstance(value, str)}


class CoreInterceptor(grpc.aio.ServerInterceptor):
    """See the module docstring."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._auth = Authenticator(deps)
        self._handlers: dict[str, Handler | None] = {}

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
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            rule = rule_of(handler.unary_stream)
            inner = cast(Callable[..., AsyncIterator[Any]], handler.unary_stream)  # async generators under grpc.aio
            return grpc.unary_stream_rpc_method_handler(
                self._stream(method, inner, rule),
                request_deserializer=handler.request_deserializer,
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

    async def _begin(
        self, method: str, rule: MethodRule | None, request: Any, context: grpc.aio.ServicerContext[Any, Any]
    ) -> str:
        metadata = _metadata(context)
        request_id = _request_id(metadata, request)
        set_request_id(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id, method=method)
        if rule is None:
            raise PermissionDenied("method has no access rule", reason="METHOD_NOT_ALLOWED")
        actor = await self._auth.authenticate(metadata.get("authorization"), metadata.get("x-tenant-id"), rule.access)
        set_call(actor)
        structlog.contextvars.bind_contextvars(actor=actor.label, tenant=str(actor.tenant_id or ""))
        return request_id

    def _unary(
        self, method: str, inner: Callable[..., Awaitable[Any]], rule: MethodRule | None
    ) -> Callable[..., Awaitable[Any]]:
        async def behavior(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            started = time.perf_counter()
            request_id = ""
            code = "OK"
            try:
                request_id = await self._begin(method, rule, request, context)
                response = await inner(request, context)
                context.set_trailing_metadata((("x-request-id", request_id),))
                return response
            except DomainError as error:
                code = type(error).__name__
                await _abort(context, status_for(error, request_id))
            except Exception:
                code = "INTERNAL"
                log.exception("unexpected error")
                await _abort(context, internal_status(request_id))
            finally:
                _log_call(started, code)
                structlog.contextvars.clear_contextvars()

        return behavior

    def _stream(
        self, method: str, inner: Callable[..., AsyncIterator[Any]], rule: MethodRule | None
    ) -> Callable[..., AsyncIterator[Any]]:
        async def behavior(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            started = time.perf_counter()
            request_id = ""
            code = "OK"
            try:
                request_id = await self._begin(method, rule, request, context)
                async for response in inner(request, context):
                    yield response
            except DomainError as error:
                code = type(error).__name__
                await _abort(context, status_for(error, request_id))
            except Exception:
                code = "INTERNAL"
                log.exception("unexpected error")
                await _abort(context, internal_status(request_id))
            finally:
                _log_call(started, code)
                structlog.contextvars.clear_contextvars()

        return behavior


async def _abort(context: grpc.aio.ServicerContext[Any, Any], status: grpc.Status) -> None:
    await context.abort(status.code, status.details, status.trailing_metadata)


def _log_call(started: float, code: str) -> None:
    elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
    if code == "OK":
        log.debug("call", code=code, elapsed_ms=elapsed_ms)
    else:
        log.info("call", code=code, elapsed_ms=elapsed_ms)
