import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BroadcastStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BROADCAST_STATUS_UNSPECIFIED: _ClassVar[BroadcastStatus]
    BROADCAST_STATUS_DRAFT: _ClassVar[BroadcastStatus]
    BROADCAST_STATUS_QUEUED: _ClassVar[BroadcastStatus]
    BROADCAST_STATUS_RUNNING: _ClassVar[BroadcastStatus]
    BROADCAST_STATUS_PAUSED: _ClassVar[BroadcastStatus]
    BROADCAST_STATUS_CANCELLED: _ClassVar[BroadcastStatus]
    BROADCAST_STATUS_FINISHED: _ClassVar[BroadcastStatus]

class BroadcastParseMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BROADCAST_PARSE_MODE_UNSPECIFIED: _ClassVar[BroadcastParseMode]
    BROADCAST_PARSE_MODE_PLAIN: _ClassVar[BroadcastParseMode]
    BROADCAST_PARSE_MODE_HTML: _ClassVar[BroadcastParseMode]

class BroadcastSegmentKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BROADCAST_SEGMENT_KIND_UNSPECIFIED: _ClassVar[BroadcastSegmentKind]
    BROADCAST_SEGMENT_KIND_ALL: _ClassVar[BroadcastSegmentKind]
    BROADCAST_SEGMENT_KIND_PAID: _ClassVar[BroadcastSegmentKind]
    BROADCAST_SEGMENT_KIND_ACTIVE_SUBSCRIPTION: _ClassVar[BroadcastSegmentKind]
    BROADCAST_SEGMENT_KIND_LANGUAGE: _ClassVar[BroadcastSegmentKind]
    BROADCAST_SEGMENT_KIND_INACTIVE: _ClassVar[BroadcastSegmentKind]

class BroadcastOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BROADCAST_OUTCOME_UNSPECIFIED: _ClassVar[BroadcastOutcome]
    BROADCAST_OUTCOME_SENT: _ClassVar[BroadcastOutcome]
    BROADCAST_OUTCOME_BLOCKED: _ClassVar[BroadcastOutcome]
    BROADCAST_OUTCOME_FAILED: _ClassVar[BroadcastOutcome]
BROADCAST_STATUS_UNSPECIFIED: BroadcastStatus
BROADCAST_STATUS_DRAFT: BroadcastStatus
BROADCAST_STATUS_QUEUED: BroadcastStatus
BROADCAST_STATUS_RUNNING: BroadcastStatus
BROADCAST_STATUS_PAUSED: BroadcastStatus
BROADCAST_STATUS_CANCELLED: BroadcastStatus
BROADCAST_STATUS_FINISHED: BroadcastStatus
BROADCAST_PARSE_MODE_UNSPECIFIED: BroadcastParseMode
BROADCAST_PARSE_MODE_PLAIN: BroadcastParseMode
BROADCAST_PARSE_MODE_HTML: BroadcastParseMode
BROADCAST_SEGMENT_KIND_UNSPECIFIED: BroadcastSegmentKind
BROADCAST_SEGMENT_KIND_ALL: BroadcastSegmentKind
BROADCAST_SEGMENT_KIND_PAID: BroadcastSegmentKind
BROADCAST_SEGMENT_KIND_ACTIVE_SUBSCRIPTION: BroadcastSegmentKind
BROADCAST_SEGMENT_KIND_LANGUAGE: BroadcastSegmentKind
BROADCAST_SEGMENT_KIND_INACTIVE: BroadcastSegmentKind
BROADCAST_OUTCOME_UNSPECIFIED: BroadcastOutcome
BROADCAST_OUTCOME_SENT: BroadcastOutcome
BROADCAST_OUTCOME_BLOCKED: BroadcastOutcome
BROADCAST_OUTCOME_FAILED: BroadcastOutcome

class BroadcastButton(_message.Message):
    __slots__ = ("text", "url")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    text: str
    url: str
    def __init__(self, text: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class BroadcastContent(_message.Message):
    __slots__ = ("text", "photo", "parse_mode", "button")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    PHOTO_FIELD_NUMBER: _ClassVar[int]
    PARSE_MODE_FIELD_NUMBER: _ClassVar[int]
    BUTTON_FIELD_NUMBER: _ClassVar[int]
    text: str
    photo: str
    parse_mode: BroadcastParseMode
    button: BroadcastButton
    def __init__(self, text: _Optional[str] = ..., photo: _Optional[str] = ..., parse_mode: _Optional[_Union[BroadcastParseMode, str]] = ..., button: _Optional[_Union[BroadcastButton, _Mapping]] = ...) -> None: ...

class BroadcastSegment(_message.Message):
    __slots__ = ("kind", "language", "inactive_days")
    KIND_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    INACTIVE_DAYS_FIELD_NUMBER: _ClassVar[int]
    kind: BroadcastSegmentKind
    language: str
    inactive_days: int
    def __init__(self, kind: _Optional[_Union[BroadcastSegmentKind, str]] = ..., language: _Optional[str] = ..., inactive_days: _Optional[int] = ...) -> None: ...

class Broadcast(_message.Message):
    __slots__ = ("id", "status", "content", "segment", "audience", "sent", "blocked", "failed", "left", "created_by", "create_time", "start_time", "end_time", "update_time", "progress_messages", "report_claimed")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    SENT_FIELD_NUMBER: _ClassVar[int]
    BLOCKED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    LEFT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    REPORT_CLAIMED_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: BroadcastStatus
    content: BroadcastContent
    segment: BroadcastSegment
    audience: int
    sent: int
    blocked: int
    failed: int
    left: int
    created_by: str
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    progress_messages: _containers.RepeatedCompositeFieldContainer[BroadcastProgressMessage]
    report_claimed: bool
    def __init__(self, id: _Optional[str] = ..., status: _Optional[_Union[BroadcastStatus, str]] = ..., content: _Optional[_Union[BroadcastContent, _Mapping]] = ..., segment: _Optional[_Union[BroadcastSegment, _Mapping]] = ..., audience: _Optional[int] = ..., sent: _Optional[int] = ..., blocked: _Optional[int] = ..., failed: _Optional[int] = ..., left: _Optional[int] = ..., created_by: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., progress_messages: _Optional[_Iterable[_Union[BroadcastProgressMessage, _Mapping]]] = ..., report_claimed: _Optional[bool] = ...) -> None: ...

class BroadcastProgressMessage(_message.Message):
    __slots__ = ("chat_id", "message_id", "locale", "attach_time")
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    ATTACH_TIME_FIELD_NUMBER: _ClassVar[int]
    chat_id: int
    message_id: int
    locale: str
    attach_time: _timestamp_pb2.Timestamp
    def __init__(self, chat_id: _Optional[int] = ..., message_id: _Optional[int] = ..., locale: _Optional[str] = ..., attach_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BroadcastRecipient(_message.Message):
    __slots__ = ("recipient_id", "user_id", "chat_id", "language")
    RECIPIENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    recipient_id: int
    user_id: str
    chat_id: int
    language: str
    def __init__(self, recipient_id: _Optional[int] = ..., user_id: _Optional[str] = ..., chat_id: _Optional[int] = ..., language: _Optional[str] = ...) -> None: ...

class BroadcastResult(_message.Message):
    __slots__ = ("recipient_id", "outcome", "error")
    RECIPIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    recipient_id: int
    outcome: BroadcastOutcome
    error: str
    def __init__(self, recipient_id: _Optional[int] = ..., outcome: _Optional[_Union[BroadcastOutcome, str]] = ..., error: _Optional[str] = ...) -> None: ...
