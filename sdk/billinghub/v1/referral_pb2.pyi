import datetime

from sdk.billinghub.v1 import common_pb2 as _common_pb2
from sdk.billinghub.v1 import package_pb2 as _package_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PayoutStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAYOUT_STATUS_UNSPECIFIED: _ClassVar[PayoutStatus]
    PAYOUT_STATUS_PENDING: _ClassVar[PayoutStatus]
    PAYOUT_STATUS_PAID: _ClassVar[PayoutStatus]
    PAYOUT_STATUS_REJECTED: _ClassVar[PayoutStatus]
PAYOUT_STATUS_UNSPECIFIED: PayoutStatus
PAYOUT_STATUS_PENDING: PayoutStatus
PAYOUT_STATUS_PAID: PayoutStatus
PAYOUT_STATUS_REJECTED: PayoutStatus

class ReferralTier(_message.Message):
    __slots__ = ("name", "min_invited", "min_sales_minor", "bonus_rate_bps", "one_off_bonus_minor")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MIN_INVITED_FIELD_NUMBER: _ClassVar[int]
    MIN_SALES_MINOR_FIELD_NUMBER: _ClassVar[int]
    BONUS_RATE_BPS_FIELD_NUMBER: _ClassVar[int]
    ONE_OFF_BONUS_MINOR_FIELD_NUMBER: _ClassVar[int]
    name: str
    min_invited: int
    min_sales_minor: int
    bonus_rate_bps: int
    one_off_bonus_minor: int
    def __init__(self, name: _Optional[str] = ..., min_invited: _Optional[int] = ..., min_sales_minor: _Optional[int] = ..., bonus_rate_bps: _Optional[int] = ..., one_off_bonus_minor: _Optional[int] = ...) -> None: ...

class ReferralProgram(_message.Message):
    __slots__ = ("enabled", "level_rates_bps", "package_kinds", "payout_asset", "rate_numerator", "rate_denominator", "hold_days", "tiers", "min_payout_minor", "bot_username")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    LEVEL_RATES_BPS_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_KINDS_FIELD_NUMBER: _ClassVar[int]
    PAYOUT_ASSET_FIELD_NUMBER: _ClassVar[int]
    RATE_NUMERATOR_FIELD_NUMBER: _ClassVar[int]
    RATE_DENOMINATOR_FIELD_NUMBER: _ClassVar[int]
    HOLD_DAYS_FIELD_NUMBER: _ClassVar[int]
    TIERS_FIELD_NUMBER: _ClassVar[int]
    MIN_PAYOUT_MINOR_FIELD_NUMBER: _ClassVar[int]
    BOT_USERNAME_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    level_rates_bps: _containers.RepeatedScalarFieldContainer[int]
    package_kinds: _containers.RepeatedScalarFieldContainer[_package_pb2.PackageKind]
    payout_asset: str
    rate_numerator: int
    rate_denominator: int
    hold_days: int
    tiers: _containers.RepeatedCompositeFieldContainer[ReferralTier]
    min_payout_minor: int
    bot_username: str
    def __init__(self, enabled: _Optional[bool] = ..., level_rates_bps: _Optional[_Iterable[int]] = ..., package_kinds: _Optional[_Iterable[_Union[_package_pb2.PackageKind, str]]] = ..., payout_asset: _Optional[str] = ..., rate_numerator: _Optional[int] = ..., rate_denominator: _Optional[int] = ..., hold_days: _Optional[int] = ..., tiers: _Optional[_Iterable[_Union[ReferralTier, _Mapping]]] = ..., min_payout_minor: _Optional[int] = ..., bot_username: _Optional[str] = ...) -> None: ...

class ReferralStats(_message.Message):
    __slots__ = ("referral_code", "link", "invited_by_level", "earned", "pending", "withdrawable", "tier")
    REFERRAL_CODE_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    INVITED_BY_LEVEL_FIELD_NUMBER: _ClassVar[int]
    EARNED_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWABLE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    referral_code: str
    link: str
    invited_by_level: _containers.RepeatedScalarFieldContainer[int]
    earned: _containers.RepeatedCompositeFieldContainer[_common_pb2.Money]
    pending: _containers.RepeatedCompositeFieldContainer[_common_pb2.Money]
    withdrawable: _containers.RepeatedCompositeFieldContainer[_common_pb2.Money]
    tier: str
    def __init__(self, referral_code: _Optional[str] = ..., link: _Optional[str] = ..., invited_by_level: _Optional[_Iterable[int]] = ..., earned: _Optional[_Iterable[_Union[_common_pb2.Money, _Mapping]]] = ..., pending: _Optional[_Iterable[_Union[_common_pb2.Money, _Mapping]]] = ..., withdrawable: _Optional[_Iterable[_Union[_common_pb2.Money, _Mapping]]] = ..., tier: _Optional[str] = ...) -> None: ...

class LeaderboardEntry(_message.Message):
    __slots__ = ("user_id", "username", "value", "rank")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    username: str
    value: int
    rank: int
    def __init__(self, user_id: _Optional[str] = ..., username: _Optional[str] = ..., value: _Optional[int] = ..., rank: _Optional[int] = ...) -> None: ...

class PayoutRequest(_message.Message):
    __slots__ = ("id", "user_id", "amount", "destination", "status", "payment_reference", "reason", "decided_by", "create_time", "decide_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    amount: _common_pb2.Money
    destination: str
    status: PayoutStatus
    payment_reference: str
    reason: str
    decided_by: str
    create_time: _timestamp_pb2.Timestamp
    decide_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., destination: _Optional[str] = ..., status: _Optional[_Union[PayoutStatus, str]] = ..., payment_reference: _Optional[str] = ..., reason: _Optional[str] = ..., decided_by: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
