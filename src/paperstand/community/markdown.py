"""Comment bodies: Markdown to safe HTML, with @mentions linked and math left as text.

Two layers, so a mistake in one is caught by the other: markdown-it renders with raw HTML off (a
``<script>`` typed in a comment is text), then nh3 keeps only an explicit allow-list of tags,
attributes and URL schemes. Mentions are added as link tokens before rendering, so they pass through
the sanitiser like any other link, and code spans, code blocks, links and math never grow one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

# A member name as it follows "@" (accounts/names.py: letters, digits, "_" and "-", up to 40), not preceded
# by a word character or "@" (so an address like ada@example.org mentions nobody).
MENTION = re.compile(r"(?<![\w@./-])@([A-Za-z0-9_-]{1,40})(?![A-Za-z0-9_-])")
# One comment mails at most this many people: enough for a real conversation, too few for spam.
MAX_MENTIONS = 20
# What a comment may contain once rendered: the tags CommonMark (plus tables and strikethrough) produces.
TAGS = {"p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "s", "ul", "ol", "li",
        "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "a", "span"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
CLASSES = {"a": {"mention"}, "span": {"math"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Links in comments are the commenter's, not the site's: no ranking credit, no window.opener.
LINK_REL = "nofollow ugc noopener"

_CLEANER = nh3.Cleaner(tags=TAGS, clean_content_tags={"script", "style"}, attributes=ATTRIBUTES,
                       allowed_classes=CLASSES, url_schemes=URL_SCHEMES, link_rel=LINK_REL,
                       strip_comments=True)


def sanitize(html: str) -> str:
    """``html`` reduced to the allow-list; applying it twice changes nothing."""
    return _CLEANER.clean(html)


def mentions(text: str) -> list[str]:
    """The lower-cased names @mentioned in ``text`` (outside code, links and math), first seen first."""
    found: dict[str, None] = {}
    for token in _MD.parse(text):
        for child in _outside_links(token.children or []):
            for match in MENTION.finditer(child.content):
                found.setdefault(match.group(1).lower(), None)
    return list(found)[:MAX_MENTIONS]


def render(text: str, members: Mapping[str, str] | None = None) -> str:
    """Safe HTML for a comment; ``@name`` becomes a link to /u/{name} when ``members`` has its lower-cased key.

    ``members`` maps a name key to the member's name as they spell it (the link's target).
    """
    env: EnvType = {}
    tokens = _MD.parse(text, env)
    if members:
        for token in tokens:
            if token.children:
                token.children = _link_mentions(token.children, members)
    return sanitize(_MD.renderer.render(tokens, _MD.options, env))


def _outside_links(children: Sequence[Token]) -> list[Token]:
    """The text tokens of an inline run that are not inside a link (so not already a link's words)."""
    depth, out = 0, []
    for child in children:
        depth += {"link_open": 1, "link_close": -1}.get(child.type, 0)
        if child.type == "text" and depth == 0:
            out.append(child)
    return out


def _link_mentions(children: list[Token], members: Mapping[str, str]) -> list[Token]:
    """``children`` with each known @name in plain text split out into a link token."""
    plain = {id(t) for t in _outside_links(children)}
    out: list[Token] = []
    for child in children:
        if id(child) not in plain:
            out.append(child)
            continue
        last = 0
        for match in MENTION.finditer(child.content):
            name = members.get(match.group(1).lower())
            if name is None:
                continue
            out.append(_text(child.content[last:match.start()]))
            out.extend(_mention_link(match.group(0), name))
            last = match.end()
        out.append(_text(child.content[last:]) if last else child)
    return out


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _mention_link(typed: str, name: str) -> list[Token]:
    opening = Token("link_open", "a", 1)
    opening.attrs = {"href": f"/u/{name}", "class": "mention"}
    return [opening, _text(typed), Token("link_close", "a", -1)]


def _math(state: StateInline, silent: bool) -> bool:
    """``$…$`` and ``$$…$$`` kept verbatim (no emphasis inside) for a math renderer to find later.

    As in pandoc, an inline ``$`` opens only before a non-space, closes only after a non-space and not
    before a digit, so "costs $5 and $10" stays prose.
    """
    src, start = state.src, state.pos
    if src[start] != "$":
        return False
    delim = "$$" if src.startswith("$$", start) else "$"
    inner = start + len(delim)
    end = src.find(delim, inner)
    if end <= inner or (delim == "$" and not _math_bounds(src, inner, end)):
        return False
    if not silent:
        token = state.push("math_inline", "span", 0)
        token.content = src[start:end + len(delim)]
    state.pos = end + len(delim)
    return True


def _math_bounds(src: str, inner: int, end: int) -> bool:
    after = src[end + 1:end + 2]
    return not src[inner].isspace() and not src[end - 1].isspace() and not after.isdigit()


def _render_math(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                 env: EnvType) -> str:
    return f'<span class="math">{escapeHtml(tokens[idx].content)}</span>'


def _render_image(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                  env: EnvType) -> str:
    """An image as a link to it: a picture loaded from elsewhere would tell its host who reads the page."""
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env) or str(token.attrs.get("src", ""))
    return f'<a href="{escapeHtml(str(token.attrs.get("src", "")))}">{escapeHtml(alt)}</a>'


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
    md.inline.ruler.before("escape", "math", _math)
    md.add_render_rule("math_inline", _render_math)
    md.add_render_rule("image", _render_image)
    return md


_MD = _markdown()
