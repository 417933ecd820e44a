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

class WorkerQueue(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKER_QUEUE_UNSPECIFIED: _ClassVar[WorkerQueue]
    WORKER_QUEUE_ORDER_EXPIRY: _ClassVar[WorkerQueue]
    WORKER_QUEUE_HOLD_EXPIRY: _ClassVar[WorkerQueue]
    WORKER_QUEUE_SUBSCRIPTION_RENEWAL: _ClassVar[WorkerQueue]
    WORKER_QUEUE_PAYMENT_RECONCILIATION: _ClassVar[WorkerQueue]
    WORKER_QUEUE_FULFILLMENT_QUEUED: _ClassVar[WorkerQueue]
    WORKER_QUEUE_FULFILLMENT_EXPIRED_LEASES: _ClassVar[WorkerQueue]
    WORKER_QUEUE_OUTBOUND_WEBHOOKS: _ClassVar[WorkerQueue]
WORKER_QUEUE_UNSPECIFIED: WorkerQueue
WORKER_QUEUE_ORDER_EXPIRY: WorkerQueue
WORKER_QUEUE_HOLD_EXPIRY: WorkerQueue
WORKER_QUEUE_SUBSCRIPTION_RENEWAL: WorkerQueue
WORKER_QUEUE_PAYMENT_RECONCILIATION: WorkerQueue
WORKER_QUEUE_FULFILLMENT_QUEUED: WorkerQueue
WORKER_QUEUE_FULFILLMENT_EXPIRED_LEASES: WorkerQueue
WORKER_QUEUE_OUTBOUND_WEBHOOKS: WorkerQueue

class WorkerBacklog(_message.Message):
    __slots__ = ("queue", "due", "oldest_due_time", "oldest_due_seconds")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    OLDEST_DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    OLDEST_DUE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    queue: WorkerQueue
    due: int
    oldest_due_time: _timestamp_pb2.Timestamp
    oldest_due_seconds: int
    def __init__(self, queue: _Optional[_Union[WorkerQueue, str]] = ..., due: _Optional[int] = ..., oldest_due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., oldest_due_seconds: _Optional[int] = ...) -> None: ...

class GetWorkerLagRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetWorkerLagResponse(_message.Message):
    __slots__ = ("backlogs", "read_time")
    BACKLOGS_FIELD_NUMBER: _ClassVar[int]
    READ_TIME_FIELD_NUMBER: _ClassVar[int]
    backlogs: _containers.RepeatedCompositeFieldContainer[WorkerBacklog]
    read_time: _timestamp_pb2.Timestamp
    def __init__(self, backlogs: _Optional[_Iterable[_Union[WorkerBacklog, _Mapping]]] = ..., read_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PackageSales(_message.Message):
    __slots__ = ("package_id", "title", "orders", "revenue")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    REVENUE_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    title: str
    orders: int
    revenue: _common_pb2.Money
    def __init__(self, package_id: _Optional[str] = ..., title: _Optional[str] = ..., orders: _Optional[int] = ..., revenue: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class TenantStats(_message.Message):
    __slots__ = ("tenant_id", "users_total", "users_new", "users_active", "revenue", "orders_by_status", "top_packages", "referral_commissions", "payouts")
    class OrdersByStatusEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    USERS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    USERS_NEW_FIELD_NUMBER: _ClassVar[int]
    USERS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    REVENUE_FIELD_NUMBER: _ClassVar[int]
    ORDERS_BY_STATUS_FIELD_NUMBER: _ClassVar[int]
    TOP_PACKAGES_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_COMMISSIONS_FIELD_NUMBER: _ClassVar[int]
    PAYOUTS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    users_total: int
    users_new: int
    users_active: int
    revenue: _containers.RepeatedCompositeFieldContainer[_common_pb2.Money]
    orders_by_status: _containers.ScalarMap[str, int]
    top_packages: _containers.RepeatedCompositeFieldContainer[PackageSales]
    referral_commissions: _containers.RepeatedCompositeFieldContainer[_common_pb2.Money]
    payouts: _containers.RepeatedCompositeFieldContainer[_common_pb2.Money]
    def __init__(self, tenant_id: _Optional[str] = ..., users_total: _Optional[int] = ..., users_new: _Optional[int] = ..., users_active: _Optional[int] = ..., revenue: _Optional[_Iterable[_Union[_common_pb2.Money, _Mapping]]] = ..., orders_by_status: _Optional[_Mapping[str, int]] = ..., top_packages: _Optional[_Iterable[_Union[PackageSales, _Mapping]]] = ..., referral_commissions: _Optional[_Iterable[_Union[_common_pb2.Money, _Mapping]]] = ..., payouts: _Optional[_Iterable[_Union[_common_pb2.Money, _Mapping]]] = ...) -> None: ...

class GetTenantStatsRequest(_message.Message):
    __slots__ = ("start_time", "end_time")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetTenantStatsResponse(_message.Message):
    __slots__ = ("stats",)
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: TenantStats
    def __init__(self, stats: _Optional[_Union[TenantStats, _Mapping]] = ...) -> None: ...

class GetPlatformStatsRequest(_message.Message):
    __slots__ = ("start_time", "end_time")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetPlatformStatsResponse(_message.Message):
    __slots__ = ("tenants", "users_total", "revenue")
    TENANTS_FIELD_NUMBER: _ClassVar[int]
    USERS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    REVENUE_FIELD_NUMBER: _ClassVar[int]
    tenants: _containers.RepeatedCompositeFieldContainer[TenantStats]
    users_total: int
    revenue: _containers.RepeatedCompositeFieldContainer[_common_pb2.Money]
    def __init__(self, tenants: _Optional[_Iterable[_Union[TenantStats, _Mapping]]] = ..., users_total: _Optional[int] = ..., revenue: _Optional[_Iterable[_Union[_common_pb2.Money, _Mapping]]] = ...) -> None: ...

class RevenuePoint(_message.Message):
    __slots__ = ("date", "revenue")
    DATE_FIELD_NUMBER: _ClassVar[int]
    REVENUE_FIELD_NUMBER: _ClassVar[int]
    date: str
    revenue: _common_pb2.Money
    def __init__(self, date: _Optional[str] = ..., revenue: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class GetRevenueSeriesRequest(_message.Message):
    __slots__ = ("asset", "start_time", "end_time")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    asset: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, asset: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetRevenueSeriesResponse(_message.Message):
    __slots__ = ("points",)
    POINTS_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedCompositeFieldContainer[RevenuePoint]
    def __init__(self, points: _Optional[_Iterable[_Union[RevenuePoint, _Mapping]]] = ...) -> None: ...
