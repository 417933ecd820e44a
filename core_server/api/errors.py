"""Domain errors -> gRPC status with `google.rpc` details. The only place that knows the mapping.

Every error carries an ErrorInfo (reason, domain, metadata) and a RequestInfo with the call's
request id; invalid input adds a BadRequest with one field violation per bad field, a spent
budget (RESOURCE_EXHAUSTED) a RetryInfo saying when to try again. An unexpected
exception becomes INTERNAL with nothing of it but the request id: no stack trace reaches a client.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from core_server.domain import errors

ERROR_DOMAIN = "billinghub.v1"

_CODES: list[tuple[type[errors.DomainError], int]] = [
    (errors.InvalidArgument, code_pb2.INVALID_ARGUMENT),
    (errors.Unauthenticated, code_pb2.UNAUTHENTICATED),
    (errors.PermissionDenied, code_pb2.PERMISSION_DENIED),
    (errors.NotFound, code_pb2.NOT_FOUND),
    (errors.AlreadyExists, code_pb2.ALREADY_EXISTS),
    (errors.FailedPrecondition, code_pb2.FAILED_PRECONDITION),
    (errors.ResourceExhausted, code_pb2.RESOURCE_EXHAUSTED),
    (errors.Unavailable, code_pb2.UNAVAILABLE),
]


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]  # any protobuf message
    return packed


def _code_of(error: errors.DomainError) -> int:
    for cls, code in _CODES:
        if isinstance(error, cls):
            return int(code)
    return int(code_pb2.INTERNAL)


def code_name(error: errors.DomainError) -> str:
    """The name of an error's gRPC status code ("NOT_FOUND"), as the core's metrics label it."""
    return str(code_pb2.Code.Name(_code_of(error)))


def status_for(error: errors.DomainError, request_id: str) -> grpc.Status:
    details = [
        _pack(error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata)),
        _pack(error_details_pb2.RequestInfo(request_id=request_id)),
    ]
    if isinstance(error, errors.InvalidArgument):
        violations = [
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
            for v in error.violations
        ]
        details.append(_pack(error_details_pb2.BadRequest(field_violations=violations)))
    if isinstance(error, errors.ResourceExhausted) and error.retry_after is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(max(0, round(error.retry_after * 1e9)))
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
    status: grpc.Status = rpc_status.to_status(
        status_pb2.Status(code=_code_of(error), message=error.message, details=details)
    )
    return status


def internal_status(request_id: str) -> grpc.Status:
    details = [
        _pack(error_details_pb2.ErrorInfo(reason="INTERNAL", domain=ERROR_DOMAIN)),
        _pack(error_details_pb2.RequestInfo(request_id=request_id)),
    ]
    message = f"internal error; quote request id {request_id} when reporting it"
    status: grpc.Status = rpc_status.to_status(
        status_pb2.Status(code=code_pb2.INTERNAL, message=message, details=details)
    )
    return status
