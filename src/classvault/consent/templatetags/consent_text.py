"""Render a privacy statement's plain text (a small Markdown subset) as escaped HTML.

Lines starting with ``#`` are headings, blocks of ``- `` lines are lists, ``---`` is a rule,
anything else a paragraph. Every piece of text is escaped: a published statement can never
inject markup or script.
"""

import re

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


def _block(block: str) -> SafeString:
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    if lines[0].startswith("#"):
        level = len(lines[0]) - len(lines[0].lstrip("#"))
        # The page's own title is the h1: the statement's headings start one level lower.
        tag = f"h{min(level + 1, 6)}"
        return format_html("<{}>{}</{}>", tag, " ".join(lines).lstrip("#").strip(), tag)
    if all(line.startswith("- ") for line in lines):
        items = format_html_join("", "<li>{}</li>", ((line[2:].strip(),) for line in lines))
        return format_html("<ul>{}</ul>", items)
    if lines == ["---"]:
        return format_html("<hr{}>", "")
    return format_html("<p>{}</p>", " ".join(lines))


@register.filter
def statement_html(text: str) -> SafeString:
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    return format_html_join("\n", "{}", ((_block(b),) for b in blocks))
