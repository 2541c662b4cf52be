"""The trainer's event protocol (``trainer/PROTOCOL.md``): one JSON object per line on stdout.

Every line is ``{"event": NAME, "v": PROTOCOL_VERSION, "time": ISO-8601 UTC, "run": ID, ...}``;
non-finite floats become ``null`` (JSON has no NaN). ``protect_stdout()`` keeps a private copy of
the real stdout for events and points file descriptor 1 at stderr, so a stray ``print`` or a
native library's output can never corrupt the stream. Each event is also appended to the run
folder's ``events.jsonl``.
"""
from __future__ import annotations

import json
import math
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

PROTOCOL_VERSION = 1
EVENTS = ("started", "progress", "validation", "checkpoint", "exported", "finished", "cancelled", "failed")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def finite(value):
    """Replace NaN/inf by None, recursively; numpy/torch scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def protect_stdout() -> IO[str]:
    """Return a line-buffered writer on the real stdout; fd 1 and ``sys.stdout`` now go to stderr."""
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


class Events:
    """Writes protocol events to ``stream`` (None: nowhere, e.g. DDP ranks > 0) and a JSONL copy."""

    def __init__(self, run_id: str, stream: IO[str] | None = None, copy_path: str | Path | None = None):
        self.run_id = run_id
        self._stream = stream
        self._copy = open(copy_path, "a", encoding="utf-8") if copy_path else None

    def emit(self, event: str, **fields) -> dict:
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}; protocol events: {', '.join(EVENTS)}")
        record = {"event": event, "v": PROTOCOL_VERSION, "time": now_iso(), "run": self.run_id,
                  **finite(fields)}
        line = json.dumps(record, separators=(",", ":"), allow_nan=False)
        for sink in (self._stream, self._copy):
            if sink is not None:
                sink.write(line + "\n")
                sink.flush()
        return record

    def close(self) -> None:
        if self._copy is not None:
            self._copy.close()
            self._copy = None


def log(message: str, rank: int = 0) -> None:
    """Human log line on stderr (never stdout)."""
    prefix = f"[rank {rank}] " if rank else ""
    print(f"{prefix}{message}", file=sys.stderr, flush=True)
