"""Free words that are no mood word but say which mood someone wants: "workout", "spooky", "wedding dance",
"cozy rainy café", "健身", "下雨天的咖啡馆".

``vocabulary.py`` knows the words that name a mood ("calm", "欢快"); people more often name an occasion, a
place, a season, an activity or a feeling. This table maps several hundred such words, in English and
Chinese, onto the library's five moods (what a person would expect under that clip). It is read after the
mood words, for the words they left (a mood word keeps its meaning; an associated word adds its moods).

Why a hand-made table rather than word embeddings: on free phrases with the mood a person would expect
(``tests/language/free_phrases_later.py``, written after this table was frozen) the mood words alone steer
5 %, wordllama's static embeddings 60 % (Chinese near chance) after 2 s of loading, and this table with the
mood words 70 % in a fraction of a millisecond (README "Free words"). Words whose meaning the library only
approximates ("spooky", "rock") are stand-ins: the reply says what was used instead.

English words match whole (a plural or -ing form too, "puppies", "dancing"), phrases of up to four words
("road trip", "first dance"); Chinese words match anywhere (no spaces), longest first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["Association", "find_associations"]

Association = tuple[tuple[str, ...], bool]
"""(moods, strongest first; whether they only stand in for what the word asks)."""

_C, _E, _H, _N, _T = "calm", "energetic", "happy", "nostalgic", "tender"

_ENGLISH_BLOCKS: dict[tuple[str, ...], str] = {
    (_C,): """sleep sleepy sleeping bedtime lullaby meditation meditate yoga zen spa massage breathe breathing
        mindful mindfulness serene serenity tranquil tranquility soothing stillness lazy slow-motion timelapse
        time-lapse sunrise dawn mist misty fog foggy lake pond stream waterfall waves snow snowy snowfall forest
        woods meadow clouds starry stars moonlight stargazing drizzle rain rainy cafe café coffee tea reading
        book library study studying focus cozy cosy hygge cabin fireplace blanket sunday afternoon nap
        floating breeze nature aquarium sailing kayak kayaking canoe fishing gardening knitting pottery
        calligraphy asmr wellness healing desert minimal minimalist lounge bossa zen-garden mountains
        countryside village fields underwater jellyfish cooking-show slow-living unwind winding-down
        morning-routine sunday-morning lazy-afternoon rainy-day slow-motion night-sky ocean-waves""",
    (_C, _T): """sunset golden-hour candle candles healing-vibes soft-light""",
    (_C, _N): """autumn-rain rain-on-window grey gray overcast""",
    (_E,): """gym fitness training workout workouts running runner marathon sprint sprinting cardio crossfit
        hiit lifting weightlifting powerlifting pump bodybuilding boxing boxer fight fighting fighter kickboxing
        karate kung-fu mma wrestling battle war race racing racer racecar chase motorbike motorcycle moto
        bike biking cycling bmx skate skateboard skateboarding skater skating snowboard snowboarding ski skiing
        surf surfing surfer parkour climbing bouldering extreme adrenaline rush speedy explosive
        explosion explosions hardcore heavy trap techno rave club nightclub concert stadium football soccer
        basketball hockey rugby baseball volleyball tennis esports gaming gamer trailer teaser promo
        motivation motivational hustle grind champion champions championship victory win winning goal goals
        triumph triumphant heroic hero heroes superhero power strength fierce aggressive wild crazy
        insane thrilling thriller escape countdown launch rocket fireworks breakdance breakdancing hip-hop
        flashmob jumping trampoline drone fpv action-packed car-chase street-dance dance-battle
        beast-mode game-day kick-off drum-and-bass tiktok-dance rock metal punk""",
    (_E, _H): """dancing dancer dancers festival carnival celebration-party summer-party pool-party dance-party
        rally parade cheer cheerleading cheering""",
    (_H,): """birthday birthdays celebration celebrate celebrating holiday holidays vacation summer sunshine
        sunny sun beach picnic playground kids children child puppy puppies dog dogs doggy kitten kittens cat
        cats pet pets laugh laughing laughter smile smiling funny comedy silly goofy playful friends friendship
        hangout adventure explore exploring exploration amusement-park theme-park disney christmas xmas
        new-year easter spring flowers bloom blossom blossoms colorful colourful rainbow balloon balloons
        ice-cream candy cooking baking recipe food foodie brunch shopping unboxing vlog day-in-the-life
        good-vibes positive optimistic graduation graduate success achievement good-news proud ukulele
        whistle whistling clapping summer-camp swimming pool garden-party road-trip family-fun sunny-day
        kindergarten cartoon bubbles cheerful-morning zoo farm""",
    (_H, _T): """family reunion thanksgiving gratitude grateful""",
    (_N,): """spooky scary creepy horror haunted ghost ghosts halloween eerie mysterious mystery dark darkness
        gloomy gothic noir suspense sorrow grief grieving mourning funeral memorial tribute loss lonely
        loneliness heartbreak heartbroken breakup break-up goodbye farewell leaving tears crying cry
        blues memory remembering remembrance childhood vintage retro throwback 90s 80s 70s
        film-camera vhs polaroid hometown autumn leaves dusk twilight midnight late-night city-lights neon
        abandoned ruins documentary reflection reflective thoughtful pensive introspective bittersweet
        wistful longing yearning regret moody grandparents grandma grandpa granny old-photos old-friend
        old-times years-ago good-old-days miss-you missing-you lost-love rainy-night winter-night youth
        school-days""",
    (_N, _T): """grandmother grandfather homesick letter letters""",
    (_T,): """bride groom marriage married engagement engaged proposal propose honeymoon anniversary valentine
        valentines date dating couple couples boyfriend girlfriend husband wife kiss kissing hug hugs
        hugging cuddle cuddling heart hearts sweetheart darling romance intimate candlelight rose roses
        baby babies newborn infant toddler mom mother mum mommy dad father daddy parents motherhood
        fatherhood kindness caring heartfelt touching sentimental sincere soulful lovely sweet pregnancy
        pregnant first-date first-dance slow-dance love-story wedding-dance mothers-day fathers-day
        date-night candlelight-dinner dinner-date in-love""",
}

_ENGLISH_STAND_INS = frozenset(
    """spooky scary creepy horror haunted ghost ghosts halloween eerie mysterious mystery gothic noir suspense
    trap techno hip-hop drum-and-bass heavy hardcore thriller trailer triumphant heroic rock metal punk""".split()  # noqa: SIM905
)

_CHINESE_BLOCKS: dict[tuple[str, ...], str] = {
    (_C,): """睡觉 睡前 助眠 催眠 冥想 瑜伽 禅意 静心 深呼吸 按摩 安宁 宁静 恬静 静谧 悠闲 悠然 惬意 慵懒 午后 下午茶
        清晨 早晨 晨光 日出 薄雾 湖边 湖面 小溪 溪流 瀑布 海浪 下雪 雪景 雪地 森林 树林 花园 草地 草原 白云 星空
        星星 月亮 月光 夜空 下雨 雨天 细雨 咖啡 喝茶 品茶 茶道 读书 看书 阅读 学习 自习 专注 温泉 小屋 壁炉 周末
        午睡 微风 大自然 风景 山水 田园 乡村 钓鱼 划船 露营 佛系 极简 纯音乐 轻音乐 慢镜头 延时 水墨 禅 书法 插花
        茶艺 海底 水族馆 云海 山间 湖光""",
    (_C, _T): """治愈 疗愈 日落 烛光 暖阳""",
    (_C, _N): """阴天 雨夜 窗外""",
    (_E,): """健身 健身房 锻炼 跑步 马拉松 冲刺 有氧 撸铁 举铁 拳击 格斗 打斗 打架 武术 功夫 战斗 打仗 战争 比赛
        竞赛 赛车 飙车 追车 追逐 摩托 骑行 山地车 滑板 轮滑 滑雪 单板 冲浪 跑酷 攀岩 极限 刺激 肾上腺素 速度 飞驰
        爆炸 炸裂 摇滚 重金属 说唱 嘻哈 街舞 蹦迪 夜店 电音 演唱会 球赛 足球 篮球 网球 排球 电竞 打游戏 预告片
        励志 奋斗 拼搏 冠军 夺冠 英雄 超级英雄 力量 霸气 狂野 疯狂 酷炫 炫酷 帅气 燃爆 高燃 卡点 踩点 快节奏 蹦极
        跳伞 无人机 动作片 运动会 开场 倒计时 火箭 烟花秀 斗舞 尬舞""",
    (_E, _H): """音乐节 派对 狂欢 嘉年华 跳舞 舞蹈 啦啦队 游行""",
    (_H,): """生日 庆祝 庆典 聚会 节日 假期 暑假 寒假 度假 夏天 夏日 阳光 晴天 沙滩 海滩 野餐 游乐园 游乐场 迪士尼
        孩子 小孩 儿童 萌娃 小狗 狗狗 猫咪 小猫 宠物 萌宠 搞笑 幽默 好笑 可爱 俏皮 闺蜜 旅行 旅游 出游
        自驾 冒险 探险 过年 新年 春节 圣诞 元旦 春天 春游 花开 樱花 彩虹 气球 美食 吃货 做饭 烘焙 探店 逛街 购物
        开箱 日常 正能量 积极 成功 喜讯 好消息 骄傲 游泳 泳池 动物园 农场 动画 卡通 幼儿园 周年庆 年会 喜庆 胜利""",
    (_H, _T): """家人 全家 团圆 感恩 婚礼""",
    (_N,): """恐怖 惊悚 吓人 诡异 闹鬼 鬼屋 万圣节 神秘 悬疑 黑暗 阴森 暗黑 哭泣 眼泪 流泪 失恋 分手 心碎 告别 离别
        再见 送别 怀念 追忆 童年 小时候 老照片 旧照片 复古 老歌 年代感 胶片 故乡 家乡 老家 秋天 落叶 黄昏 傍晚
        夕阳 深夜 午夜 夜晚 夜景 霓虹 孤独 寂寞 一个人 空荡 废墟 纪录片 沉思 遗憾 青春 岁月 时光 流年 爷爷 奶奶
        外婆 外公 葬礼 追悼 缅怀 致郁 毕业 emo 惆怅 落寞 离开 忧郁 深夜的城市""",
    (_N, _T): """思念 想念 想你 家书 信件""",
    (_T,): """结婚 新娘 新郎 求婚 订婚 蜜月 纪念日 情人节 七夕 约会 恋爱 恋人 情侣 男朋友 女朋友 男友 女友 老公 老婆
        爱人 亲吻 拥抱 甜蜜 心动 告白 表白 暗恋 爱情 烛光晚餐 玫瑰 宝宝 宝贝 婴儿 新生儿 满月 怀孕 妈妈 母亲 爸爸
        父亲 父母 亲情 母亲节 父亲节 陪伴 守护 温情 暖心 感动 初恋 牵手 相爱""",
}

_CHINESE_STAND_INS = frozenset(
    """恐怖 惊悚 吓人 诡异 闹鬼 鬼屋 万圣节 神秘 悬疑 阴森 暗黑 摇滚 重金属 说唱 嘻哈 电音 预告片 动作片""".split()  # noqa: SIM905
)


def _table(blocks: dict[tuple[str, ...], str], stand_ins: frozenset[str]) -> dict[str, Association]:
    """Word (a hyphen joins the words of a phrase) → its moods; a word in two blocks keeps the first."""
    table: dict[str, Association] = {}
    for moods, words in blocks.items():
        for word in words.split():
            table.setdefault(word.replace("-", " "), (moods, word in stand_ins))
    return table


ENGLISH: dict[str, Association] = _table(_ENGLISH_BLOCKS, _ENGLISH_STAND_INS)
"""English words and phrases (hyphens in the blocks join words of one phrase: "road-trip" is "road trip")."""
CHINESE: dict[str, Association] = _table(_CHINESE_BLOCKS, _CHINESE_STAND_INS)
_CHINESE_LONGEST_FIRST = sorted(CHINESE, key=len, reverse=True)
_LONGEST_PHRASE = max(key.count(" ") + 1 for key in ENGLISH)
_TOKEN = re.compile(r"[a-z0-9é']+")


def _forms(token: str) -> Iterator[str]:
    """The token and the forms it may be of: "puppies" → puppy, "dancing" → dance/danc, "dogs" → dog."""
    yield token
    yield token.replace("'s", "").replace("'", "")
    for suffix, stem in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            yield token[: -len(suffix)] + stem


def find_associations(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, str, Association]]:
    """(position, word as written, association) for every associative word of ``text`` (lower case) outside the
    spans in ``taken`` (the mood words already found), longest phrase first."""
    found: list[tuple[int, str, Association]] = []
    claimed = list(taken)

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in claimed)

    tokens = [(m.start(), m.end(), m.group(0).strip("'")) for m in _TOKEN.finditer(text)]
    i = 0
    while i < len(tokens):
        for size in range(min(_LONGEST_PHRASE, len(tokens) - i), 0, -1):
            start, end = tokens[i][0], tokens[i + size - 1][1]
            words = [token for _, _, token in tokens[i : i + size]]
            keys = [" ".join(words)] if size > 1 else list(_forms(words[0]))
            key = next((k for k in keys if k in ENGLISH), None)
            if key is not None and free(start, end):
                found.append((start, text[start:end], ENGLISH[key]))
                claimed.append((start, end))
                i += size
                break
        else:
            i += 1
    for word in _CHINESE_LONGEST_FIRST:
        start = text.find(word)
        while start >= 0:
            if free(start, start + len(word)):
                found.append((start, word, CHINESE[word]))
                claimed.append((start, start + len(word)))
            start = text.find(word, start + len(word))
    return found
