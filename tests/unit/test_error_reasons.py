"""One exception class per ErrorInfo.reason, in one catalogue that is the contract's ErrorReason:
the same reasons on both sides, each with the status code its proto comment names, and every
reason an RPC's comment mentions is in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from google.rpc import code_pb2

from core_server.api.errors import _CODES
from core_server.domain.errors import DomainError, FailedPrecondition, NotFound
from core_server.domain.reasons import catalogue
from sdk.billinghub.v1 import error_reason_pb2

PROTO = Path(__file__).resolve().parents[2] / "proto" / "billinghub" / "v1"
STATUS_NAMES = set(code_pb2.Code.keys())
CONTRACT = {value.name for value in error_reason_pb2.ErrorReason.DESCRIPTOR.values} - {"ERROR_REASON_UNSPECIFIED"}
ONLY_IN_THE_API = {"INTERNAL"}  # an unexpected error: no domain class, api/errors.py answers it


def _documented_status() -> dict[str, str]:
    text = (PROTO / "error_reason.proto").read_text()
    return dict(re.findall(r"// ([A-Z_]+) \(([A-Z_]+)\):", text))


def _status_of(cls: type[DomainError]) -> str:
    for base, code in _CODES:
        if issubclass(cls, base):
            return code_pb2.Code.Name(code)
    return "INTERNAL"


def test_the_catalogue_is_the_contract() -> None:
    assert set(catalogue()) | ONLY_IN_THE_API == CONTRACT


@pytest.mark.parametrize("reason", sorted(catalogue()))
def test_each_reason_has_the_status_its_comment_names(reason: str) -> None:
    assert _status_of(catalogue()[reason]) == _documented_status()[reason]


def test_every_reason_an_rpc_comment_names_is_in_the_catalogue() -> None:
    named: set[str] = set()
    for path in PROTO.glob("*.proto"):
        for comment in re.findall(r"//[^\n]*", path.read_text()):
            for group in re.findall(r"\(([^)]*)\)", comment):
                named |= set(re.findall(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", group))
    reasons = named - STATUS_NAMES
    assert reasons, "the comments name reasons in parentheses, e.g. FAILED_PRECONDITION (ORDER_NOT_PENDING)"
    assert reasons <= CONTRACT | {"MAX_AMOUNT", "MAX_BALANCE", "MAX_QUANTITY", "MAX_MULTIPLIER"}, sorted(
        reasons - CONTRACT
    )


def test_a_base_class_cannot_be_raised_without_a_reason() -> None:
    with pytest.raises(TypeError):
        FailedPrecondition("no reason")
    with pytest.raises(TypeError):
        NotFound("x")
