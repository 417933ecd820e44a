from sdk.billinghub.v1 import bot_settings_pb2 as _bot_settings_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetBotSettingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetBotSettingsResponse(_message.Message):
    __slots__ = ("bot_settings",)
    BOT_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    bot_settings: _bot_settings_pb2.BotSettings
    def __init__(self, bot_settings: _Optional[_Union[_bot_settings_pb2.BotSettings, _Mapping]] = ...) -> None: ...

class UpdateBotSettingsRequest(_message.Message):
    __slots__ = ("request_id", "bot_settings", "update_mask")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BOT_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    bot_settings: _bot_settings_pb2.BotSettings
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, request_id: _Optional[str] = ..., bot_settings: _Optional[_Union[_bot_settings_pb2.BotSettings, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateBotSettingsResponse(_message.Message):
    __slots__ = ("bot_settings",)
    BOT_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    bot_settings: _bot_settings_pb2.BotSettings
    def __init__(self, bot_settings: _Optional[_Union[_bot_settings_pb2.BotSettings, _Mapping]] = ...) -> None: ...

class SetTextOverrideRequest(_message.Message):
    __slots__ = ("request_id", "text_override")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    text_override: _bot_settings_pb2.TextOverride
    def __init__(self, request_id: _Optional[str] = ..., text_override: _Optional[_Union[_bot_settings_pb2.TextOverride, _Mapping]] = ...) -> None: ...

class SetTextOverrideResponse(_message.Message):
    __slots__ = ("text_override",)
    TEXT_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    text_override: _bot_settings_pb2.TextOverride
    def __init__(self, text_override: _Optional[_Union[_bot_settings_pb2.TextOverride, _Mapping]] = ...) -> None: ...

class DeleteTextOverrideRequest(_message.Message):
    __slots__ = ("request_id", "key", "locale")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    key: str
    locale: str
    def __init__(self, request_id: _Optional[str] = ..., key: _Optional[str] = ..., locale: _Optional[str] = ...) -> None: ...

class DeleteTextOverrideResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTextOverridesRequest(_message.Message):
    __slots__ = ("locale", "page_size", "page_token")
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    locale: str
    page_size: int
    page_token: str
    def __init__(self, locale: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTextOverridesResponse(_message.Message):
    __slots__ = ("text_overrides", "next_page_token")
    TEXT_OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    text_overrides: _containers.RepeatedCompositeFieldContainer[_bot_settings_pb2.TextOverride]
    next_page_token: str
    def __init__(self, text_overrides: _Optional[_Iterable[_Union[_bot_settings_pb2.TextOverride, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
