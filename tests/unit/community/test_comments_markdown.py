"""Comment Markdown: nothing executable survives, sanitising is idempotent, mentions and math behave."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperstand.community.markdown import MAX_MENTIONS, mentions, render, sanitize

# Known payloads, typed as Markdown and as raw HTML (which nh3 alone must also neutralise).
PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<a href="javascript:alert(1)" style="position:fixed">x</a>',
    "<a style=color:red>x</a>",
    "<svg onload=alert(1)><circle/></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<div onclick="alert(1)">click</div>',
    "<body onload=alert(1)>",
    '<p title="x" onmouseover="alert(1)">hover</p>',
    "[x](vbscript:msgbox(1))",
    "<<script>script>alert(1)<</script>/script>",
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<object data=javascript:alert(1)></object>",
    '[x](https://ok.example "title" onclick=alert(1))',
    "<!-- --><img src=x onerror=alert(1)> -->",
]
TAG = re.compile(r"<[^>]*>")


class _Markup(HTMLParser):
    """Collects every tag and attribute of a document, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert(html: str) -> None:
    """No script, event handler, style or script URL anywhere in the markup (typed text may say anything)."""
    assert "<script" not in html.lower()
    for tag in TAG.findall(html):
        lowered = tag.lower()
        assert not re.search(r"\son\w+\s*=", lowered), tag
        assert "style=" not in lowered, tag
        assert "javascript:" not in lowered, tag
    parser = _Markup()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in {"script", "style", "iframe", "object", "embed", "svg", "math", "form", "img"}, tag
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", (tag, name)
            squeezed = re.sub(r"\s", "", unescape(value or "")).lower()
            assert not squeezed.startswith(("javascript:", "vbscript:", "data:")), (tag, name, value)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_known_payloads_render_inert(payload: str) -> None:
    assert_inert(render(payload))
    assert_inert(render(f"hi @ada {payload} and more", {"ada": "ada"}))
    assert_inert(sanitize(payload))  # the sanitiser alone, as if Markdown let raw HTML through
    assert render(payload) == sanitize(render(payload))


def test_an_img_onerror_payload_reads_as_text() -> None:
    html = render("Nice paper! <img src=x onerror=alert(1)>")
    assert html == "<p>Nice paper! &lt;img src=x onerror=alert(1)&gt;</p>\n"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_renders_inert_and_sanitising_twice_changes_nothing(text: str) -> None:
    html = render(text, {"ada": "Ada"})
    assert_inert(html)
    assert sanitize(html) == html
    assert sanitize(sanitize(text)) == sanitize(text)


# Text built from the pieces attacks are made of, so hypothesis finds their combinations quickly.
_PIECES = st.sampled_from(["<", ">", "/", "=", '"', "'", "`", "[", "]", "(", ")", "!", "*", "_", "$", "@ada", "\n",
                           " ", "&#", ";", "script", "img", "svg", "a", "href", "src", "on", "error", "load",
                           "style", "javascript:", "data:", "alert(1)", "http://x", "<!--", "-->", "&lt;"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_attack_shaped_text_renders_inert_and_stays_put(text: str) -> None:
    html = render(text, {"ada": "Ada"})
    assert_inert(html)
    assert sanitize(html) == html
    assert_inert(sanitize(text))
    assert sanitize(sanitize(text)) == sanitize(text)


def test_markdown_basics_and_links_marked_as_the_commenters() -> None:
    html = render("**bold** _it_ ~~gone~~ `code`\n\n- one\n- two\n\n[site](https://example.org)")
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html and "<s>gone</s>" in html
    assert "<code>code</code>" in html and "<li>one</li>" in html
    assert '<a href="https://example.org" rel="nofollow ugc noopener">site</a>' in html


def test_tables_render_without_their_style_attribute() -> None:
    html = render("| a | b |\n|--:|---|\n| 1 | 2 |")
    assert "<table>" in html and "<td>1</td>" in html and "style" not in html


def test_an_image_becomes_a_link_to_it() -> None:
    html = render("![the plot](https://example.org/plot.png)")
    assert html == '<p><a href="https://example.org/plot.png" rel="nofollow ugc noopener">the plot</a></p>\n'


def test_mentions_link_known_members_outside_code_and_links() -> None:
    text = "@Ada and @bob, not `@ada` nor [@ada](https://x.example) nor ada@example.org; @carol?"
    html = render(text, {"ada": "Ada", "carol": "carol"})
    assert html.count('class="mention"') == 2
    assert '<a href="/u/Ada" class="mention" rel="nofollow ugc noopener">@Ada</a>' in html
    assert '<a href="/u/carol" class="mention" rel="nofollow ugc noopener">@carol</a>' in html
    assert "<code>@ada</code>" in html and "@bob" in html and "ada@example.org" in html
    assert mentions(text) == ["ada", "bob", "carol"]


def test_mentions_skip_code_blocks_and_math_and_are_capped() -> None:
    assert mentions("```\n@ada\n```\n\n    @bob\n\n$@carol$") == []
    many = " ".join(f"@user{i}" for i in range(MAX_MENTIONS + 5))
    assert mentions(many) == [f"user{i}" for i in range(MAX_MENTIONS)]


def test_math_is_kept_as_typed() -> None:
    assert render("$x^2$ and $a*b*c$") == ('<p><span class="math">$x^2$</span> and '
                                             '<span class="math">$a*b*c$</span></p>\n')
    assert "<em>" not in render("$$\n\\sum_i a_i *b* \n$$")
    # Prices are prose, as in pandoc: "$" must hug the math on both sides and not precede a digit.
    assert render("costs $5 and $10") == "<p>costs $5 and $10</p>\n"
    assert render("<b>$x$</b>") == "<p>&lt;b&gt;<span class=\"math\">$x$</span>&lt;/b&gt;</p>\n"
