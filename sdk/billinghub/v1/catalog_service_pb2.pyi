from sdk.billinghub.v1 import asset_pb2 as _asset_pb2
from sdk.billinghub.v1 import package_pb2 as _package_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateAssetRequest(_message.Message):
    __slots__ = ("request_id", "code", "scale", "display_name")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    code: str
    scale: int
    display_name: str
    def __init__(self, request_id: _Optional[str] = ..., code: _Optional[str] = ..., scale: _Optional[int] = ..., display_name: _Optional[str] = ...) -> None: ...

class CreateAssetResponse(_message.Message):
    __slots__ = ("asset",)
    ASSET_FIELD_NUMBER: _ClassVar[int]
    asset: _asset_pb2.Asset
    def __init__(self, asset: _Optional[_Union[_asset_pb2.Asset, _Mapping]] = ...) -> None: ...

class GetAssetRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class GetAssetResponse(_message.Message):
    __slots__ = ("asset",)
    ASSET_FIELD_NUMBER: _ClassVar[int]
    asset: _asset_pb2.Asset
    def __init__(self, asset: _Optional[_Union[_asset_pb2.Asset, _Mapping]] = ...) -> None: ...

class ListAssetsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAssetsResponse(_message.Message):
    __slots__ = ("assets",)
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    assets: _containers.RepeatedCompositeFieldContainer[_asset_pb2.Asset]
    def __init__(self, assets: _Optional[_Iterable[_Union[_asset_pb2.Asset, _Mapping]]] = ...) -> None: ...

class CreatePackageRequest(_message.Message):
    __slots__ = ("request_id", "package")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    package: _package_pb2.Package
    def __init__(self, request_id: _Optional[str] = ..., package: _Optional[_Union[_package_pb2.Package, _Mapping]] = ...) -> None: ...

class CreatePackageResponse(_message.Message):
    __slots__ = ("package",)
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    package: _package_pb2.Package
    def __init__(self, package: _Optional[_Union[_package_pb2.Package, _Mapping]] = ...) -> None: ...

class UpdatePackageRequest(_message.Message):
    __slots__ = ("request_id", "package", "update_mask")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    package: _package_pb2.Package
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, request_id: _Optional[str] = ..., package: _Optional[_Union[_package_pb2.Package, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdatePackageResponse(_message.Message):
    __slots__ = ("package",)
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    package: _package_pb2.Package
    def __init__(self, package: _Optional[_Union[_package_pb2.Package, _Mapping]] = ...) -> None: ...

class GetPackageRequest(_message.Message):
    __slots__ = ("package_id",)
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    def __init__(self, package_id: _Optional[str] = ...) -> None: ...

class GetPackageResponse(_message.Message):
    __slots__ = ("package",)
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    package: _package_pb2.Package
    def __init__(self, package: _Optional[_Union[_package_pb2.Package, _Mapping]] = ...) -> None: ...

class ListPackagesRequest(_message.Message):
    __slots__ = ("category", "active_only", "kind", "page_size", "page_token")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ONLY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    category: str
    active_only: bool
    kind: _package_pb2.PackageKind
    page_size: int
    page_token: str
    def __init__(self, category: _Optional[str] = ..., active_only: _Optional[bool] = ..., kind: _Optional[_Union[_package_pb2.PackageKind, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPackagesResponse(_message.Message):
    __slots__ = ("packages", "next_page_token")
    PACKAGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    packages: _containers.RepeatedCompositeFieldContainer[_package_pb2.Package]
    next_page_token: str
    def __init__(self, packages: _Optional[_Iterable[_Union[_package_pb2.Package, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ArchivePackageRequest(_message.Message):
    __slots__ = ("request_id", "package_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    package_id: str
    def __init__(self, request_id: _Optional[str] = ..., package_id: _Optional[str] = ...) -> None: ...

class ArchivePackageResponse(_message.Message):
    __slots__ = ("package",)
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    package: _package_pb2.Package
    def __init__(self, package: _Optional[_Union[_package_pb2.Package, _Mapping]] = ...) -> None: ...
