"""Cooperative stop: SIGTERM/SIGINT set a flag that the training loop checks between steps."""
from __future__ import annotations

import signal


class StopFlag:
    """Callable flag; ``install()`` in the main thread, ``restore()`` to put the old handlers back."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self):
        self.signum: int | None = None
        self._previous: dict = {}

    def _handle(self, signum, _frame) -> None:
        self.signum = signum

    def install(self) -> "StopFlag":
        for sig in self.SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def __call__(self) -> bool:
        return self.signum is not None
