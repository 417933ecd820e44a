from sdk.billinghub.v1 import fulfillment_pb2 as _fulfillment_pb2
from sdk.billinghub.v1 import package_pb2 as _package_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LeaseTasksRequest(_message.Message):
    __slots__ = ("kind", "max_tasks", "lease_seconds")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MAX_TASKS_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    kind: _package_pb2.PackageKind
    max_tasks: int
    lease_seconds: int
    def __init__(self, kind: _Optional[_Union[_package_pb2.PackageKind, str]] = ..., max_tasks: _Optional[int] = ..., lease_seconds: _Optional[int] = ...) -> None: ...

class LeaseTasksResponse(_message.Message):
    __slots__ = ("tasks",)
    TASKS_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_fulfillment_pb2.Task]
    def __init__(self, tasks: _Optional[_Iterable[_Union[_fulfillment_pb2.Task, _Mapping]]] = ...) -> None: ...

class CompleteTaskRequest(_message.Message):
    __slots__ = ("request_id", "task_id", "result")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    task_id: str
    result: str
    def __init__(self, request_id: _Optional[str] = ..., task_id: _Optional[str] = ..., result: _Optional[str] = ...) -> None: ...

class CompleteTaskResponse(_message.Message):
    __slots__ = ("task",)
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: _fulfillment_pb2.Task
    def __init__(self, task: _Optional[_Union[_fulfillment_pb2.Task, _Mapping]] = ...) -> None: ...

class FailTaskRequest(_message.Message):
    __slots__ = ("request_id", "task_id", "reason", "retryable")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    task_id: str
    reason: str
    retryable: bool
    def __init__(self, request_id: _Optional[str] = ..., task_id: _Optional[str] = ..., reason: _Optional[str] = ..., retryable: _Optional[bool] = ...) -> None: ...

class FailTaskResponse(_message.Message):
    __slots__ = ("task",)
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: _fulfillment_pb2.Task
    def __init__(self, task: _Optional[_Union[_fulfillment_pb2.Task, _Mapping]] = ...) -> None: ...

class GetTaskRequest(_message.Message):
    __slots__ = ("task_id",)
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    def __init__(self, task_id: _Optional[str] = ...) -> None: ...

class GetTaskResponse(_message.Message):
    __slots__ = ("task",)
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: _fulfillment_pb2.Task
    def __init__(self, task: _Optional[_Union[_fulfillment_pb2.Task, _Mapping]] = ...) -> None: ...

class ListTasksRequest(_message.Message):
    __slots__ = ("kind", "status", "order_id", "page_size", "page_token")
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    kind: _package_pb2.PackageKind
    status: _fulfillment_pb2.TaskStatus
    order_id: str
    page_size: int
    page_token: str
    def __init__(self, kind: _Optional[_Union[_package_pb2.PackageKind, str]] = ..., status: _Optional[_Union[_fulfillment_pb2.TaskStatus, str]] = ..., order_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTasksResponse(_message.Message):
    __slots__ = ("tasks", "next_page_token")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_fulfillment_pb2.Task]
    next_page_token: str
    def __init__(self, tasks: _Optional[_Iterable[_Union[_fulfillment_pb2.Task, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RetryTaskRequest(_message.Message):
    __slots__ = ("request_id", "task_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    task_id: str
    def __init__(self, request_id: _Optional[str] = ..., task_id: _Optional[str] = ...) -> None: ...

class RetryTaskResponse(_message.Message):
    __slots__ = ("task",)
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: _fulfillment_pb2.Task
    def __init__(self, task: _Optional[_Union[_fulfillment_pb2.Task, _Mapping]] = ...) -> None: ...
