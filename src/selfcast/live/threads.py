"""Blocking iterators (TTS audio, LLM sentences) consumed from the event loop without blocking it.

The producer runs on a thread and hands items over through the event loop; closing the async
iterator (barge-in) tells the thread to stop pulling from its source. Given an ``executor`` (one
long-lived worker, as the speaker keeps for its voice), the producer runs there instead of on a
thread of its own, so nothing is started per sentence.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import Executor
from typing import TypeVar

T = TypeVar("T")
_END = object()


class ThreadedIterator(AsyncIterator[T]):
    def __init__(self, make: Callable[[], Iterable[T]], *, name: str = "producer", maxsize: int = 64,
                 executor: Executor | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._q: asyncio.Queue = asyncio.Queue(maxsize=maxsize)
        self._stop = threading.Event()
        self._make = make
        if executor is None:
            threading.Thread(target=self._run, name=name, daemon=True).start()
        else:
            executor.submit(self._run)

    def _put(self, item: object) -> None:
        if self._loop.is_closed():
            self._stop.set()
            return
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
            while not self._stop.is_set():  # checked before pulling: a closed iterator renders no more
                try:
                    item = next(src)
                except StopIteration:
                    break
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
        return item

    def close(self) -> None:
        self._stop.set()
        while not self._q.empty():  # unblock a producer waiting on a full queue
            self._q.get_nowait()


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
