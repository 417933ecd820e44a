from sdk.billinghub.v1 import promo_pb2 as _promo_pb2
from sdk.billinghub.v1 import wallet_pb2 as _wallet_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreatePromoCodeRequest(_message.Message):
    __slots__ = ("request_id", "promo_code")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROMO_CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    promo_code: _promo_pb2.PromoCode
    def __init__(self, request_id: _Optional[str] = ..., promo_code: _Optional[_Union[_promo_pb2.PromoCode, _Mapping]] = ...) -> None: ...

class CreatePromoCodeResponse(_message.Message):
    __slots__ = ("promo_code",)
    PROMO_CODE_FIELD_NUMBER: _ClassVar[int]
    promo_code: _promo_pb2.PromoCode
    def __init__(self, promo_code: _Optional[_Union[_promo_pb2.PromoCode, _Mapping]] = ...) -> None: ...

class ListPromoCodesRequest(_message.Message):
    __slots__ = ("include_disabled", "page_size", "page_token")
    INCLUDE_DISABLED_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    include_disabled: bool
    page_size: int
    page_token: str
    def __init__(self, include_disabled: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPromoCodesResponse(_message.Message):
    __slots__ = ("promo_codes", "next_page_token")
    PROMO_CODES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    promo_codes: _containers.RepeatedCompositeFieldContainer[_promo_pb2.PromoCode]
    next_page_token: str
    def __init__(self, promo_codes: _Optional[_Iterable[_Union[_promo_pb2.PromoCode, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DisablePromoCodeRequest(_message.Message):
    __slots__ = ("request_id", "code")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    code: str
    def __init__(self, request_id: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class DisablePromoCodeResponse(_message.Message):
    __slots__ = ("promo_code",)
    PROMO_CODE_FIELD_NUMBER: _ClassVar[int]
    promo_code: _promo_pb2.PromoCode
    def __init__(self, promo_code: _Optional[_Union[_promo_pb2.PromoCode, _Mapping]] = ...) -> None: ...

class RedeemPromoCodeRequest(_message.Message):
    __slots__ = ("request_id", "user_id", "code")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    code: str
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class RedeemPromoCodeResponse(_message.Message):
    __slots__ = ("promo_code", "transfer")
    PROMO_CODE_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    promo_code: _promo_pb2.PromoCode
    transfer: _wallet_pb2.Transfer
    def __init__(self, promo_code: _Optional[_Union[_promo_pb2.PromoCode, _Mapping]] = ..., transfer: _Optional[_Union[_wallet_pb2.Transfer, _Mapping]] = ...) -> None: ...
