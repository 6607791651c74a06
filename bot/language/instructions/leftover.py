"""Words nobody asked anything with: filler ("please", "一点") is dropped, the rest is reported as not understood."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.language.instructions.message import CJK_RE

__all__ = ["leftover_words"]
_EN_FILLER = frozenset(
    """please pls plz make it its it's the a an music bgm song track bit little lot much more less and
    then also with can could would you u i i'd i'm want wanna like to be slightly some just set put use
    audio sound video clip now ok okay thanks thank thx this that one is of in for at on let's lets me
    maybe try so too very really sure yes but instead again even way add change switch turn do go get
    give have should need something kind sort there here my our we while when keep background version
    output file hey hi bot tune vibe vibes feel feeling mood style genre somewhat rather quite pretty
    volume percent abit bot's your it'll make's up down""".split()  # noqa: SIM905 - a word list reads better as text
)
_ZH_FILLER = sorted(
    """请 麻烦 帮我 帮忙 给我 把 让 将 的 地 得 一点儿 一点 一些 点儿 点
    背景音乐 音乐 配乐 歌曲 歌 视频 这个 这首 那个 再 稍微 它 能 可以 吗 吧
    呢 啊 呀 了 我 想 要 用 换成 变成 改成 弄成 调成 做成 一下 谢谢 有点
    更加 更 加 些 和 并且 然后 还有 也 就 好的 好 嗯 一个 个 来 说话时
    说话的时候 时候 节奏 感觉 风格 一首 首 还是 声音 音量 一 下
    转成 转为 导出 输出 画面 格式""".split(),  # noqa: SIM905
    key=len,
    reverse=True,
)
_LEFTOVER_TOKEN = re.compile(r"[a-z0-9][a-z0-9'\-]*|[\u3400-\u9fff\uf900-\ufaff]+")


def leftover_words(leftover: str, mood_words: Sequence[str]) -> tuple[str, ...]:
    """Words nothing claimed and that are not filler: reported back so the user knows what was skipped."""
    moods = {w.lower() for w in mood_words}
    found: list[str] = []
    for token in _LEFTOVER_TOKEN.findall(leftover):
        if CJK_RE.match(token):
            rest = token
            for word in (*sorted(moods, key=len, reverse=True), *_ZH_FILLER):
                rest = rest.replace(word, "")
            if rest:
                found.append(token)
        elif token not in _EN_FILLER and token not in moods and token.strip("-") not in moods:
            found.append(token)
    return tuple(dict.fromkeys(found))
