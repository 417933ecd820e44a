from sdk.billinghub.v1 import common_pb2 as _common_pb2
from sdk.billinghub.v1 import payment_pb2 as _payment_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WebhookOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEBHOOK_OUTCOME_UNSPECIFIED: _ClassVar[WebhookOutcome]
    WEBHOOK_OUTCOME_APPLIED: _ClassVar[WebhookOutcome]
    WEBHOOK_OUTCOME_DUPLICATE: _ClassVar[WebhookOutcome]
    WEBHOOK_OUTCOME_IGNORED: _ClassVar[WebhookOutcome]
    WEBHOOK_OUTCOME_UNKNOWN_PAYMENT: _ClassVar[WebhookOutcome]
    WEBHOOK_OUTCOME_REFUSED: _ClassVar[WebhookOutcome]
WEBHOOK_OUTCOME_UNSPECIFIED: WebhookOutcome
WEBHOOK_OUTCOME_APPLIED: WebhookOutcome
WEBHOOK_OUTCOME_DUPLICATE: WebhookOutcome
WEBHOOK_OUTCOME_IGNORED: WebhookOutcome
WEBHOOK_OUTCOME_UNKNOWN_PAYMENT: WebhookOutcome
WEBHOOK_OUTCOME_REFUSED: WebhookOutcome

class ListProvidersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListProvidersResponse(_message.Message):
    __slots__ = ("providers",)
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    providers: _containers.RepeatedCompositeFieldContainer[_payment_pb2.ProviderInfo]
    def __init__(self, providers: _Optional[_Iterable[_Union[_payment_pb2.ProviderInfo, _Mapping]]] = ...) -> None: ...

