"""Recognition language: the codes, Whisper base hearing German when told to, tiny.en refusing
anything but English, and a session in a language the voices cannot speak saying so."""

from __future__ import annotations

import json

import numpy as np
import pytest

from selfcast.errors import BadInput
from selfcast.hearing.asr import WhisperASR
from selfcast.hearing.asr.whisper import TINY_EN, default_model_dir
from selfcast.hearing.languages import WHISPER_LANGUAGES, check_language, reply_language_notice
from selfcast.live.contract import SessionSpec
from selfcast.live.runner import with_language
from selfcast.settings import HearingSettings, Settings
from tests.hearing.speech import say, silence
from tests.live.fakes import MemoryReporter


def test_language_codes_are_the_shipped_models_own():
    from tokenizers import Tokenizer

    d = default_model_dir()
    ids = json.loads((d / "config.json").read_text())["lang_ids"]
    tok = Tokenizer.from_file(str(d / "tokenizer.json"))
    assert tuple(tok.id_to_token(i)[2:-2] for i in ids) == WHISPER_LANGUAGES


@pytest.mark.parametrize(("given", "code"), [("en", "en"), (" DE ", "de"), ("pt-BR", "pt"), ("zh_TW", "zh")])
def test_codes_are_normalised(given, code):
    assert check_language(given) == code
    assert HearingSettings(language=given).language == code


@pytest.mark.parametrize("bad", ["", "xx", "english", "klingon"])
def test_unknown_languages_are_clear_errors(bad):
    with pytest.raises(BadInput, match=r"Whisper recognises.*'de'"):
        check_language(bad)


def test_base_hears_german_when_the_session_speaks_german(whisper):
    """Real German (espeak-ng's German voice) through Whisper base: told ``language="de"`` it writes
    German; left at English it translates ("I am from Germany"), which is why the language is set."""
    pcm = np.concatenate([silence(0.3), say("Ich komme aus Deutschland.", voice="de", rate=120), silence(0.3)])
    de = WhisperASR(language="de")
    try:
        heard = de.transcribe(pcm).lower()
    finally:
        de.close()
    assert "ich komme aus deutschland" in heard, heard
    assert whisper.language == "en" and whisper.multilingual  # the default: base, English
    assert "deutschland" not in whisper.transcribe(pcm).lower()


def test_tiny_en_is_reachable_and_refuses_other_languages():
    tiny = WhisperASR(TINY_EN)
    assert not tiny.multilingual and tiny.model_path != str(default_model_dir())
    assert "what your country can do" in tiny.transcribe(
        np.concatenate([silence(0.3), say("Ask not what your country can do for you."), silence(0.3)])).lower()
    with pytest.raises(BadInput, match="English only"):
        WhisperASR(TINY_EN, language="fr")
    with pytest.raises(BadInput, match="not a CTranslate2 Whisper directory"):
        WhisperASR("/nonexistent/whisper")


def test_a_session_in_a_language_the_voice_cannot_speak_says_its_replies_stay_english(tmp_path):
    settings = Settings(data_dir=tmp_path)
    spec = SessionSpec("sess_de", "acct", "jitsi", "https://meet.jit.si/x", "Robin", "v", None, language="de")
    rep = MemoryReporter()
    got = with_language(spec, rep, settings)
    assert got.hearing.language == "de" and settings.hearing.language == "en"
    assert rep.first("language")["replies"] == "en" and "English only" in rep.first("language")["notice"]
    assert reply_language_notice("en") == ""
    rep_en = MemoryReporter()
    same = with_language(SessionSpec("s", "a", "jitsi", "u", "Robin", "v", None), rep_en, settings)
    assert same.hearing.language == "en" and rep_en.events == []


def test_the_short_window_decoder_prompt_names_language_and_task(whisper):
    def names(asr: WhisperASR) -> list[str]:
        return [asr.tokenizer().tokenizer.id_to_token(i) for i in asr.decoder_prompt()]

    assert names(whisper) == ["<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>"]
    fr, tiny = WhisperASR(language="fr"), WhisperASR(TINY_EN)
    try:
        assert names(fr)[1] == "<|fr|>"
        assert names(tiny) == ["<|startoftranscript|>", "<|notimestamps|>"]
    finally:
        fr.close()
        tiny.close()
