"""What an edit changed ("music −3 dB (71%)") reaches the chat in the chat's language, not the words'.

The rule is the one every reply follows (``bot.language.intents.choose_language``): a language the chat chose
with ``/language`` wins over the language of the words typed. The notes are worded in every language the bot
speaks where the edit is made (a worker that does not know the chat), and the engine shows the chat's.
Real SQLite, the real pipeline, a real spawn pool, as in ``test_reason_words.py``.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bot.engine.engine import Engine
from bot.engine.messages import Incoming, Text, Video
from tests.engine.test_reason_words import _last, _run, _settings, _upload, clips

__all__ = ["clips"]  # the clip fixture, shared with the reason-words tests


def test_an_english_instruction_in_a_chinese_chat_gets_a_chinese_note(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]
) -> None:
    async def scenario(engine: Engine) -> None:
        first = await _last(engine.handle(_upload("5", "calm", "en-US")))
        assert isinstance(first, Video), first
        switch = Incoming("telegram", "5", "u5", text="/language zh", language="en-US")
        assert await _last(engine.handle(switch)) == Text("好的，我会用中文回复。", lang="zh")
        quieter = await _last(engine.handle(Incoming("telegram", "5", "u5", text="music quieter", language="en-US")))
        assert isinstance(quieter, Video) and quieter.lang == "zh", quieter
        assert quieter.caption.startswith("音乐 −3 dB (71%)"), quieter.caption
        assert "music −3 dB" not in quieter.caption and "music −3 dB" not in quieter.description

    _run(_settings(tmp_path), pool, clips, scenario)


def test_a_chinese_instruction_in_a_chat_set_to_english_gets_an_english_note(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]
) -> None:
    async def scenario(engine: Engine) -> None:
        first = await _last(engine.handle(_upload("6", "平静", "zh-CN")))
        assert isinstance(first, Video) and first.lang == "zh", first
        switch = Incoming("telegram", "6", "u6", text="/language en", language="zh-CN")
        assert isinstance(await _last(engine.handle(switch)), Text)
        quieter = await _last(engine.handle(Incoming("telegram", "6", "u6", text="音乐小声一点", language="zh-CN")))
        assert isinstance(quieter, Video) and quieter.lang == "en", quieter
        assert quieter.caption.startswith("music −3 dB (71%)"), quieter.caption
        assert "音乐 −3 dB" not in quieter.caption

    _run(_settings(tmp_path), pool, clips, scenario)


def test_without_a_chosen_language_the_words_decide_as_before(
    tmp_path: Path, pool: ProcessPoolExecutor, clips: dict[str, Path]
) -> None:
    async def scenario(engine: Engine) -> None:
        await _last(engine.handle(_upload("7", "calm", "en-US")))
        quieter = await _last(engine.handle(Incoming("telegram", "7", "u7", text="小声一点", language="en-US")))
        assert isinstance(quieter, Video) and quieter.lang == "zh", quieter
        assert quieter.caption.startswith("音乐 −3 dB (71%)"), quieter.caption

    _run(_settings(tmp_path), pool, clips, scenario)
