import datetime

from sdk.billinghub.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TopupRequestStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOPUP_REQUEST_STATUS_UNSPECIFIED: _ClassVar[TopupRequestStatus]
    TOPUP_REQUEST_STATUS_PENDING: _ClassVar[TopupRequestStatus]
    TOPUP_REQUEST_STATUS_APPROVED: _ClassVar[TopupRequestStatus]
    TOPUP_REQUEST_STATUS_REJECTED: _ClassVar[TopupRequestStatus]
TOPUP_REQUEST_STATUS_UNSPECIFIED: TopupRequestStatus
TOPUP_REQUEST_STATUS_PENDING: TopupRequestStatus
TOPUP_REQUEST_STATUS_APPROVED: TopupRequestStatus
TOPUP_REQUEST_STATUS_REJECTED: TopupRequestStatus

class TopupMethod(_message.Message):
    __slots__ = ("code", "title", "instructions", "active")
    class TitleEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class InstructionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    code: str
    title: _containers.ScalarMap[str, str]
    instructions: _containers.ScalarMap[str, str]
    active: bool
    def __init__(self, code: _Optional[str] = ..., title: _Optional[_Mapping[str, str]] = ..., instructions: _Optional[_Mapping[str, str]] = ..., active: _Optional[bool] = ...) -> None: ...

class TopupRequest(_message.Message):
    __slots__ = ("id", "user_id", "method_code", "amount", "package_id", "receipt", "status", "reason", "decided_by", "transfer_id", "create_time", "decide_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    method_code: str
    amount: _common_pb2.Money
    package_id: str
    receipt: str
    status: TopupRequestStatus
    reason: str
    decided_by: str
    transfer_id: str
    create_time: _timestamp_pb2.Timestamp
    decide_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., method_code: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., package_id: _Optional[str] = ..., receipt: _Optional[str] = ..., status: _Optional[_Union[TopupRequestStatus, str]] = ..., reason: _Optional[str] = ..., decided_by: _Optional[str] = ..., transfer_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
