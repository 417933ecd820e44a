import datetime

from sdk.billinghub.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PromoKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROMO_KIND_UNSPECIFIED: _ClassVar[PromoKind]
    PROMO_KIND_CREDIT: _ClassVar[PromoKind]
    PROMO_KIND_PERCENT_DISCOUNT: _ClassVar[PromoKind]
PROMO_KIND_UNSPECIFIED: PromoKind
PROMO_KIND_CREDIT: PromoKind
PROMO_KIND_PERCENT_DISCOUNT: PromoKind

class PromoCode(_message.Message):
    __slots__ = ("code", "kind", "credit", "percent_bps", "per_user_limit", "total_limit", "used_count", "start_time", "end_time", "package_ids", "categories", "disabled", "create_time")
    CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    PERCENT_BPS_FIELD_NUMBER: _ClassVar[int]
    PER_USER_LIMIT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LIMIT_FIELD_NUMBER: _ClassVar[int]
    USED_COUNT_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    code: str
    kind: PromoKind
    credit: _common_pb2.Money
    percent_bps: int
    per_user_limit: int
    total_limit: int
    used_count: int
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    package_ids: _containers.RepeatedScalarFieldContainer[str]
    categories: _containers.RepeatedScalarFieldContainer[str]
    disabled: bool
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, code: _Optional[str] = ..., kind: _Optional[_Union[PromoKind, str]] = ..., credit: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., percent_bps: _Optional[int] = ..., per_user_limit: _Optional[int] = ..., total_limit: _Optional[int] = ..., used_count: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., package_ids: _Optional[_Iterable[str]] = ..., categories: _Optional[_Iterable[str]] = ..., disabled: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
