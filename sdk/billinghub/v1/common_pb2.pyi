from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Platform(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLATFORM_UNSPECIFIED: _ClassVar[Platform]
    PLATFORM_TELEGRAM: _ClassVar[Platform]
    PLATFORM_WEB: _ClassVar[Platform]
    PLATFORM_API: _ClassVar[Platform]
    PLATFORM_DISCORD: _ClassVar[Platform]
    PLATFORM_VK: _ClassVar[Platform]
PLATFORM_UNSPECIFIED: Platform
PLATFORM_TELEGRAM: Platform
PLATFORM_WEB: Platform
PLATFORM_API: Platform
PLATFORM_DISCORD: Platform
PLATFORM_VK: Platform

class Money(_message.Message):
    __slots__ = ("asset", "amount_minor")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    asset: str
    amount_minor: int
    def __init__(self, asset: _Optional[str] = ..., amount_minor: _Optional[int] = ...) -> None: ...
