from sdk.billinghub.v1 import webhook_pb2 as _webhook_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateWebhookEndpointRequest(_message.Message):
    __slots__ = ("request_id", "url", "event_types", "description")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    url: str
    event_types: _containers.RepeatedScalarFieldContainer[str]
    description: str
    def __init__(self, request_id: _Optional[str] = ..., url: _Optional[str] = ..., event_types: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ...) -> None: ...

class CreateWebhookEndpointResponse(_message.Message):
    __slots__ = ("webhook_endpoint", "secret")
    WEBHOOK_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoint: _webhook_pb2.WebhookEndpoint
    secret: str
    def __init__(self, webhook_endpoint: _Optional[_Union[_webhook_pb2.WebhookEndpoint, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class ListWebhookEndpointsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWebhookEndpointsResponse(_message.Message):
    __slots__ = ("webhook_endpoints", "next_page_token")
    WEBHOOK_ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoints: _containers.RepeatedCompositeFieldContainer[_webhook_pb2.WebhookEndpoint]
    next_page_token: str
    def __init__(self, webhook_endpoints: _Optional[_Iterable[_Union[_webhook_pb2.WebhookEndpoint, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetWebhookEndpointRequest(_message.Message):
    __slots__ = ("webhook_endpoint_id",)
    WEBHOOK_ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoint_id: str
    def __init__(self, webhook_endpoint_id: _Optional[str] = ...) -> None: ...

class GetWebhookEndpointResponse(_message.Message):
    __slots__ = ("webhook_endpoint",)
    WEBHOOK_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoint: _webhook_pb2.WebhookEndpoint
    def __init__(self, webhook_endpoint: _Optional[_Union[_webhook_pb2.WebhookEndpoint, _Mapping]] = ...) -> None: ...

class UpdateWebhookEndpointRequest(_message.Message):
    __slots__ = ("request_id", "webhook_endpoint", "update_mask")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    webhook_endpoint: _webhook_pb2.WebhookEndpoint
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, request_id: _Optional[str] = ..., webhook_endpoint: _Optional[_Union[_webhook_pb2.WebhookEndpoint, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateWebhookEndpointResponse(_message.Message):
    __slots__ = ("webhook_endpoint",)
    WEBHOOK_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoint: _webhook_pb2.WebhookEndpoint
    def __init__(self, webhook_endpoint: _Optional[_Union[_webhook_pb2.WebhookEndpoint, _Mapping]] = ...) -> None: ...

class RotateWebhookSecretRequest(_message.Message):
    __slots__ = ("request_id", "webhook_endpoint_id", "grace_period_seconds")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    GRACE_PERIOD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    webhook_endpoint_id: str
    grace_period_seconds: int
    def __init__(self, request_id: _Optional[str] = ..., webhook_endpoint_id: _Optional[str] = ..., grace_period_seconds: _Optional[int] = ...) -> None: ...

class RotateWebhookSecretResponse(_message.Message):
    __slots__ = ("webhook_endpoint", "secret")
    WEBHOOK_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoint: _webhook_pb2.WebhookEndpoint
    secret: str
    def __init__(self, webhook_endpoint: _Optional[_Union[_webhook_pb2.WebhookEndpoint, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class ListWebhookDeliveriesRequest(_message.Message):
    __slots__ = ("endpoint_id", "status", "page_size", "page_token")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    status: _webhook_pb2.WebhookDeliveryStatus
    page_size: int
    page_token: str
    def __init__(self, endpoint_id: _Optional[str] = ..., status: _Optional[_Union[_webhook_pb2.WebhookDeliveryStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWebhookDeliveriesResponse(_message.Message):
    __slots__ = ("webhook_deliveries", "next_page_token")
    WEBHOOK_DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    webhook_deliveries: _containers.RepeatedCompositeFieldContainer[_webhook_pb2.WebhookDelivery]
    next_page_token: str
    def __init__(self, webhook_deliveries: _Optional[_Iterable[_Union[_webhook_pb2.WebhookDelivery, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RedeliverEventRequest(_message.Message):
    __slots__ = ("request_id", "endpoint_id", "event_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    endpoint_id: str
    event_id: int
    def __init__(self, request_id: _Optional[str] = ..., endpoint_id: _Optional[str] = ..., event_id: _Optional[int] = ...) -> None: ...

class RedeliverEventResponse(_message.Message):
    __slots__ = ("webhook_delivery",)
    WEBHOOK_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    webhook_delivery: _webhook_pb2.WebhookDelivery
    def __init__(self, webhook_delivery: _Optional[_Union[_webhook_pb2.WebhookDelivery, _Mapping]] = ...) -> None: ...
