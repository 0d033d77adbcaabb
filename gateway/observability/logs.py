"""Structured logs: one JSON object per line, and nothing secret in any of them.

``configure_logging()`` installs the formatter on the root logger (uvicorn's loggers
included). A GraphQL request logs one line, ``graphql request``, with its request id,
operation, outcome, duration, upstream calls and cache hits (see ``request_log_fields``).
Every line passes through a scrubber that blanks anything shaped like a credential
(bearer tokens, API-key headers, basic auth, JWTs) whatever logged it.

httpx logs every request it sends at INFO (``HTTP Request: GET ... "HTTP/1.1 200 OK"``): a
line and a formatting pass per upstream call, which the request line's ``upstream_calls``
already counts. Below ``DEBUG``, httpx and httpcore log warnings only.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

__all__ = ["JsonFormatter", "configure_logging", "scrub"]

_SECRET_SHAPES = [
    re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"),
    re.compile(
        r"(?i)(x-api-key|authorization|api[_-]?key|token|secret|password)(['\"]?\s*[:=]\s*['\"]?)[^\s,'\"}]+"
    ),
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
]
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


def scrub(text: str) -> str:
    """``text`` with credential-shaped parts replaced by ``***``."""
    text = _SECRET_SHAPES[0].sub(lambda m: f"{m.group(1)} ***", text)
    text = _SECRET_SHAPES[1].sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return _SECRET_SHAPES[2].sub("***", text)


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...extra fields, "exception"?}``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return scrub(json.dumps(line, default=str, ensure_ascii=False))


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    quiet = root.level > logging.DEBUG
    for name in _CHATTY_CLIENTS:
        # NOTSET: take the root's level again, so DEBUG after a quieter call shows them.
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)


_CHATTY_CLIENTS = ("httpx", "httpcore")
