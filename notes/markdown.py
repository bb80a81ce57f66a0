"""The Markdown a note may use, rendered to HTML that is safe to put in a page as it is.

markdown-it-py from its "zero" preset (nothing on), with only: emphasis and strong, inline code,
links, lists, line breaks, backslash escapes and entities. Raw HTML is never parsed (`html` off), so
`<script>` or `<img onerror=…>` come out as text; links keep only http(s) targets, so
`javascript:`, `data:` and relative URLs stay plain text.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

_RULES = ["emphasis", "backticks", "link", "list", "newline", "escape", "entity"]
_LINK_SCHEMES = ("http://", "https://")


def _link_allowed(url: str) -> bool:
    return url.strip().lower().startswith(_LINK_SCHEMES)


def _render_link_open(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    # Notes sit beside the player: a link opens elsewhere, and tells the target nothing about us.
    tokens[index].attrSet("target", "_blank")
    tokens[index].attrSet("rel", "nofollow noopener noreferrer")
    return renderer.renderToken(tokens, index, options, env)


def _build() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False, "typographer": False})
    md.enable(_RULES)
    md.validateLink = _link_allowed  # type: ignore[method-assign]
    md.add_render_rule("link_open", _render_link_open)
    return md


_MARKDOWN = _build()


def render_note(text: str) -> SafeString:
    """A note's text as safe HTML (empty for an empty note)."""
    if not text.strip():
        return mark_safe("")
    html: str = _MARKDOWN.render(text)
    return mark_safe(html)  # noqa: S308 -- raw HTML is escaped by the parser, links are http(s) only
