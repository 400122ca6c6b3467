"""Blocking iterators (TTS audio, LLM sentences) consumed from the event loop without blocking it.

The producer runs on its own thread and hands items over with ``call_soon_threadsafe``; closing
the async iterator (barge-in) tells the thread to stop pulling from its source.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
_END = object()


class ThreadedIterator(AsyncIterator[T]):
    def __init__(self, make: Callable[[], Iterable[T]], *, name: str = "producer", maxsize: int = 64) -> None:
        self._loop = asyncio.get_running_loop()
        self._q: asyncio.Queue = asyncio.Queue(maxsize=maxsize)
        self._stop = threading.Event()
        self._make = make
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _put(self, item: object) -> None:
        fut = asyncio.run_coroutine_threadsafe(self._q.put(item), self._loop)
        while not self._stop.is_set():
            try:
                fut.result(timeout=0.2)
                return
            except TimeoutError:
                continue
            except Exception:  # the loop is gone
                self._stop.set()
                return
        fut.cancel()

    def _run(self) -> None:
        src = None
        try:
            src = iter(self._make())
            for item in src:
                if self._stop.is_set():
                    break
                self._put(item)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(_Raised(exc))
        finally:
            close = getattr(src, "close", None)
            if callable(close):  # a generator: its own cleanup runs (e.g. the brain cancels its provider)
                with contextlib.suppress(Exception):
                    close()
            self._put(_END)

    def __aiter__(self) -> ThreadedIterator[T]:
        return self

    async def __anext__(self) -> T:
        item = await self._q.get()
        if item is _END:
            raise StopAsyncIteration
        if isinstance(item, _Raised):
            raise item.exc
        return item  # type: ignore[no-any-return]

    def close(self) -> None:
        self._stop.set()
        while not self._q.empty():  # unblock a producer waiting on a full queue
            self._q.get_nowait()


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
