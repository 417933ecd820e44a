from sdk.billinghub.v1 import common_pb2 as _common_pb2
from sdk.billinghub.v1 import topup_pb2 as _topup_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListTopupMethodsRequest(_message.Message):
    __slots__ = ("active_only",)
    ACTIVE_ONLY_FIELD_NUMBER: _ClassVar[int]
    active_only: bool
    def __init__(self, active_only: _Optional[bool] = ...) -> None: ...

class ListTopupMethodsResponse(_message.Message):
    __slots__ = ("methods",)
    METHODS_FIELD_NUMBER: _ClassVar[int]
    methods: _containers.RepeatedCompositeFieldContainer[_topup_pb2.TopupMethod]
    def __init__(self, methods: _Optional[_Iterable[_Union[_topup_pb2.TopupMethod, _Mapping]]] = ...) -> None: ...

class SetTopupMethodsRequest(_message.Message):
    __slots__ = ("request_id", "methods")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    METHODS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    methods: _containers.RepeatedCompositeFieldContainer[_topup_pb2.TopupMethod]
    def __init__(self, request_id: _Optional[str] = ..., methods: _Optional[_Iterable[_Union[_topup_pb2.TopupMethod, _Mapping]]] = ...) -> None: ...

class SetTopupMethodsResponse(_message.Message):
    __slots__ = ("methods",)
    METHODS_FIELD_NUMBER: _ClassVar[int]
    methods: _containers.RepeatedCompositeFieldContainer[_topup_pb2.TopupMethod]
    def __init__(self, methods: _Optional[_Iterable[_Union[_topup_pb2.TopupMethod, _Mapping]]] = ...) -> None: ...

class CreateTopupRequestRequest(_message.Message):
    __slots__ = ("request_id", "user_id", "method_code", "amount", "package_id", "receipt")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    method_code: str
    amount: _common_pb2.Money
    package_id: str
    receipt: str
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., method_code: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., package_id: _Optional[str] = ..., receipt: _Optional[str] = ...) -> None: ...

class CreateTopupRequestResponse(_message.Message):
    __slots__ = ("topup_request",)
    TOPUP_REQUEST_FIELD_NUMBER: _ClassVar[int]
    topup_request: _topup_pb2.TopupRequest
    def __init__(self, topup_request: _Optional[_Union[_topup_pb2.TopupRequest, _Mapping]] = ...) -> None: ...

class GetTopupRequestRequest(_message.Message):
    __slots__ = ("topup_request_id", "user_id")
    TOPUP_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    topup_request_id: str
    user_id: str
    def __init__(self, topup_request_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class GetTopupRequestResponse(_message.Message):
    __slots__ = ("topup_request",)
    TOPUP_REQUEST_FIELD_NUMBER: _ClassVar[int]
    topup_request: _topup_pb2.TopupRequest
    def __init__(self, topup_request: _Optional[_Union[_topup_pb2.TopupRequest, _Mapping]] = ...) -> None: ...

class ListTopupRequestsRequest(_message.Message):
    __slots__ = ("status", "user_id", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: _topup_pb2.TopupRequestStatus
    user_id: str
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[_topup_pb2.TopupRequestStatus, str]] = ..., user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTopupRequestsResponse(_message.Message):
    __slots__ = ("topup_requests", "next_page_token")
    TOPUP_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    topup_requests: _containers.RepeatedCompositeFieldContainer[_topup_pb2.TopupRequest]
    next_page_token: str
    def __init__(self, topup_requests: _Optional[_Iterable[_Union[_topup_pb2.TopupRequest, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ApproveTopupRequestRequest(_message.Message):
    __slots__ = ("request_id", "topup_request_id", "actor", "credit")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TOPUP_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    topup_request_id: str
    actor: str
    credit: _common_pb2.Money
    def __init__(self, request_id: _Optional[str] = ..., topup_request_id: _Optional[str] = ..., actor: _Optional[str] = ..., credit: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class ApproveTopupRequestResponse(_message.Message):
    __slots__ = ("topup_request",)
    TOPUP_REQUEST_FIELD_NUMBER: _ClassVar[int]
    topup_request: _topup_pb2.TopupRequest
    def __init__(self, topup_request: _Optional[_Union[_topup_pb2.TopupRequest, _Mapping]] = ...) -> None: ...

class RejectTopupRequestRequest(_message.Message):
    __slots__ = ("request_id", "topup_request_id", "reason", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TOPUP_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    topup_request_id: str
    reason: str
    actor: str
    def __init__(self, request_id: _Optional[str] = ..., topup_request_id: _Optional[str] = ..., reason: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class RejectTopupRequestResponse(_message.Message):
    __slots__ = ("topup_request",)
    TOPUP_REQUEST_FIELD_NUMBER: _ClassVar[int]
    topup_request: _topup_pb2.TopupRequest
    def __init__(self, topup_request: _Optional[_Union[_topup_pb2.TopupRequest, _Mapping]] = ...) -> None: ...
