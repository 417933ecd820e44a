import datetime

from sdk.billinghub.v1 import broadcast_pb2 as _broadcast_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateBroadcastRequest(_message.Message):
    __slots__ = ("request_id", "content", "segment")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    content: _broadcast_pb2.BroadcastContent
    segment: _broadcast_pb2.BroadcastSegment
    def __init__(self, request_id: _Optional[str] = ..., content: _Optional[_Union[_broadcast_pb2.BroadcastContent, _Mapping]] = ..., segment: _Optional[_Union[_broadcast_pb2.BroadcastSegment, _Mapping]] = ...) -> None: ...

class CreateBroadcastResponse(_message.Message):
    __slots__ = ("broadcast",)
    BROADCAST_FIELD_NUMBER: _ClassVar[int]
    broadcast: _broadcast_pb2.Broadcast
    def __init__(self, broadcast: _Optional[_Union[_broadcast_pb2.Broadcast, _Mapping]] = ...) -> None: ...

class CountBroadcastAudienceRequest(_message.Message):
    __slots__ = ("segment", "broadcast_id")
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    BROADCAST_ID_FIELD_NUMBER: _ClassVar[int]
    segment: _broadcast_pb2.BroadcastSegment
    broadcast_id: str
    def __init__(self, segment: _Optional[_Union[_broadcast_pb2.BroadcastSegment, _Mapping]] = ..., broadcast_id: _Optional[str] = ...) -> None: ...

class CountBroadcastAudienceResponse(_message.Message):
    __slots__ = ("audience",)
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    audience: int
    def __init__(self, audience: _Optional[int] = ...) -> None: ...

