"""Structured logs for this process: structlog for our code, the same renderer for library logs.

Hypercorn, aiogram and grpc log through the standard library; routing them through one
`ProcessorFormatter` keeps every line of the process in one format (JSON in production, readable
in a terminal) and tagged with the service name, so interleaved output of `billing-hub up` stays
readable. It lives in the SDK because both gateways use it and may import only the SDK (any other
client process may use it too).
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger


def configure_logging(log_format: Literal["auto", "json", "console"], log_level: str, service: str) -> None:
    """Send all logs to stderr; `auto` means console when stderr is a terminal, else JSON."""
    level = logging.getLevelNamesMapping().get(log_level.upper(), logging.INFO)
    as_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())

    def add_service(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
        event.setdefault("service", service)
        return event

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_service,
    ]
    renderer: Processor
    if as_json:
        renderer = structlog.processors.JSONRenderer()
        final: list[Processor] = [structlog.processors.format_exc_info, renderer]
    else:
        final = [
            structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback)
        ]
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