class SetProviderConfigRequest(_message.Message):
    __slots__ = ("request_id", "config", "secrets")
    class SecretsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    SECRETS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    config: _payment_pb2.ProviderConfig
    secrets: _containers.ScalarMap[str, str]
    def __init__(self, request_id: _Optional[str] = ..., config: _Optional[_Union[_payment_pb2.ProviderConfig, _Mapping]] = ..., secrets: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SetProviderConfigResponse(_message.Message):
    __slots__ = ("config",)
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: _payment_pb2.ProviderConfig
    def __init__(self, config: _Optional[_Union[_payment_pb2.ProviderConfig, _Mapping]] = ...) -> None: ...

class ListProviderConfigsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListProviderConfigsResponse(_message.Message):
    __slots__ = ("configs",)
    CONFIGS_FIELD_NUMBER: _ClassVar[int]
    configs: _containers.RepeatedCompositeFieldContainer[_payment_pb2.ProviderConfig]
    def __init__(self, configs: _Optional[_Iterable[_Union[_payment_pb2.ProviderConfig, _Mapping]]] = ...) -> None: ...

class TestProviderConfigRequest(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: str
    def __init__(self, provider: _Optional[str] = ...) -> None: ...

class TestProviderConfigResponse(_message.Message):
    __slots__ = ("ok",)
    OK_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    def __init__(self, ok: _Optional[bool] = ...) -> None: ...

class ListPaymentMethodsRequest(_message.Message):
    __slots__ = ("user_id", "order_id", "amount")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    order_id: str
    amount: _common_pb2.Money
    def __init__(self, user_id: _Optional[str] = ..., order_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class ListPaymentMethodsResponse(_message.Message):
    __slots__ = ("methods",)
    METHODS_FIELD_NUMBER: _ClassVar[int]
    methods: _containers.RepeatedCompositeFieldContainer[_payment_pb2.PaymentMethod]
    def __init__(self, methods: _Optional[_Iterable[_Union[_payment_pb2.PaymentMethod, _Mapping]]] = ...) -> None: ...

class CreatePaymentRequest(_message.Message):
    __slots__ = ("request_id", "user_id", "order_id", "amount", "provider", "return_url", "description")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    RETURN_URL_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    order_id: str
    amount: _common_pb2.Money
    provider: str
    return_url: str
    description: str
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., order_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., provider: _Optional[str] = ..., return_url: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class CreatePaymentResponse(_message.Message):
    __slots__ = ("payment",)
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    payment: _payment_pb2.Payment
    def __init__(self, payment: _Optional[_Union[_payment_pb2.Payment, _Mapping]] = ...) -> None: ...

class GetPaymentRequest(_message.Message):
    __slots__ = ("payment_id", "user_id")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    user_id: str
    def __init__(self, payment_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class GetPaymentResponse(_message.Message):
    __slots__ = ("payment",)
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    payment: _payment_pb2.Payment
    def __init__(self, payment: _Optional[_Union[_payment_pb2.Payment, _Mapping]] = ...) -> None: ...

class ListPaymentsRequest(_message.Message):
    __slots__ = ("user_id", "order_id", "provider", "status", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    order_id: str
    provider: str
    status: _payment_pb2.PaymentStatus
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., order_id: _Optional[str] = ..., provider: _Optional[str] = ..., status: _Optional[_Union[_payment_pb2.PaymentStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPaymentsResponse(_message.Message):
    __slots__ = ("payments", "next_page_token")
    PAYMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    payments: _containers.RepeatedCompositeFieldContainer[_payment_pb2.Payment]
    next_page_token: str
    def __init__(self, payments: _Optional[_Iterable[_Union[_payment_pb2.Payment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CheckPaymentRequest(_message.Message):
    __slots__ = ("payment_id", "user_id")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    user_id: str
    def __init__(self, payment_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class CheckPaymentResponse(_message.Message):
    __slots__ = ("payment",)
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    payment: _payment_pb2.Payment
    def __init__(self, payment: _Optional[_Union[_payment_pb2.Payment, _Mapping]] = ...) -> None: ...

class IngestProviderWebhookRequest(_message.Message):
    __slots__ = ("provider", "headers", "body")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    provider: str
    headers: _containers.ScalarMap[str, str]
    body: bytes
    def __init__(self, provider: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ..., body: _Optional[bytes] = ...) -> None: ...

class IngestProviderWebhookResponse(_message.Message):
    __slots__ = ("http_status", "body", "content_type", "outcome", "payment_id")
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    http_status: int
    body: bytes
    content_type: str
    outcome: WebhookOutcome
    payment_id: str
    def __init__(self, http_status: _Optional[int] = ..., body: _Optional[bytes] = ..., content_type: _Optional[str] = ..., outcome: _Optional[_Union[WebhookOutcome, str]] = ..., payment_id: _Optional[str] = ...) -> None: ...

class CreateStarsInvoiceRequest(_message.Message):
    __slots__ = ("request_id", "user_id", "order_id", "amount", "subscription_period", "title", "description", "create_link")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_PERIOD_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_LINK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    order_id: str
    amount: _common_pb2.Money
    subscription_period: int
    title: str
    description: str
    create_link: bool
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., order_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., subscription_period: _Optional[int] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., create_link: _Optional[bool] = ...) -> None: ...

class CreateStarsInvoiceResponse(_message.Message):
    __slots__ = ("payment", "invoice", "invoice_link")
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    INVOICE_FIELD_NUMBER: _ClassVar[int]
    INVOICE_LINK_FIELD_NUMBER: _ClassVar[int]
    payment: _payment_pb2.Payment
    invoice: _payment_pb2.StarsInvoice
    invoice_link: str
    def __init__(self, payment: _Optional[_Union[_payment_pb2.Payment, _Mapping]] = ..., invoice: _Optional[_Union[_payment_pb2.StarsInvoice, _Mapping]] = ..., invoice_link: _Optional[str] = ...) -> None: ...

class ValidatePreCheckoutRequest(_message.Message):
    __slots__ = ("user_id", "payload", "currency", "total_amount")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    payload: str
    currency: str
    total_amount: int
    def __init__(self, user_id: _Optional[str] = ..., payload: _Optional[str] = ..., currency: _Optional[str] = ..., total_amount: _Optional[int] = ...) -> None: ...

class ValidatePreCheckoutResponse(_message.Message):
    __slots__ = ("ok", "error_message", "refusal", "payment_id")
    OK_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REFUSAL_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    error_message: str
    refusal: _payment_pb2.PreCheckoutRefusal
    payment_id: str
    def __init__(self, ok: _Optional[bool] = ..., error_message: _Optional[str] = ..., refusal: _Optional[_Union[_payment_pb2.PreCheckoutRefusal, str]] = ..., payment_id: _Optional[str] = ...) -> None: ...

class ConfirmTelegramPaymentRequest(_message.Message):
    __slots__ = ("user_id", "payload", "currency", "total_amount", "telegram_payment_charge_id", "provider_payment_charge_id", "is_recurring", "is_first_recurring", "subscription_expiration_date")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    TELEGRAM_PAYMENT_CHARGE_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_PAYMENT_CHARGE_ID_FIELD_NUMBER: _ClassVar[int]
    IS_RECURRING_FIELD_NUMBER: _ClassVar[int]
    IS_FIRST_RECURRING_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_EXPIRATION_DATE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    payload: str
    currency: str
    total_amount: int
    telegram_payment_charge_id: str
    provider_payment_charge_id: str
    is_recurring: bool
    is_first_recurring: bool
    subscription_expiration_date: int
    def __init__(self, user_id: _Optional[str] = ..., payload: _Optional[str] = ..., currency: _Optional[str] = ..., total_amount: _Optional[int] = ..., telegram_payment_charge_id: _Optional[str] = ..., provider_payment_charge_id: _Optional[str] = ..., is_recurring: _Optional[bool] = ..., is_first_recurring: _Optional[bool] = ..., subscription_expiration_date: _Optional[int] = ...) -> None: ...

class ConfirmTelegramPaymentResponse(_message.Message):
    __slots__ = ("payment", "duplicate")
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    payment: _payment_pb2.Payment
    duplicate: bool
    def __init__(self, payment: _Optional[_Union[_payment_pb2.Payment, _Mapping]] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class RefundTelegramPaymentRequest(_message.Message):
    __slots__ = ("request_id", "payment_id", "reason", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    payment_id: str
    reason: str
    actor: str
    def __init__(self, request_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., reason: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class RefundTelegramPaymentResponse(_message.Message):
    __slots__ = ("payment",)
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    payment: _payment_pb2.Payment
    def __init__(self, payment: _Optional[_Union[_payment_pb2.Payment, _Mapping]] = ...) -> None: ...
