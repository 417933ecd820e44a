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

class PackageKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PACKAGE_KIND_UNSPECIFIED: _ClassVar[PackageKind]
    PACKAGE_KIND_TOPUP: _ClassVar[PackageKind]
    PACKAGE_KIND_TOKEN_PACK: _ClassVar[PackageKind]
    PACKAGE_KIND_SUBSCRIPTION: _ClassVar[PackageKind]
    PACKAGE_KIND_TELEGRAM_STARS: _ClassVar[PackageKind]
    PACKAGE_KIND_TELEGRAM_PREMIUM: _ClassVar[PackageKind]
    PACKAGE_KIND_SERVICE: _ClassVar[PackageKind]
PACKAGE_KIND_UNSPECIFIED: PackageKind
PACKAGE_KIND_TOPUP: PackageKind
PACKAGE_KIND_TOKEN_PACK: PackageKind
PACKAGE_KIND_SUBSCRIPTION: PackageKind
PACKAGE_KIND_TELEGRAM_STARS: PackageKind
PACKAGE_KIND_TELEGRAM_PREMIUM: PackageKind
PACKAGE_KIND_SERVICE: PackageKind

class Package(_message.Message):
    __slots__ = ("id", "kind", "title", "description", "category", "sort_order", "active", "archived", "price", "per_unit", "min_quantity", "max_quantity", "delivers", "plan_code", "period_days", "stars_quantity", "premium_months", "features", "posts_per_day", "active_days", "create_time", "update_time", "prices")
    class TitleEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class DescriptionEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SORT_ORDER_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    PER_UNIT_FIELD_NUMBER: _ClassVar[int]
    MIN_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    MAX_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    DELIVERS_FIELD_NUMBER: _ClassVar[int]
    PLAN_CODE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_DAYS_FIELD_NUMBER: _ClassVar[int]
    STARS_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_MONTHS_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    POSTS_PER_DAY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_DAYS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PRICES_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: PackageKind
    title: _containers.ScalarMap[str, str]
    description: _containers.ScalarMap[str, str]
    category: str
    sort_order: int
    active: bool
    archived: bool
    price: _common_pb2.Money
    per_unit: bool
    min_quantity: int
    max_quantity: int
    delivers: _common_pb2.Money
    plan_code: str
    period_days: int
    stars_quantity: int
    premium_months: int
    features: str
    posts_per_day: int
    active_days: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    prices: _containers.RepeatedCompositeFieldContainer[_common_pb2.Money]
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[PackageKind, str]] = ..., title: _Optional[_Mapping[str, str]] = ..., description: _Optional[_Mapping[str, str]] = ..., category: _Optional[str] = ..., sort_order: _Optional[int] = ..., active: _Optional[bool] = ..., archived: _Optional[bool] = ..., price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., per_unit: _Optional[bool] = ..., min_quantity: _Optional[int] = ..., max_quantity: _Optional[int] = ..., delivers: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., plan_code: _Optional[str] = ..., period_days: _Optional[int] = ..., stars_quantity: _Optional[int] = ..., premium_months: _Optional[int] = ..., features: _Optional[str] = ..., posts_per_day: _Optional[int] = ..., active_days: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., prices: _Optional[_Iterable[_Union[_common_pb2.Money, _Mapping]]] = ...) -> None: ...
