"""Where the data path reports what it measures: erasure-coding time and degraded reads.

The storage modules call :func:`encoded`, :func:`decoded` and :func:`degraded_read`; the gateway's
metrics install an :class:`Observer` (``hooks.observer = ...``). By default nothing is recorded,
so the data path needs no metrics to run (tests, tools).
"""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    def encoded(self, seconds: float) -> None: ...
    def decoded(self, seconds: float) -> None: ...
    def degraded_read(self) -> None: ...


class _Nothing:
    def encoded(self, seconds: float) -> None:
        return None

    def decoded(self, seconds: float) -> None:
        return None

    def degraded_read(self) -> None:
        return None


observer: Observer = _Nothing()
