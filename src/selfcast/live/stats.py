"""What the session measures about itself, logged as ``media_stats`` events (the bench reads them)."""

from __future__ import annotations

import asyncio
import resource
from collections.abc import Callable

from selfcast.live.ports import MeetingPort
from selfcast.live.reporting import Reporting
from selfcast.live.video_out import VideoPacer

STATS_EVERY_S = 5.0


def media_stats(pacer: VideoPacer | None, port: MeetingPort | None, hearing_lag_s: float) -> dict[str, float | int]:
    out: dict[str, float | int] = {"hearing_lag_ms": round(hearing_lag_s * 1000, 1)}
    if pacer is not None:
        st = pacer.stats
        out.update(fps_rendered=round(st.fps(), 2), frames=st.frames, skipped=st.skipped,
                   render_ms=round(1000 * st.render_s / max(1, st.frames), 2))
    if port is not None:
        h = port.health()
        out.update(fps_sent=round(h.fps_sent, 2), fps_written=round(h.fps_written, 2),
                   bridge_delay_ms=round(h.bridge_delay_ms, 1))
        if h.page_clock_offset_ms is not None:
            out["page_clock_offset_ms"] = round(h.page_clock_offset_ms, 1)
    return out


async def report_stats(reporting: Reporting, current: Callable[[], dict[str, float | int]],
                       every_s: float = STATS_EVERY_S) -> None:
    while True:
        await asyncio.sleep(every_s)
        ru = resource.getrusage(resource.RUSAGE_SELF)
        await reporting.event("media_stats", {**current(), "cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
                                              "t": round(reporting.elapsed(), 1)})
