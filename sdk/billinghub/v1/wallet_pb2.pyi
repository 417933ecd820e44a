import datetime

from sdk.billinghub.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransferKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSFER_KIND_UNSPECIFIED: _ClassVar[TransferKind]
    TRANSFER_KIND_ADJUSTMENT: _ClassVar[TransferKind]
    TRANSFER_KIND_USAGE: _ClassVar[TransferKind]
    TRANSFER_KIND_HOLD_CAPTURE: _ClassVar[TransferKind]
    TRANSFER_KIND_TOPUP: _ClassVar[TransferKind]
    TRANSFER_KIND_ORDER_PAYMENT: _ClassVar[TransferKind]
    TRANSFER_KIND_DELIVERY: _ClassVar[TransferKind]
    TRANSFER_KIND_REFERRAL_COMMISSION: _ClassVar[TransferKind]
    TRANSFER_KIND_REFUND: _ClassVar[TransferKind]
    TRANSFER_KIND_REVERSAL: _ClassVar[TransferKind]
    TRANSFER_KIND_PROMO: _ClassVar[TransferKind]
    TRANSFER_KIND_PAYOUT: _ClassVar[TransferKind]

class HoldStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOLD_STATUS_UNSPECIFIED: _ClassVar[HoldStatus]
    HOLD_STATUS_PENDING: _ClassVar[HoldStatus]
    HOLD_STATUS_CAPTURED: _ClassVar[HoldStatus]
    HOLD_STATUS_VOIDED: _ClassVar[HoldStatus]
    HOLD_STATUS_EXPIRED: _ClassVar[HoldStatus]
TRANSFER_KIND_UNSPECIFIED: TransferKind
TRANSFER_KIND_ADJUSTMENT: TransferKind
TRANSFER_KIND_USAGE: TransferKind
TRANSFER_KIND_HOLD_CAPTURE: TransferKind
TRANSFER_KIND_TOPUP: TransferKind
TRANSFER_KIND_ORDER_PAYMENT: TransferKind
TRANSFER_KIND_DELIVERY: TransferKind
TRANSFER_KIND_REFERRAL_COMMISSION: TransferKind
TRANSFER_KIND_REFUND: TransferKind
TRANSFER_KIND_REVERSAL: TransferKind
TRANSFER_KIND_PROMO: TransferKind
TRANSFER_KIND_PAYOUT: TransferKind
HOLD_STATUS_UNSPECIFIED: HoldStatus
HOLD_STATUS_PENDING: HoldStatus
HOLD_STATUS_CAPTURED: HoldStatus
HOLD_STATUS_VOIDED: HoldStatus
HOLD_STATUS_EXPIRED: HoldStatus

class Balance(_message.Message):
    __slots__ = ("asset", "posted", "held", "available")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    POSTED_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    asset: str
    posted: _common_pb2.Money
    held: _common_pb2.Money
    available: _common_pb2.Money
    def __init__(self, asset: _Optional[str] = ..., posted: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., held: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., available: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class AccountRef(_message.Message):
    __slots__ = ("user_id", "system")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    system: str
    def __init__(self, user_id: _Optional[str] = ..., system: _Optional[str] = ...) -> None: ...

class Transfer(_message.Message):
    __slots__ = ("id", "kind", "amount", "debit", "credit", "reference", "link_id", "reason", "actor", "debit_balance_after", "credit_balance_after", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DEBIT_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    LINK_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    DEBIT_BALANCE_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREDIT_BALANCE_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: TransferKind
    amount: _common_pb2.Money
    debit: AccountRef
    credit: AccountRef
    reference: str
    link_id: str
    reason: str
    actor: str
    debit_balance_after: int
    credit_balance_after: int
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[TransferKind, str]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., debit: _Optional[_Union[AccountRef, _Mapping]] = ..., credit: _Optional[_Union[AccountRef, _Mapping]] = ..., reference: _Optional[str] = ..., link_id: _Optional[str] = ..., reason: _Optional[str] = ..., actor: _Optional[str] = ..., debit_balance_after: _Optional[int] = ..., credit_balance_after: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Hold(_message.Message):
    __slots__ = ("id", "user_id", "amount", "status", "reference", "captured_amount", "capture_transfer_id", "expire_time", "create_time", "close_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CAPTURE_TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    amount: _common_pb2.Money
    status: HoldStatus
    reference: str
    captured_amount: _common_pb2.Money
    capture_transfer_id: str
    expire_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., status: _Optional[_Union[HoldStatus, str]] = ..., reference: _Optional[str] = ..., captured_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., capture_transfer_id: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LedgerDrift(_message.Message):
    __slots__ = ("asset", "account", "check", "expected", "actual")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CHECK_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_FIELD_NUMBER: _ClassVar[int]
    asset: str
    account: AccountRef
    check: str
    expected: int
    actual: int
    def __init__(self, asset: _Optional[str] = ..., account: _Optional[_Union[AccountRef, _Mapping]] = ..., check: _Optional[str] = ..., expected: _Optional[int] = ..., actual: _Optional[int] = ...) -> None: ...
