"""Fictional municipalities and the departments of their offices, named the way wards name them.

Every place name here is made up from common kanji (no real municipality is meant, and the codes
are outside any real prefecture's range); department names follow the seed's pattern
「部・センター 課・担当」.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# 部・センター and the sections (課・係・担当・センター) under them.
DIVISIONS = {
    "まちづくり推進部": (
        "総務課", "企画課", "地域振興課", "生涯学習支援課", "危機管理担当", "広報担当",
        "市民協働推進課", "地域防災係",
    ),
    "区民サービス部": (
        "区民課", "保険年金課", "戸籍係", "住民記録係", "税務担当", "窓口サービス課",
        "証明発行センター", "国民年金係",
    ),
    "地域みまもり支援センター": (
        "地域ケア推進課", "地域支援課", "児童家庭課", "高齢・障害課", "保護課", "衛生課",
        "保育所等・地域連携担当", "学校・地域連携担当", "健康づくり係", "こども家庭相談係",
    ),
    "道路公園センター": ("管理課", "整備課", "道路維持係", "公園緑地係", "占用許可担当"),
    "環境対策部": ("生活環境課", "ごみ減量推進係", "環境保全担当", "動物愛護センター"),
    "市民文化部": ("文化振興課", "スポーツ推進係", "市民活動センター", "図書館連携担当"),
}
SECTIONS = tuple((division, section) for division, sections in DIVISIONS.items() for section in sections)

_FIRST = "東西南北中上下新大小高若青緑桜梅松竹朝日月星花宮城浦川山田野原森林浜島崎沢坂丘台谷泉岩石"
_FIRST += "白黒赤金銀玉富福吉長広古本豊神鶴亀"
_SECOND = "川山田野原森林浜島崎沢坂丘台谷泉岩石津井江里見瀬岡尾根平松橋葉宮関浦戸木"
_SUFFIX = ("市", "町", "村")


@dataclass(frozen=True)
class Municipality:
    name: str  # 架空の地名 + 区/市/町/村
    office_name: str  # 〜区役所 / 〜市役所 / 〜町役場
    slug: str
    code: str  # six digits, like 全国地方公共団体コード


def _check_digit(five: str) -> str:
    """The sixth digit of a 全国地方公共団体コード (JIS X 0402's modulus 11)."""
    total = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def municipalities(count: int, *, seed: int = 0, wards_of: str = "", start: int = 0) -> list[Municipality]:
    """`count` distinct fictional municipalities; the wards of one city when `wards_of` is set.

    Their codes start at 90 — no prefecture has that number — so they never name a real body.
    `start` skips that many: lists with different starts (and the same seed) never overlap.
    """
    rng = random.Random(f"places-{seed}")
    stems = [a + b for a in _FIRST for b in _SECOND if a != b]
    rng.shuffle(stems)
    if start + count > len(stems):
        raise ValueError(f"at most {len(stems)} municipalities")
    result = []
    for n, stem in enumerate(stems[start : start + count], start):
        if wards_of:
            name, office = f"{wards_of}{stem}区", f"{stem}区役所"
        else:
            suffix = _SUFFIX[n % 7 % 3]  # mostly 市, then 町 and 村
            name = f"架空県{stem}{suffix}"
            office = f"{stem}{suffix}{'役所' if suffix == '市' else '役場'}"
        five = f"{90 + n // 1000:02d}{n % 1000:03d}"
        result.append(Municipality(name, office, f"m{five}", five + _check_digit(five)))
    return result


def department_sections(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """`count` distinct (division, section) pairs, in the divisions' printed order."""
    if count > len(SECTIONS):
        raise ValueError(f"at most {len(SECTIONS)} departments per office")
    chosen = set(rng.sample(range(len(SECTIONS)), count))
    return [SECTIONS[i] for i in sorted(chosen)]
