import datetime

from sdk.billinghub.v1 import common_pb2 as _common_pb2
from sdk.billinghub.v1 import package_pb2 as _package_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATUS_UNSPECIFIED: _ClassVar[OrderStatus]
    ORDER_STATUS_PENDING: _ClassVar[OrderStatus]
    ORDER_STATUS_PAID: _ClassVar[OrderStatus]
    ORDER_STATUS_FULFILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_EXPIRED: _ClassVar[OrderStatus]
    ORDER_STATUS_CANCELLED: _ClassVar[OrderStatus]
    ORDER_STATUS_FAILED: _ClassVar[OrderStatus]
    ORDER_STATUS_REFUNDED: _ClassVar[OrderStatus]
    ORDER_STATUS_PARTIALLY_REFUNDED: _ClassVar[OrderStatus]
ORDER_STATUS_UNSPECIFIED: OrderStatus
ORDER_STATUS_PENDING: OrderStatus
ORDER_STATUS_PAID: OrderStatus
ORDER_STATUS_FULFILLED: OrderStatus
ORDER_STATUS_EXPIRED: OrderStatus
ORDER_STATUS_CANCELLED: OrderStatus
ORDER_STATUS_FAILED: OrderStatus
ORDER_STATUS_REFUNDED: OrderStatus
ORDER_STATUS_PARTIALLY_REFUNDED: OrderStatus

class Order(_message.Message):
    __slots__ = ("id", "user_id", "package_id", "package_kind", "quantity", "recipient", "subtotal", "discount", "total", "promo_code", "status", "paid_via", "refunded", "failure_reason", "expire_time", "active_until", "create_time", "paid_time", "fulfilled_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_KIND_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PROMO_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAID_VIA_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PAID_TIME_FIELD_NUMBER: _ClassVar[int]
    FULFILLED_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    package_id: str
    package_kind: _package_pb2.PackageKind
    quantity: int
    recipient: str
    subtotal: _common_pb2.Money
    discount: _common_pb2.Money
    total: _common_pb2.Money
    promo_code: str
    status: OrderStatus
    paid_via: str
    refunded: _common_pb2.Money
    failure_reason: str
    expire_time: _timestamp_pb2.Timestamp
    active_until: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    paid_time: _timestamp_pb2.Timestamp
    fulfilled_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., package_id: _Optional[str] = ..., package_kind: _Optional[_Union[_package_pb2.PackageKind, str]] = ..., quantity: _Optional[int] = ..., recipient: _Optional[str] = ..., subtotal: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., promo_code: _Optional[str] = ..., status: _Optional[_Union[OrderStatus, str]] = ..., paid_via: _Optional[str] = ..., refunded: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., failure_reason: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., active_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., paid_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., fulfilled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ServiceQuota(_message.Message):
    __slots__ = ("order_id", "posts_per_day", "used_today", "remaining_today", "day", "time_zone", "reset_time")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    POSTS_PER_DAY_FIELD_NUMBER: _ClassVar[int]
    USED_TODAY_FIELD_NUMBER: _ClassVar[int]
    REMAINING_TODAY_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    RESET_TIME_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    posts_per_day: int
    used_today: int
    remaining_today: int
    day: str
    time_zone: str
    reset_time: _timestamp_pb2.Timestamp
    def __init__(self, order_id: _Optional[str] = ..., posts_per_day: _Optional[int] = ..., used_today: _Optional[int] = ..., remaining_today: _Optional[int] = ..., day: _Optional[str] = ..., time_zone: _Optional[str] = ..., reset_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
