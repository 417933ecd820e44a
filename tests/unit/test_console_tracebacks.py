"""Console logs (a terminal, `make run`) print tracebacks without local variables.

structlog's console renderer uses rich's tracebacks with every frame's locals when rich is
installed, so a failure inside an adapter would print the API key or token a local held; the JSON
renderer never did. Both the core's and the gateways' logging are checked."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
import structlog

from core_server.logs import configure_logging as configure_core
from sdk.logs import configure_logging as configure_gateway

SECRET = "sk-live-do-not-print-0123456789"


def _fail_with_a_secret_in_a_local() -> None:
    api_key = SECRET  # noqa: F841  # a local, as in an adapter's signing code
    raise RuntimeError("the provider answered 500")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:], root.level = handlers, level
    structlog.reset_defaults()


@pytest.mark.parametrize(
    "configure",
    [lambda: configure_core("console", "info"), lambda: configure_gateway("console", "info", "http_gateway")],
    ids=["core", "gateways"],
)
def test_a_logged_traceback_shows_no_locals(configure: Callable[[], None], capsys: pytest.CaptureFixture[str]) -> None:
    configure()
    try:
        _fail_with_a_secret_in_a_local()
    except RuntimeError:
        structlog.get_logger("tests").exception("unexpected error")
    err = capsys.readouterr().err
    assert "the provider answered 500" in err  # the traceback is there
    assert SECRET not in err
