import datetime

from sdk.billinghub.v1 import common_pb2 as _common_pb2
from sdk.billinghub.v1 import wallet_pb2 as _wallet_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransferDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSFER_DIRECTION_UNSPECIFIED: _ClassVar[TransferDirection]
    TRANSFER_DIRECTION_CREDIT: _ClassVar[TransferDirection]
    TRANSFER_DIRECTION_DEBIT: _ClassVar[TransferDirection]
TRANSFER_DIRECTION_UNSPECIFIED: TransferDirection
TRANSFER_DIRECTION_CREDIT: TransferDirection
TRANSFER_DIRECTION_DEBIT: TransferDirection

class GetBalancesRequest(_message.Message):
    __slots__ = ("user_id", "assets")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    assets: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, user_id: _Optional[str] = ..., assets: _Optional[_Iterable[str]] = ...) -> None: ...

class GetBalancesResponse(_message.Message):
    __slots__ = ("balances",)
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    balances: _containers.RepeatedCompositeFieldContainer[_wallet_pb2.Balance]
    def __init__(self, balances: _Optional[_Iterable[_Union[_wallet_pb2.Balance, _Mapping]]] = ...) -> None: ...

class ListTransfersRequest(_message.Message):
    __slots__ = ("user_id", "asset", "kinds", "start_time", "end_time", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    asset: str
    kinds: _containers.RepeatedScalarFieldContainer[_wallet_pb2.TransferKind]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., asset: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[_wallet_pb2.TransferKind, str]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTransfersResponse(_message.Message):
    __slots__ = ("transfers", "next_page_token")
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transfers: _containers.RepeatedCompositeFieldContainer[_wallet_pb2.Transfer]
    next_page_token: str
    def __init__(self, transfers: _Optional[_Iterable[_Union[_wallet_pb2.Transfer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AdjustBalanceRequest(_message.Message):
    __slots__ = ("request_id", "user_id", "amount", "direction", "reason", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    amount: _common_pb2.Money
    direction: TransferDirection
    reason: str
    actor: str
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., direction: _Optional[_Union[TransferDirection, str]] = ..., reason: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class AdjustBalanceResponse(_message.Message):
    __slots__ = ("transfer", "balance")
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    transfer: _wallet_pb2.Transfer
    balance: _wallet_pb2.Balance
    def __init__(self, transfer: _Optional[_Union[_wallet_pb2.Transfer, _Mapping]] = ..., balance: _Optional[_Union[_wallet_pb2.Balance, _Mapping]] = ...) -> None: ...

class ChargeUsageRequest(_message.Message):
    __slots__ = ("request_id", "user_id", "amount", "reference")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    amount: _common_pb2.Money
    reference: str
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., reference: _Optional[str] = ...) -> None: ...

class ChargeUsageResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: _wallet_pb2.Transfer
    def __init__(self, transfer: _Optional[_Union[_wallet_pb2.Transfer, _Mapping]] = ...) -> None: ...

class CreateHoldRequest(_message.Message):
    __slots__ = ("request_id", "user_id", "amount", "reference", "ttl_seconds")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    amount: _common_pb2.Money
    reference: str
    ttl_seconds: int
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., reference: _Optional[str] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class CreateHoldResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: _wallet_pb2.Hold
    def __init__(self, hold: _Optional[_Union[_wallet_pb2.Hold, _Mapping]] = ...) -> None: ...

class CaptureHoldRequest(_message.Message):
    __slots__ = ("request_id", "hold_id", "amount_minor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    hold_id: str
    amount_minor: int
    def __init__(self, request_id: _Optional[str] = ..., hold_id: _Optional[str] = ..., amount_minor: _Optional[int] = ...) -> None: ...

class CaptureHoldResponse(_message.Message):
    __slots__ = ("hold", "transfer")
    HOLD_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    hold: _wallet_pb2.Hold
    transfer: _wallet_pb2.Transfer
    def __init__(self, hold: _Optional[_Union[_wallet_pb2.Hold, _Mapping]] = ..., transfer: _Optional[_Union[_wallet_pb2.Transfer, _Mapping]] = ...) -> None: ...

class VoidHoldRequest(_message.Message):
    __slots__ = ("request_id", "hold_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    hold_id: str
    def __init__(self, request_id: _Optional[str] = ..., hold_id: _Optional[str] = ...) -> None: ...

class VoidHoldResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: _wallet_pb2.Hold
    def __init__(self, hold: _Optional[_Union[_wallet_pb2.Hold, _Mapping]] = ...) -> None: ...

class GetHoldRequest(_message.Message):
    __slots__ = ("hold_id",)
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    def __init__(self, hold_id: _Optional[str] = ...) -> None: ...

class GetHoldResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: _wallet_pb2.Hold
    def __init__(self, hold: _Optional[_Union[_wallet_pb2.Hold, _Mapping]] = ...) -> None: ...

class VerifyLedgerRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class VerifyLedgerResponse(_message.Message):
    __slots__ = ("ok", "drifts", "accounts_checked", "transfers_checked")
    OK_FIELD_NUMBER: _ClassVar[int]
    DRIFTS_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    drifts: _containers.RepeatedCompositeFieldContainer[_wallet_pb2.LedgerDrift]
    accounts_checked: int
    transfers_checked: int
    def __init__(self, ok: _Optional[bool] = ..., drifts: _Optional[_Iterable[_Union[_wallet_pb2.LedgerDrift, _Mapping]]] = ..., accounts_checked: _Optional[int] = ..., transfers_checked: _Optional[int] = ...) -> None: ...

class ExportTransfersRequest(_message.Message):
    __slots__ = ("asset", "start_time", "end_time")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    asset: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, asset: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportTransfersResponse(_message.Message):
    __slots__ = ("transfers",)
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    transfers: _containers.RepeatedCompositeFieldContainer[_wallet_pb2.Transfer]
    def __init__(self, transfers: _Optional[_Iterable[_Union[_wallet_pb2.Transfer, _Mapping]]] = ...) -> None: ...
