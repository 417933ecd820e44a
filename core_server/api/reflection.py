"""Server reflection, as tools ask for it: `grpc.reflection.v1` (what `buf curl` and grpcurl try
first) and `grpc.reflection.v1alpha`, answering from the default descriptor pool.

grpcio-reflection ships only v1alpha. The v1 protocol is the v1alpha one under another package
name (same messages, same field numbers), so v1 is served by the same servicer with the v1alpha
(de)serializers, and a v1 file descriptor derived from the v1alpha one is added to the pool so that
reflection can describe itself. The `google.rpc` error details are in the pool too: a tool that
meets a `BadRequest` in `grpc-status-details-bin` asks for the file containing
`google.rpc.BadRequest` to decode it.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from google.rpc import error_details_pb2, status_pb2
from grpc_reflection.v1alpha import reflection, reflection_pb2

V1_FILE = "grpc/reflection/v1/reflection.proto"
V1_PACKAGE = "grpc.reflection.v1"
V1_SERVICE_NAME = f"{V1_PACKAGE}.ServerReflection"
V1ALPHA_SERVICE_NAME: str = reflection.SERVICE_NAME
# Files that declare no service but that clients need to decode our errors.
ERROR_FILES = (error_details_pb2.DESCRIPTOR.name, status_pb2.DESCRIPTOR.name)


def _renamed(type_name: str, old: str) -> str:
    return f".{V1_PACKAGE}.{type_name.removeprefix(old)}"


def _rename_messages(messages: Iterable[descriptor_pb2.DescriptorProto], old: str) -> None:
    for message in messages:
        for field in message.field:
            if field.type_name.startswith(old):  # assigning even "" would mark a scalar field as typed
                field.type_name = _renamed(field.type_name, old)
        _rename_messages(message.nested_type, old)


def _add_v1_descriptor(pool: descriptor_pool.DescriptorPool) -> None:
    """grpc/reflection/v1/reflection.proto, made from the v1alpha file, unless the pool has it."""
    try:
        pool.FindFileByName(V1_FILE)
        return
    except KeyError:
        pass
    proto = descriptor_pb2.FileDescriptorProto()
    reflection_pb2.DESCRIPTOR.CopyToProto(proto)
    old = f".{proto.package}."
    proto.name, proto.package = V1_FILE, V1_PACKAGE
    proto.ClearField("options")
    _rename_messages(proto.message_type, old)
    for service in proto.service:
        for method in service.method:
            method.input_type = _renamed(method.input_type, old)
            method.output_type = _renamed(method.output_type, old)
    pool.AddSerializedFile(proto.SerializeToString())


def enable_reflection(service_names: Iterable[str], server: grpc.aio.Server) -> None:
    """Serve reflection v1 and v1alpha for these services (the reflection services are added)."""
    pool = descriptor_pool.Default()
    _add_v1_descriptor(pool)
    for name in ERROR_FILES:
        pool.FindFileByName(name)  # imported above, so registered: fail at startup if not
    names = (*service_names, V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME)
    servicer = reflection.aio.ReflectionServicer(names, pool=pool)
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                service,
                {
                    "ServerReflectionInfo": grpc.stream_stream_rpc_method_handler(
                        servicer.ServerReflectionInfo,
                        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
                        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
                    )
                },
            )
            for service in (V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME)
        ]
    )
