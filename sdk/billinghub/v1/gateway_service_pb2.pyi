from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListBotTenantsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class BotTenant(_message.Message):
    __slots__ = ("tenant_id", "bot_token", "default_locale", "broadcast_running", "time_zone")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    BOT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_LOCALE_FIELD_NUMBER: _ClassVar[int]
    BROADCAST_RUNNING_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    bot_token: str
    default_locale: str
    broadcast_running: bool
    time_zone: str
    def __init__(self, tenant_id: _Optional[str] = ..., bot_token: _Optional[str] = ..., default_locale: _Optional[str] = ..., broadcast_running: _Optional[bool] = ..., time_zone: _Optional[str] = ...) -> None: ...

class ListBotTenantsResponse(_message.Message):
    __slots__ = ("bot_tenants",)
    BOT_TENANTS_FIELD_NUMBER: _ClassVar[int]
    bot_tenants: _containers.RepeatedCompositeFieldContainer[BotTenant]
    def __init__(self, bot_tenants: _Optional[_Iterable[_Union[BotTenant, _Mapping]]] = ...) -> None: ...
