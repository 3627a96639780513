"""The one written form that search compares: a text and a query are folded alike.

A word is found whatever its written form, so both the stored text of a published row
(PublishedGoal.search_text, reports.search.index) and every word of a query go through `fold`:

1. the variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF) that choose a kanji's printed form
   (葛󠄀 and 葛) are dropped;
2. Unicode NFKC: full-width letters, digits and symbols become ASCII (ＳＮＳ → SNS), half-width
   katakana become full-width (ｿｰｼｬﾙ → ソーシャル), compatibility ideographs become the unified
   ones (神 U+FA19 → 神), ㈱ → (株);
3. case folding (SNS → sns, Ä → ä);
4. the table below: variant kanji (異体字, 旧字体) to the form in common use, and a few marks
   written in several ways (hyphens and dashes, the wave dash, small ヶ and ヵ).

Each step applies to one character at a time, with the combining marks that follow it (a
"cluster": か + ゛, ｶ + ﾞ → ガ), so that where a folded character came from is always known and a
match found in folded text is highlighted in the text as written (`fold_with_origins`).

Changing the table changes how stored rows must be folded: run `manage.py reindex_search`
afterwards (reports/management/commands/reindex_search.py).
"""

import re
import unicodedata

# 異体字: each line is the form searched for, then the forms folded to it. Only variants that
# mean the same character: a variant used mostly in names (髙, 﨑, 邊) or the traditional form
# (旧字体) of a 常用漢字. NFKC already folds the compatibility ideographs (U+F900–U+FAFF, e.g. 神,
# 館), except the twelve that Unicode counts as unified, such as 﨑 (U+FA11): they are here.
# tests/reports/test_search_folding.py checks that every line holds distinct characters that
# NFKC leaves alone, and that no character is folded two ways.
VARIANTS = """
高 髙
崎 﨑 嵜
徳 德
辺 邊 邉
浜 濱 濵
斎 齋 齊 斉
桜 櫻
国 國
沢 澤
広 廣
島 嶋 嶌
槙 槇
富 冨
館 舘
曽 曾
真 眞
恵 惠
栄 榮
竜 龍
実 實
蔵 藏
学 學
会 會
区 區
県 縣
庁 廳
関 關
駅 驛
万 萬
条 條
済 濟
円 圓
団 團
体 體
発 發
剣 劍 劒 剱
寿 壽
浅 淺
籠 篭
桑 桒
吉 𠮷
増 增
歩 步
黒 黑
青 靑
清 淸
弥 彌
読 讀
豊 豐
岳 嶽
野 埜
荘 莊
舎 舍
伝 傳
弁 辨 瓣 辯
図 圖
来 來
与 與
児 兒
効 效
処 處
戦 戰
担 擔
当 當
営 營
変 變
旧 舊
医 醫
芸 藝
訳 譯
観 觀
歓 歡
権 權
応 應
楽 樂
争 爭
労 勞
礼 禮
歯 齒
声 聲
売 賣
対 對
証 證
譲 讓
届 屆
続 續
総 總
画 畫
廃 廢
瀬 瀨
巌 巖
険 險
験 驗
点 點
数 數
写 寫
気 氣
仮 假
価 價
挙 擧
拠 據
号 號
余 餘
両 兩
亜 亞
悪 惡
囲 圍
圧 壓
為 爲
衛 衞
塩 鹽
黄 黃
温 溫
絵 繪
拡 擴
帰 歸
狭 狹
暁 曉
径 徑
軽 輕
検 檢
顕 顯
恒 恆
鉱 鑛
砕 碎
雑 雜
参 參
惨 慘
残 殘
糸 絲
湿 濕
収 收
従 從
渋 澁
獣 獸
縦 縱
粛 肅
叙 敍
奨 獎
将 將
焼 燒
乗 乘
浄 淨
剰 剩
畳 疊
嬢 孃
醸 釀
触 觸
寝 寢
慎 愼
尽 盡
粋 粹
酔 醉
随 隨
髄 髓
枢 樞
静 靜
摂 攝
窃 竊
専 專
潜 潛
繊 纖
禅 禪
双 雙
壮 壯
装 裝
捜 搜
挿 插
巣 巢
騒 騷
臓 臟
即 卽
属 屬
堕 墮
帯 帶
滞 滯
台 臺
滝 瀧
択 擇
胆 膽
断 斷
弾 彈
遅 遲
昼 晝
虫 蟲
鋳 鑄
聴 聽
勅 敕
鎮 鎭
逓 遞
鉄 鐵
転 轉
党 黨
盗 盜
灯 燈
独 獨
弐 貳
脳 腦
覇 霸
拝 拜
麦 麥
髪 髮
抜 拔
蛮 蠻
秘 祕
瓶 甁
払 拂
仏 佛
並 竝
舗 舖
宝 寶
没 沒
翻 飜
毎 每
満 滿
黙 默
薬 藥
予 豫
誉 譽
揺 搖
様 樣
謡 謠
乱 亂
覧 覽
略 畧
猟 獵
緑 綠
塁 壘
涙 淚
励 勵
隷 隸
霊 靈
齢 齡
恋 戀
炉 爐
楼 樓
禄 祿
録 錄
湾 灣
駆 駈
淵 渕
"""