class StartBroadcastRequest(_message.Message):
    __slots__ = ("request_id", "broadcast_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BROADCAST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    broadcast_id: str
    def __init__(self, request_id: _Optional[str] = ..., broadcast_id: _Optional[str] = ...) -> None: ...

class StartBroadcastResponse(_message.Message):
    __slots__ = ("broadcast",)
    BROADCAST_FIELD_NUMBER: _ClassVar[int]
    broadcast: _broadcast_pb2.Broadcast
    def __init__(self, broadcast: _Optional[_Union[_broadcast_pb2.Broadcast, _Mapping]] = ...) -> None: ...

class PauseBroadcastRequest(_message.Message):
    __slots__ = ("request_id", "broadcast_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BROADCAST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    broadcast_id: str
    def __init__(self, request_id: _Optional[str] = ..., broadcast_id: _Optional[str] = ...) -> None: ...

class PauseBroadcastResponse(_message.Message):
    __slots__ = ("broadcast",)
    BROADCAST_FIELD_NUMBER: _ClassVar[int]
    broadcast: _broadcast_pb2.Broadcast
    def __init__(self, broadcast: _Optional[_Union[_broadcast_pb2.Broadcast, _Mapping]] = ...) -> None: ...

class ResumeBroadcastRequest(_message.Message):
    __slots__ = ("request_id", "broadcast_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BROADCAST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    broadcast_id: str
    def __init__(self, request_id: _Optional[str] = ..., broadcast_id: _Optional[str] = ...) -> None: ...

class ResumeBroadcastResponse(_message.Message):
    __slots__ = ("broadcast",)
    BROADCAST_FIELD_NUMBER: _ClassVar[int]
    broadcast: _broadcast_pb2.Broadcast
    def __init__(self, broadcast: _Optional[_Union[_broadcast_pb2.Broadcast, _Mapping]] = ...) -> None: ...

class CancelBroadcastRequest(_message.Message):
    __slots__ = ("request_id", "broadcast_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BROADCAST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    broadcast_id: str
    def __init__(self, request_id: _Optional[str] = ..., broadcast_id: _Optional[str] = ...) -> None: ...

class CancelBroadcastResponse(_message.Message):
    __slots__ = ("broadcast",)
    BROADCAST_FIELD_NUMBER: _ClassVar[int]
    broadcast: _broadcast_pb2.Broadcast
    def __init__(self, broadcast: _Optional[_Union[_broadcast_pb2.Broadcast, _Mapping]] = ...) -> None: ...

class GetBroadcastRequest(_message.Message):
    __slots__ = ("broadcast_id",)
    BROADCAST_ID_FIELD_NUMBER: _ClassVar[int]
    broadcast_id: str
    def __init__(self, broadcast_id: _Optional[str] = ...) -> None: ...

class GetBroadcastResponse(_message.Message):
    __slots__ = ("broadcast",)
    BROADCAST_FIELD_NUMBER: _ClassVar[int]
    broadcast: _broadcast_pb2.Broadcast
    def __init__(self, broadcast: _Optional[_Union[_broadcast_pb2.Broadcast, _Mapping]] = ...) -> None: ...

class ListBroadcastsRequest(_message.Message):
    __slots__ = ("status", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: _broadcast_pb2.BroadcastStatus
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[_broadcast_pb2.BroadcastStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBroadcastsResponse(_message.Message):
    __slots__ = ("broadcasts", "next_page_token")
    BROADCASTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    broadcasts: _containers.RepeatedCompositeFieldContainer[_broadcast_pb2.Broadcast]
    next_page_token: str
    def __init__(self, broadcasts: _Optional[_Iterable[_Union[_broadcast_pb2.Broadcast, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class LeaseBroadcastRecipientsRequest(_message.Message):
    __slots__ = ("broadcast_id", "max_recipients", "lease_seconds")
    BROADCAST_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    broadcast_id: str
    max_recipients: int
    lease_seconds: int
    def __init__(self, broadcast_id: _Optional[str] = ..., max_recipients: _Optional[int] = ..., lease_seconds: _Optional[int] = ...) -> None: ...

class LeaseBroadcastRecipientsResponse(_message.Message):
    __slots__ = ("broadcast", "recipients", "lease_expire_time")
    BROADCAST_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    broadcast: _broadcast_pb2.Broadcast
    recipients: _containers.RepeatedCompositeFieldContainer[_broadcast_pb2.BroadcastRecipient]
    lease_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, broadcast: _Optional[_Union[_broadcast_pb2.Broadcast, _Mapping]] = ..., recipients: _Optional[_Iterable[_Union[_broadcast_pb2.BroadcastRecipient, _Mapping]]] = ..., lease_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReportBroadcastResultsRequest(_message.Message):
    __slots__ = ("request_id", "broadcast_id", "results", "released_recipient_ids", "released_lease_expire_time")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BROADCAST_ID_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    RELEASED_RECIPIENT_IDS_FIELD_NUMBER: _ClassVar[int]
    RELEASED_LEASE_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    broadcast_id: str
    results: _containers.RepeatedCompositeFieldContainer[_broadcast_pb2.BroadcastResult]
    released_recipient_ids: _containers.RepeatedScalarFieldContainer[int]
    released_lease_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, request_id: _Optional[str] = ..., broadcast_id: _Optional[str] = ..., results: _Optional[_Iterable[_Union[_broadcast_pb2.BroadcastResult, _Mapping]]] = ..., released_recipient_ids: _Optional[_Iterable[int]] = ..., released_lease_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReportBroadcastResultsResponse(_message.Message):
    __slots__ = ("broadcast", "recorded", "released")
    BROADCAST_FIELD_NUMBER: _ClassVar[int]
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    broadcast: _broadcast_pb2.Broadcast
    recorded: int
    released: int
    def __init__(self, broadcast: _Optional[_Union[_broadcast_pb2.Broadcast, _Mapping]] = ..., recorded: _Optional[int] = ..., released: _Optional[int] = ...) -> None: ...

class AttachBroadcastProgressRequest(_message.Message):
    __slots__ = ("request_id", "broadcast_id", "chat_id", "message_id", "locale")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BROADCAST_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    broadcast_id: str
    chat_id: int
    message_id: int
    locale: str
    def __init__(self, request_id: _Optional[str] = ..., broadcast_id: _Optional[str] = ..., chat_id: _Optional[int] = ..., message_id: _Optional[int] = ..., locale: _Optional[str] = ...) -> None: ...

class AttachBroadcastProgressResponse(_message.Message):
    __slots__ = ("broadcast",)
    BROADCAST_FIELD_NUMBER: _ClassVar[int]
    broadcast: _broadcast_pb2.Broadcast
    def __init__(self, broadcast: _Optional[_Union[_broadcast_pb2.Broadcast, _Mapping]] = ...) -> None: ...

class ClaimBroadcastReportRequest(_message.Message):
    __slots__ = ("request_id", "broadcast_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BROADCAST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    broadcast_id: str
    def __init__(self, request_id: _Optional[str] = ..., broadcast_id: _Optional[str] = ...) -> None: ...

class ClaimBroadcastReportResponse(_message.Message):
    __slots__ = ("broadcast", "claimed")
    BROADCAST_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_FIELD_NUMBER: _ClassVar[int]
    broadcast: _broadcast_pb2.Broadcast
    claimed: bool
    def __init__(self, broadcast: _Optional[_Union[_broadcast_pb2.Broadcast, _Mapping]] = ..., claimed: _Optional[bool] = ...) -> None: ...
