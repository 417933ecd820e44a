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

class PaymentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAYMENT_STATUS_UNSPECIFIED: _ClassVar[PaymentStatus]
    PAYMENT_STATUS_PENDING: _ClassVar[PaymentStatus]
    PAYMENT_STATUS_SUCCEEDED: _ClassVar[PaymentStatus]
    PAYMENT_STATUS_UNDERPAID: _ClassVar[PaymentStatus]
    PAYMENT_STATUS_FAILED: _ClassVar[PaymentStatus]
    PAYMENT_STATUS_EXPIRED: _ClassVar[PaymentStatus]
    PAYMENT_STATUS_REFUNDING: _ClassVar[PaymentStatus]
    PAYMENT_STATUS_REFUNDED: _ClassVar[PaymentStatus]

class PreCheckoutRefusal(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRE_CHECKOUT_REFUSAL_UNSPECIFIED: _ClassVar[PreCheckoutRefusal]
    PRE_CHECKOUT_REFUSAL_UNKNOWN_INVOICE: _ClassVar[PreCheckoutRefusal]
    PRE_CHECKOUT_REFUSAL_WRONG_USER: _ClassVar[PreCheckoutRefusal]
    PRE_CHECKOUT_REFUSAL_ALREADY_PAID: _ClassVar[PreCheckoutRefusal]
    PRE_CHECKOUT_REFUSAL_EXPIRED: _ClassVar[PreCheckoutRefusal]
    PRE_CHECKOUT_REFUSAL_ORDER_NOT_PENDING: _ClassVar[PreCheckoutRefusal]
    PRE_CHECKOUT_REFUSAL_AMOUNT_MISMATCH: _ClassVar[PreCheckoutRefusal]
    PRE_CHECKOUT_REFUSAL_USER_BLOCKED: _ClassVar[PreCheckoutRefusal]
PAYMENT_STATUS_UNSPECIFIED: PaymentStatus
PAYMENT_STATUS_PENDING: PaymentStatus
PAYMENT_STATUS_SUCCEEDED: PaymentStatus
PAYMENT_STATUS_UNDERPAID: PaymentStatus
PAYMENT_STATUS_FAILED: PaymentStatus
PAYMENT_STATUS_EXPIRED: PaymentStatus
PAYMENT_STATUS_REFUNDING: PaymentStatus
PAYMENT_STATUS_REFUNDED: PaymentStatus
PRE_CHECKOUT_REFUSAL_UNSPECIFIED: PreCheckoutRefusal
PRE_CHECKOUT_REFUSAL_UNKNOWN_INVOICE: PreCheckoutRefusal
PRE_CHECKOUT_REFUSAL_WRONG_USER: PreCheckoutRefusal
PRE_CHECKOUT_REFUSAL_ALREADY_PAID: PreCheckoutRefusal
PRE_CHECKOUT_REFUSAL_EXPIRED: PreCheckoutRefusal
PRE_CHECKOUT_REFUSAL_ORDER_NOT_PENDING: PreCheckoutRefusal
PRE_CHECKOUT_REFUSAL_AMOUNT_MISMATCH: PreCheckoutRefusal
PRE_CHECKOUT_REFUSAL_USER_BLOCKED: PreCheckoutRefusal

class Payment(_message.Message):
    __slots__ = ("id", "user_id", "order_id", "provider", "provider_ref", "status", "amount", "received", "pay_url", "provider_status", "failure_reason", "credit_transfer_id", "expire_time", "create_time", "update_time", "paid_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_REF_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_FIELD_NUMBER: _ClassVar[int]
    PAY_URL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_STATUS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    CREDIT_TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PAID_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    order_id: str
    provider: str
    provider_ref: str
    status: PaymentStatus
    amount: _common_pb2.Money
    received: _common_pb2.Money
    pay_url: str
    provider_status: str
    failure_reason: str
    credit_transfer_id: str
    expire_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    paid_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., order_id: _Optional[str] = ..., provider: _Optional[str] = ..., provider_ref: _Optional[str] = ..., status: _Optional[_Union[PaymentStatus, str]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., received: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., pay_url: _Optional[str] = ..., provider_status: _Optional[str] = ..., failure_reason: _Optional[str] = ..., credit_transfer_id: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., paid_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PaymentLimit(_message.Message):
    __slots__ = ("asset", "min_minor", "max_minor")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    MIN_MINOR_FIELD_NUMBER: _ClassVar[int]
    MAX_MINOR_FIELD_NUMBER: _ClassVar[int]
    asset: str
    min_minor: int
    max_minor: int
    def __init__(self, asset: _Optional[str] = ..., min_minor: _Optional[int] = ..., max_minor: _Optional[int] = ...) -> None: ...

class ProviderConfig(_message.Message):
    __slots__ = ("provider", "enabled", "title", "sort_order", "limits", "options", "secrets_set", "base_url", "test_mode", "webhook_url", "update_time")
    class TitleEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SORT_ORDER_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SECRETS_SET_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    TEST_MODE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    provider: str
    enabled: bool
    title: _containers.ScalarMap[str, str]
    sort_order: int
    limits: _containers.RepeatedCompositeFieldContainer[PaymentLimit]
    options: _containers.ScalarMap[str, str]
    secrets_set: _containers.RepeatedScalarFieldContainer[str]
    base_url: str
    test_mode: bool
    webhook_url: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, provider: _Optional[str] = ..., enabled: _Optional[bool] = ..., title: _Optional[_Mapping[str, str]] = ..., sort_order: _Optional[int] = ..., limits: _Optional[_Iterable[_Union[PaymentLimit, _Mapping]]] = ..., options: _Optional[_Mapping[str, str]] = ..., secrets_set: _Optional[_Iterable[str]] = ..., base_url: _Optional[str] = ..., test_mode: _Optional[bool] = ..., webhook_url: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProviderInfo(_message.Message):
    __slots__ = ("name", "secret_fields", "option_fields", "required_fields")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELDS_FIELD_NUMBER: _ClassVar[int]
    OPTION_FIELDS_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    secret_fields: _containers.RepeatedScalarFieldContainer[str]
    option_fields: _containers.RepeatedScalarFieldContainer[str]
    required_fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., secret_fields: _Optional[_Iterable[str]] = ..., option_fields: _Optional[_Iterable[str]] = ..., required_fields: _Optional[_Iterable[str]] = ...) -> None: ...

class PaymentMethod(_message.Message):
    __slots__ = ("provider", "title", "asset", "min_minor", "max_minor")
    class TitleEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    MIN_MINOR_FIELD_NUMBER: _ClassVar[int]
    MAX_MINOR_FIELD_NUMBER: _ClassVar[int]
    provider: str
    title: _containers.ScalarMap[str, str]
    asset: str
    min_minor: int
    max_minor: int
    def __init__(self, provider: _Optional[str] = ..., title: _Optional[_Mapping[str, str]] = ..., asset: _Optional[str] = ..., min_minor: _Optional[int] = ..., max_minor: _Optional[int] = ...) -> None: ...

class StarsInvoice(_message.Message):
    __slots__ = ("title", "description", "payload", "currency", "prices", "subscription_period")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    PRICES_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_PERIOD_FIELD_NUMBER: _ClassVar[int]
    title: str
    description: str
    payload: str
    currency: str
    prices: _containers.RepeatedCompositeFieldContainer[StarsPrice]
    subscription_period: int
    def __init__(self, title: _Optional[str] = ..., description: _Optional[str] = ..., payload: _Optional[str] = ..., currency: _Optional[str] = ..., prices: _Optional[_Iterable[_Union[StarsPrice, _Mapping]]] = ..., subscription_period: _Optional[int] = ...) -> None: ...

class StarsPrice(_message.Message):
    __slots__ = ("label", "amount")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    label: str
    amount: int
    def __init__(self, label: _Optional[str] = ..., amount: _Optional[int] = ...) -> None: ...
