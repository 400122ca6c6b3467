"""Built-in voices that need no sample: the bundled Joe voice, as is or reshaped with WORLD.

The only voice model shipped is Joe (an adult male, US English). The other stock ids are global
WORLD transforms of it: pitch moved and spread, formants warped (> 1 sounds like a shorter
vocal tract), a little breath, a different pace. They are honest variations, not new speakers:
the "female" ones are a male voice reshaped, and sound like it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from selfcast.voice.convert import VoiceModel

#: Joe's log-F0 statistics as WORLD's DIO estimator sees them (measured on a paragraph of
#: meeting talk; ``bench/voice.py`` re-measures them)
JOE_LOGF0_MEAN = math.log(160.0)
JOE_LOGF0_STD = 0.193


@dataclass(frozen=True, slots=True)
class StockVoice:
    voice_id: str
    description: str
    f0_hz: float | None = None  # None keeps Joe's pitch
    f0_spread: float = 1.0
    warp: float = 1.0
    breathiness: float = 0.0
    length_scale: float = 1.0

    @property
    def is_plain(self) -> bool:
        return self.f0_hz is None and self.f0_spread == 1.0 and self.warp == 1.0 and self.breathiness == 0.0

    def model(self, fs: int) -> VoiceModel | None:
        if self.is_plain:
            return None
        return VoiceModel(fs=fs, src_logf0_mean=JOE_LOGF0_MEAN, src_logf0_std=JOE_LOGF0_STD,
                          tgt_logf0_mean=math.log(self.f0_hz) if self.f0_hz else JOE_LOGF0_MEAN,
                          tgt_logf0_std=JOE_LOGF0_STD * self.f0_spread, length_scale=self.length_scale,
                          warp=self.warp, breathiness=self.breathiness)


STOCK_VOICES: dict[str, StockVoice] = {v.voice_id: v for v in (
    StockVoice("English_radiant_girl", "bright, higher voice (Joe reshaped: pitch ~230 Hz, formants +20%)",
               f0_hz=230.0, f0_spread=1.25, warp=1.2, breathiness=0.06, length_scale=0.95),
    StockVoice("English_Graceful_Lady", "calm, higher voice (Joe reshaped: pitch ~205 Hz, formants +16%)",
               f0_hz=205.0, f0_spread=1.1, warp=1.16, breathiness=0.05, length_scale=1.05),
    StockVoice("English_CalmWoman", "soft, slower voice (Joe reshaped: pitch ~190 Hz, formants +14%)",
               f0_hz=190.0, f0_spread=0.85, warp=1.14, breathiness=0.08, length_scale=1.1),
    StockVoice("English_Trustworth_Man", "the bundled Joe voice as recorded (adult male, US English)"),
    StockVoice("English_expressive_narrator", "Joe with livelier intonation and a quicker pace",
               f0_hz=165.0, f0_spread=1.45, length_scale=0.93),
    StockVoice("English_Deep-Voiced_Gentleman", "Joe lowered (pitch ~115 Hz, formants -7%)",
               f0_hz=115.0, f0_spread=0.9, warp=0.93, length_scale=1.05),
    StockVoice("joe", "the bundled Joe voice as recorded (adult male, US English)"),
)}
