from sdk.billinghub.v1 import event_pb2 as _event_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WatchEventsRequest(_message.Message):
    __slots__ = ("after_id", "types", "consumer")
    AFTER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    after_id: int
    types: _containers.RepeatedScalarFieldContainer[str]
    consumer: str
    def __init__(self, after_id: _Optional[int] = ..., types: _Optional[_Iterable[str]] = ..., consumer: _Optional[str] = ...) -> None: ...

class WatchEventsResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _event_pb2.Event
    def __init__(self, event: _Optional[_Union[_event_pb2.Event, _Mapping]] = ...) -> None: ...

class ListEventsRequest(_message.Message):
    __slots__ = ("after_id", "types", "page_size", "consumer")
    AFTER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    after_id: int
    types: _containers.RepeatedScalarFieldContainer[str]
    page_size: int
    consumer: str
    def __init__(self, after_id: _Optional[int] = ..., types: _Optional[_Iterable[str]] = ..., page_size: _Optional[int] = ..., consumer: _Optional[str] = ...) -> None: ...

class ListEventsResponse(_message.Message):
    __slots__ = ("events", "last_id")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ID_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_event_pb2.Event]
    last_id: int
    def __init__(self, events: _Optional[_Iterable[_Union[_event_pb2.Event, _Mapping]]] = ..., last_id: _Optional[int] = ...) -> None: ...

class CommitEventCursorRequest(_message.Message):
    __slots__ = ("request_id", "consumer", "event_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    consumer: str
    event_id: int
    def __init__(self, request_id: _Optional[str] = ..., consumer: _Optional[str] = ..., event_id: _Optional[int] = ...) -> None: ...

class CommitEventCursorResponse(_message.Message):
    __slots__ = ("cursor", "moved")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    MOVED_FIELD_NUMBER: _ClassVar[int]
    cursor: _event_pb2.EventCursor
    moved: bool
    def __init__(self, cursor: _Optional[_Union[_event_pb2.EventCursor, _Mapping]] = ..., moved: _Optional[bool] = ...) -> None: ...

class GetEventCursorRequest(_message.Message):
    __slots__ = ("consumer",)
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    consumer: str
    def __init__(self, consumer: _Optional[str] = ...) -> None: ...

class GetEventCursorResponse(_message.Message):
    __slots__ = ("cursor",)
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    cursor: _event_pb2.EventCursor
    def __init__(self, cursor: _Optional[_Union[_event_pb2.EventCursor, _Mapping]] = ...) -> None: ...
