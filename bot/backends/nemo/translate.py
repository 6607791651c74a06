"""Turn the agent's web-editor wording into chat wording (§10): keep what it says about the video, drop
what it tells the user to click, open, drag or preview, since a chat user has no editor.

Sentence by sentence: a sentence that gives a GUI direction is dropped whole (half a sentence reads
worse than none). If one of the dropped sentences pointed at exporting or downloading, a short hint says
how to get the file here instead. English and Chinese patterns; anything else passes unchanged.
"""

from __future__ import annotations

import re

from bot.language import say

__all__ = ["chat_language", "is_gui_direction", "translate"]

_GUI_EN = re.compile(
    r"\b(?:click|clicking|tap|double[- ]click|right[- ]click|drag|dragging|drop it|"
    r"preview (?:it |this |the \w+ )?(?:in|on) (?:the )?(?:timeline|editor|player|canvas)|"
    r"open (?:the |your )?(?:\w+ )?(?:panel|tab|menu|editor|sidebar|settings|workspace)|"
    r"(?:export|download|share|render) button|toolbar|sidebar|side panel|"
    r"(?:top|bottom)[- ](?:right|left)(?: corner)?|"
    r"(?:billing|account|subscription) (?:page|settings)|go to (?:the |your )?(?:\w+ )?(?:page|tab|panel))\b",
    re.IGNORECASE,
)
_GUI_ZH = re.compile(
    r"点击|单击|双击|拖拽|拖动|拖到|打开.{0,8}(?:面板|菜单|设置|编辑器|工作台)|(?:在)?时间线(?:上|中)?预览|预览.{0,4}时间线|"
    r"导出按钮|下载按钮|右上角|左上角|右下角|左下角|侧边栏|工具栏"
)
_EXPORT = re.compile(r"export|download|导出|下载", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?。！？\n]*(?:[.!?。！？]+|\n|$)")
_BULLET_ONLY = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s*$")


def chat_language(language: str) -> str:
    """The phrase table for a session's language tag: its base language (``zh-CN``, ``zh_TW`` → ``zh``).

    Sessions keep the tag they were opened with; :mod:`bot.language` has one table per base language
    and falls back to English for any it lacks.
    """
    return re.split(r"[-_]", language.strip(), maxsplit=1)[0].lower() or "en"


def is_gui_direction(sentence: str) -> bool:
    """Whether ``sentence`` tells the user to operate the web editor."""
    return bool(_GUI_EN.search(sentence) or _GUI_ZH.search(sentence))


def translate(text: str, language: str = "en") -> str:
    """``text`` without GUI directions; an export hint replaces dropped export directions."""
    kept_lines: list[str] = []
    dropped_export = False
    for line in text.splitlines():
        kept: list[str] = []
        for match in _SENTENCE.finditer(line):
            sentence = match.group(0)
            if not sentence.strip():
                continue
            if is_gui_direction(sentence):
                dropped_export = dropped_export or bool(_EXPORT.search(sentence))
                continue
            kept.append(sentence)
        joined = "".join(kept).rstrip()
        if _BULLET_ONLY.match(joined):
            continue
        if joined.strip() or not line.strip():
            kept_lines.append(joined)
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(kept_lines)).strip()
    if dropped_export:
        hint = say("nemo_export_hint", chat_language(language))
        result = f"{result}\n\n{hint}" if result else hint
    return result