# Marks written in several ways, folded to one (after NFKC, which already makes ＿ _, － -, ～ ~).
MARKS = """
- ‐ ‒ – — ― − ⁃
~ 〜 〰
ケ ヶ
カ ヵ
"""

VARIATION_SELECTORS = "\ufe00-\ufe0f\U000e0100-\U000e01ef"

# What continues a cluster: combining marks of the common blocks (Latin, kana voicing marks,
# ideographic tone marks), half-width katakana's voicing marks and the variation selectors.
_CONTINUING = (
    "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
    "\u302a-\u302f\u3099\u309a\uff9e\uff9f" + VARIATION_SELECTORS
)
_CLUSTER = re.compile(f"(?s).[{_CONTINUING}]*")
_HAS_CONTINUING = re.compile(f"[{_CONTINUING}]")
_SELECTOR = re.compile(f"[{VARIATION_SELECTORS}]")


def _table(text: str) -> dict[int, str]:
    table = {}
    for line in text.strip().splitlines():
        target, *sources = line.split()
        for source in sources:
            table[ord(source)] = target
    return table


KANJI_VARIANTS = _table(VARIANTS)
FOLDED = KANJI_VARIANTS | _table(MARKS)


def variant_groups() -> dict[str, set[str]]:
    """Each kanji that variants fold to, with those variants and itself: {"高": {"高", "髙"}, …}."""
    groups: dict[str, set[str]] = {}
    for code, target in KANJI_VARIANTS.items():
        groups.setdefault(target, {target}).add(chr(code))
    return groups


def _fold_cluster(cluster: str) -> str:
    folded = unicodedata.normalize("NFKC", _SELECTOR.sub("", cluster)).casefold().translate(FOLDED)
    # A mark after a folded character may compose with it now (ヶ + ゛ → ケ + ゛ → ゲ).
    return unicodedata.normalize("NFKC", folded) if len(folded) > 1 else folded


class _SingleCharacters(dict):
    """str.translate's table for clusters of one character, filled as characters are met."""

    def __missing__(self, code):
        folded = self[code] = _fold_cluster(chr(code))
        return folded


_SINGLE = _SingleCharacters()


def fold(text: str) -> str:
    """The form a text is compared in: cluster by cluster, as the module docstring says."""
    if not text:
        return ""
    if not _HAS_CONTINUING.search(text):
        return text.translate(_SINGLE)  # every cluster is one character
    return "".join(
        _SINGLE[ord(c)] if len(c) == 1 else _fold_cluster(c) for c in _CLUSTER.findall(text)
    )


def fold_with_origins(text: str) -> tuple[str, list[int], list[int]]:
    """fold(text), and for each of its characters where it came from in `text`: start, end.

    The characters folded from one cluster all point at the whole cluster, so a match that
    covers any of them covers what was written.
    """
    text = text or ""
    if not _HAS_CONTINUING.search(text):
        folded = text.translate(_SINGLE)
        if len(folded) == len(text):  # each character folded to one: they correspond in order
            return folded, list(range(len(text))), list(range(1, len(text) + 1))
    folded, starts, ends = [], [], []
    for match in _CLUSTER.finditer(text):
        form = _fold_cluster(match.group())
        folded.append(form)
        starts += [match.start()] * len(form)
        ends += [match.end()] * len(form)
    return "".join(folded), starts, ends
