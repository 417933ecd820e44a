import datetime

from sdk.billinghub.v1 import fulfillment_pb2 as _fulfillment_pb2
from sdk.billinghub.v1 import order_pb2 as _order_pb2
from sdk.billinghub.v1 import wallet_pb2 as _wallet_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateOrderRequest(_message.Message):
    __slots__ = ("request_id", "user_id", "package_id", "quantity", "recipient", "promo_code", "pay_asset")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    PROMO_CODE_FIELD_NUMBER: _ClassVar[int]
    PAY_ASSET_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    package_id: str
    quantity: int
    recipient: str
    promo_code: str
    pay_asset: str
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., package_id: _Optional[str] = ..., quantity: _Optional[int] = ..., recipient: _Optional[str] = ..., promo_code: _Optional[str] = ..., pay_asset: _Optional[str] = ...) -> None: ...

class PurchaseFromWalletRequest(_message.Message):
    __slots__ = ("request_id", "user_id", "package_id", "quantity", "recipient", "promo_code", "pay_asset")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    PROMO_CODE_FIELD_NUMBER: _ClassVar[int]
    PAY_ASSET_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    package_id: str
    quantity: int
    recipient: str
    promo_code: str
    pay_asset: str
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., package_id: _Optional[str] = ..., quantity: _Optional[int] = ..., recipient: _Optional[str] = ..., promo_code: _Optional[str] = ..., pay_asset: _Optional[str] = ...) -> None: ...

class PurchaseFromWalletResponse(_message.Message):
    __slots__ = ("order", "transfers", "task")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    transfers: _containers.RepeatedCompositeFieldContainer[_wallet_pb2.Transfer]
    task: _fulfillment_pb2.Task
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., transfers: _Optional[_Iterable[_Union[_wallet_pb2.Transfer, _Mapping]]] = ..., task: _Optional[_Union[_fulfillment_pb2.Task, _Mapping]] = ...) -> None: ...

class CreateOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ...) -> None: ...

class PayOrderFromWalletRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "user_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    user_id: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class PayOrderFromWalletResponse(_message.Message):
    __slots__ = ("order", "transfers", "task")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    transfers: _containers.RepeatedCompositeFieldContainer[_wallet_pb2.Transfer]
    task: _fulfillment_pb2.Task
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., transfers: _Optional[_Iterable[_Union[_wallet_pb2.Transfer, _Mapping]]] = ..., task: _Optional[_Union[_fulfillment_pb2.Task, _Mapping]] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("order_id", "user_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    user_id: str
    def __init__(self, order_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class GetOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("user_id", "statuses", "package_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    statuses: _containers.RepeatedScalarFieldContainer[_order_pb2.OrderStatus]
    package_id: str
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[_order_pb2.OrderStatus, str]]] = ..., package_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "next_page_token")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[_order_pb2.Order]
    next_page_token: str
    def __init__(self, orders: _Optional[_Iterable[_Union[_order_pb2.Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "user_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    user_id: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ...) -> None: ...

class RefundOrderRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "amount_minor", "reason", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    amount_minor: int
    reason: str
    actor: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., amount_minor: _Optional[int] = ..., reason: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class RefundOrderResponse(_message.Message):
    __slots__ = ("order", "transfers")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    transfers: _containers.RepeatedCompositeFieldContainer[_wallet_pb2.Transfer]
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., transfers: _Optional[_Iterable[_Union[_wallet_pb2.Transfer, _Mapping]]] = ...) -> None: ...

class SubmitServiceInputRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "url", "platform", "user_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    url: str
    platform: str
    user_id: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., url: _Optional[str] = ..., platform: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class SubmitServiceInputResponse(_message.Message):
    __slots__ = ("task", "remaining_today")
    TASK_FIELD_NUMBER: _ClassVar[int]
    REMAINING_TODAY_FIELD_NUMBER: _ClassVar[int]
    task: _fulfillment_pb2.Task
    remaining_today: int
    def __init__(self, task: _Optional[_Union[_fulfillment_pb2.Task, _Mapping]] = ..., remaining_today: _Optional[int] = ...) -> None: ...

class ListOrderTasksRequest(_message.Message):
    __slots__ = ("order_id", "user_id", "page_size", "page_token")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    user_id: str
    page_size: int
    page_token: str
    def __init__(self, order_id: _Optional[str] = ..., user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOrderTasksResponse(_message.Message):
    __slots__ = ("tasks", "next_page_token")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_fulfillment_pb2.Task]
    next_page_token: str
    def __init__(self, tasks: _Optional[_Iterable[_Union[_fulfillment_pb2.Task, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetServiceQuotaRequest(_message.Message):
    __slots__ = ("order_id", "user_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    user_id: str
    def __init__(self, order_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class GetServiceQuotaResponse(_message.Message):
    __slots__ = ("quota",)
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    quota: _order_pb2.ServiceQuota
    def __init__(self, quota: _Optional[_Union[_order_pb2.ServiceQuota, _Mapping]] = ...) -> None: ...

class OrderSettings(_message.Message):
    __slots__ = ("order_ttl_seconds", "expiring_notice_days")
    ORDER_TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    EXPIRING_NOTICE_DAYS_FIELD_NUMBER: _ClassVar[int]
    order_ttl_seconds: int
    expiring_notice_days: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, order_ttl_seconds: _Optional[int] = ..., expiring_notice_days: _Optional[_Iterable[int]] = ...) -> None: ...

class GetOrderSettingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetOrderSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: OrderSettings
    def __init__(self, settings: _Optional[_Union[OrderSettings, _Mapping]] = ...) -> None: ...

class UpdateOrderSettingsRequest(_message.Message):
    __slots__ = ("request_id", "settings")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    settings: OrderSettings
    def __init__(self, request_id: _Optional[str] = ..., settings: _Optional[_Union[OrderSettings, _Mapping]] = ...) -> None: ...

class UpdateOrderSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: OrderSettings
    def __init__(self, settings: _Optional[_Union[OrderSettings, _Mapping]] = ...) -> None: ...

class ExportOrdersRequest(_message.Message):
    __slots__ = ("start_time", "end_time", "statuses")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    statuses: _containers.RepeatedScalarFieldContainer[_order_pb2.OrderStatus]
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., statuses: _Optional[_Iterable[_Union[_order_pb2.OrderStatus, str]]] = ...) -> None: ...

class ExportOrdersResponse(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[_order_pb2.Order]
    def __init__(self, orders: _Optional[_Iterable[_Union[_order_pb2.Order, _Mapping]]] = ...) -> None: ...
