import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AdminPermission(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ADMIN_PERMISSION_UNSPECIFIED: _ClassVar[AdminPermission]
    ADMIN_PERMISSION_STATS: _ClassVar[AdminPermission]
    ADMIN_PERMISSION_USERS: _ClassVar[AdminPermission]
    ADMIN_PERMISSION_ADJUST: _ClassVar[AdminPermission]
    ADMIN_PERMISSION_QUEUES: _ClassVar[AdminPermission]
    ADMIN_PERMISSION_REFUNDS: _ClassVar[AdminPermission]
    ADMIN_PERMISSION_CATALOG: _ClassVar[AdminPermission]
    ADMIN_PERMISSION_BROADCAST: _ClassVar[AdminPermission]
    ADMIN_PERMISSION_EXPORT: _ClassVar[AdminPermission]
    ADMIN_PERMISSION_SETTINGS: _ClassVar[AdminPermission]

class BotMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BOT_MODE_UNSPECIFIED: _ClassVar[BotMode]
    BOT_MODE_POLLING: _ClassVar[BotMode]
    BOT_MODE_WEBHOOK: _ClassVar[BotMode]
ADMIN_PERMISSION_UNSPECIFIED: AdminPermission
ADMIN_PERMISSION_STATS: AdminPermission
ADMIN_PERMISSION_USERS: AdminPermission
ADMIN_PERMISSION_ADJUST: AdminPermission
ADMIN_PERMISSION_QUEUES: AdminPermission
ADMIN_PERMISSION_REFUNDS: AdminPermission
ADMIN_PERMISSION_CATALOG: AdminPermission
ADMIN_PERMISSION_BROADCAST: AdminPermission
ADMIN_PERMISSION_EXPORT: AdminPermission
ADMIN_PERMISSION_SETTINGS: AdminPermission
BOT_MODE_UNSPECIFIED: BotMode
BOT_MODE_POLLING: BotMode
BOT_MODE_WEBHOOK: BotMode

class BotAdmin(_message.Message):
    __slots__ = ("telegram_id", "name", "permissions")
    TELEGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    telegram_id: int
    name: str
    permissions: _containers.RepeatedScalarFieldContainer[AdminPermission]
    def __init__(self, telegram_id: _Optional[int] = ..., name: _Optional[str] = ..., permissions: _Optional[_Iterable[_Union[AdminPermission, str]]] = ...) -> None: ...

class BotSettings(_message.Message):
    __slots__ = ("bot_username", "admins", "alert_chat_id", "alert_topic_id", "welcome_text", "welcome_image", "support_text", "terms_text", "privacy_text", "paysupport_text", "default_locale", "mode", "webhook_secret", "create_time", "update_time")
    BOT_USERNAME_FIELD_NUMBER: _ClassVar[int]
    ADMINS_FIELD_NUMBER: _ClassVar[int]
    ALERT_CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    ALERT_TOPIC_ID_FIELD_NUMBER: _ClassVar[int]
    WELCOME_TEXT_FIELD_NUMBER: _ClassVar[int]
    WELCOME_IMAGE_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_TEXT_FIELD_NUMBER: _ClassVar[int]
    TERMS_TEXT_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_TEXT_FIELD_NUMBER: _ClassVar[int]
    PAYSUPPORT_TEXT_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_LOCALE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_SECRET_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    bot_username: str
    admins: _containers.RepeatedCompositeFieldContainer[BotAdmin]
    alert_chat_id: int
    alert_topic_id: int
    welcome_text: str
    welcome_image: str
    support_text: str
    terms_text: str
    privacy_text: str
    paysupport_text: str
    default_locale: str
    mode: BotMode
    webhook_secret: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, bot_username: _Optional[str] = ..., admins: _Optional[_Iterable[_Union[BotAdmin, _Mapping]]] = ..., alert_chat_id: _Optional[int] = ..., alert_topic_id: _Optional[int] = ..., welcome_text: _Optional[str] = ..., welcome_image: _Optional[str] = ..., support_text: _Optional[str] = ..., terms_text: _Optional[str] = ..., privacy_text: _Optional[str] = ..., paysupport_text: _Optional[str] = ..., default_locale: _Optional[str] = ..., mode: _Optional[_Union[BotMode, str]] = ..., webhook_secret: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TextOverride(_message.Message):
    __slots__ = ("key", "locale", "text", "update_time")
    KEY_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    key: str
    locale: str
    text: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, key: _Optional[str] = ..., locale: _Optional[str] = ..., text: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
