"""{% diff_mark kind text %}: a change of goals.diff as <ins>/<del>, with where it starts and ends
said in words.

Strike-through and underline are seen; a screen reader hears "削除ここから、…、削除ここまで", so
that "待ち時間を短く15分以内に" is not read as one run of text with the change somewhere inside it.
"""

from django import template
from django.utils.html import format_html

from goals.diff import DELETE, INSERT

register = template.Library()

_MARKS = {
    INSERT: ("ins", "追加ここから、", "、追加ここまで"),
    DELETE: ("del", "削除ここから、", "、削除ここまで"),
}


@register.simple_tag
def diff_mark(kind, text, css_class=""):
    """<ins> for an insertion, <del> for a deletion, each with hidden start and end words."""
    tag, start, end = _MARKS[kind]
    class_attr = format_html(' class="{}"', css_class) if css_class else ""
    return format_html(
        '<{tag}{cls}><span class="visually-hidden">{start}</span>{text}<span class="visually-hidden">{end}</span></{tag}>',
        tag=tag,
        cls=class_attr,
        start=start,
        text=text,
        end=end,
    )
