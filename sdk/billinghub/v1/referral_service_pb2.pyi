import datetime

from sdk.billinghub.v1 import referral_pb2 as _referral_pb2
from sdk.billinghub.v1 import user_pb2 as _user_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LeaderboardMetric(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEADERBOARD_METRIC_UNSPECIFIED: _ClassVar[LeaderboardMetric]
    LEADERBOARD_METRIC_INVITED: _ClassVar[LeaderboardMetric]
    LEADERBOARD_METRIC_EARNED: _ClassVar[LeaderboardMetric]
LEADERBOARD_METRIC_UNSPECIFIED: LeaderboardMetric
LEADERBOARD_METRIC_INVITED: LeaderboardMetric
LEADERBOARD_METRIC_EARNED: LeaderboardMetric

class GetReferralProgramRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetReferralProgramResponse(_message.Message):
    __slots__ = ("program",)
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    program: _referral_pb2.ReferralProgram
    def __init__(self, program: _Optional[_Union[_referral_pb2.ReferralProgram, _Mapping]] = ...) -> None: ...

class UpdateReferralProgramRequest(_message.Message):
    __slots__ = ("request_id", "program")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    program: _referral_pb2.ReferralProgram
    def __init__(self, request_id: _Optional[str] = ..., program: _Optional[_Union[_referral_pb2.ReferralProgram, _Mapping]] = ...) -> None: ...

class UpdateReferralProgramResponse(_message.Message):
    __slots__ = ("program",)
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    program: _referral_pb2.ReferralProgram
    def __init__(self, program: _Optional[_Union[_referral_pb2.ReferralProgram, _Mapping]] = ...) -> None: ...

class GetReferralStatsRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetReferralStatsResponse(_message.Message):
    __slots__ = ("stats",)
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _referral_pb2.ReferralStats
    def __init__(self, stats: _Optional[_Union[_referral_pb2.ReferralStats, _Mapping]] = ...) -> None: ...

class ListReferralsRequest(_message.Message):
    __slots__ = ("user_id", "level", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    level: int
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., level: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReferralsResponse(_message.Message):
    __slots__ = ("users", "next_page_token")
    USERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[_user_pb2.User]
    next_page_token: str
    def __init__(self, users: _Optional[_Iterable[_Union[_user_pb2.User, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetLeaderboardRequest(_message.Message):
    __slots__ = ("metric", "start_time", "end_time", "limit")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    metric: LeaderboardMetric
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    limit: int
    def __init__(self, metric: _Optional[_Union[LeaderboardMetric, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class GetLeaderboardResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_referral_pb2.LeaderboardEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[_referral_pb2.LeaderboardEntry, _Mapping]]] = ...) -> None: ...

class CreatePayoutRequestRequest(_message.Message):
    __slots__ = ("request_id", "user_id", "amount_minor", "destination")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    amount_minor: int
    destination: str
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., amount_minor: _Optional[int] = ..., destination: _Optional[str] = ...) -> None: ...

class CreatePayoutRequestResponse(_message.Message):
    __slots__ = ("payout_request",)
    PAYOUT_REQUEST_FIELD_NUMBER: _ClassVar[int]
    payout_request: _referral_pb2.PayoutRequest
    def __init__(self, payout_request: _Optional[_Union[_referral_pb2.PayoutRequest, _Mapping]] = ...) -> None: ...

class ApprovePayoutRequestRequest(_message.Message):
    __slots__ = ("request_id", "payout_request_id", "payment_reference", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAYOUT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    payout_request_id: str
    payment_reference: str
    actor: str
    def __init__(self, request_id: _Optional[str] = ..., payout_request_id: _Optional[str] = ..., payment_reference: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class ApprovePayoutRequestResponse(_message.Message):
    __slots__ = ("payout_request",)
    PAYOUT_REQUEST_FIELD_NUMBER: _ClassVar[int]
    payout_request: _referral_pb2.PayoutRequest
    def __init__(self, payout_request: _Optional[_Union[_referral_pb2.PayoutRequest, _Mapping]] = ...) -> None: ...

class RejectPayoutRequestRequest(_message.Message):
    __slots__ = ("request_id", "payout_request_id", "reason", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAYOUT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    payout_request_id: str
    reason: str
    actor: str
    def __init__(self, request_id: _Optional[str] = ..., payout_request_id: _Optional[str] = ..., reason: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class RejectPayoutRequestResponse(_message.Message):
    __slots__ = ("payout_request",)
    PAYOUT_REQUEST_FIELD_NUMBER: _ClassVar[int]
    payout_request: _referral_pb2.PayoutRequest
    def __init__(self, payout_request: _Optional[_Union[_referral_pb2.PayoutRequest, _Mapping]] = ...) -> None: ...

class ListPayoutRequestsRequest(_message.Message):
    __slots__ = ("user_id", "status", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    status: _referral_pb2.PayoutStatus
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., status: _Optional[_Union[_referral_pb2.PayoutStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPayoutRequestsResponse(_message.Message):
    __slots__ = ("payout_requests", "next_page_token")
    PAYOUT_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    payout_requests: _containers.RepeatedCompositeFieldContainer[_referral_pb2.PayoutRequest]
    next_page_token: str
    def __init__(self, payout_requests: _Optional[_Iterable[_Union[_referral_pb2.PayoutRequest, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
