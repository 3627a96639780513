"""The demo office's ふりがなの辞書: the place and department names of the 中原区 seed table that the
analyser reads otherwise (区役所 as く・やくしょ, 中原区 in two words), and the area's places."""

from reports.models import ReadingEntry

DEMO_ENTRIES = {
    "川崎市": "かわさきし",
    "中原区": "なかはらく",
    "中原区役所": "なかはらくやくしょ",
    "区役所": "くやくしょ",
    "区民": "くみん",
    "来庁者": "らいちょうしゃ",
    "市民館": "しみんかん",
    "武蔵小杉": "むさしこすぎ",
    "武蔵新城": "むさししんじょう",
    "新城": "しんじょう",
    "元住吉": "もとすみよし",
    "上丸子": "かみまるこ",
    "等々力": "とどろき",
    "平間": "ひらま",
    "井田": "いだ",
    "まちづくり推進部": "まちづくりすいしんぶ",
    "区民サービス部": "くみんさーびすぶ",
    "危機管理担当": "ききかんりたんとう",
    "道路公園センター": "どうろこうえんせんたー",
    "地域みまもり支援センター": "ちいきみまもりしえんせんたー",
    "福祉事務所": "ふくしじむしょ",
    "保健所支所": "ほけんじょししょ",
    "企画課": "きかくか",
    "地域振興課": "ちいきしんこうか",
    "生涯学習支援課": "しょうがいがくしゅうしえんか",
    "総務課": "そうむか",
    "整備課": "せいびか",
    "管理課": "かんりか",
    "保険年金課": "ほけんねんきんか",
    "区民課": "くみんか",
    "地域ケア推進課": "ちいきけあすいしんか",
    "高齢・障害課": "こうれい・しょうがいか",
    "児童家庭課": "じどうかていか",
    "地域支援課": "ちいきしえんか",
    "保護課": "ほごか",
    "衛生課": "えいせいか",
}


def reading_entries_seed(office, entries=DEMO_ENTRIES) -> int:
    """Add the words the office's dictionary does not have yet; returns how many were added."""
    have = set(ReadingEntry.objects.filter(office=office).values_list("word", flat=True))
    new = [ReadingEntry(office=office, word=word, reading=reading) for word, reading in entries.items() if word not in have]
    ReadingEntry.objects.bulk_create(new)
    return len(new)
