"""Notes are a small Markdown subset rendered to HTML that is safe to show as it is."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notes.markdown import render_note


def test_the_subset_renders_emphasis_strong_code_lists_links_and_line_breaks() -> None:
    html = render_note(
        "**Key** point, *really*, see `make run`\nnext line\n\n- one\n- two\n\n1. first\n\n[docs](https://example.com/a?b=1)"
    )

    assert "<strong>Key</strong>" in html
    assert "<em>really</em>" in html
    assert "<code>make run</code>" in html
    assert "<br>" in html  # a single newline is a line break in a note
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>\n</ol>" in html
    assert '<a href="https://example.com/a?b=1" target="_blank" rel="nofollow noopener noreferrer">docs</a>' in html


def test_what_is_outside_the_subset_stays_text() -> None:
    html = render_note("# Heading\n\n> quote\n\n![picture](https://example.com/x.png)\n\n---")

    assert "<h1>" not in html
    assert "<blockquote>" not in html
    assert "<img" not in html
    assert "<hr" not in html
    assert "# Heading" in html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "<svg onload=alert(1)>",
        "<iframe src=https://evil.example></iframe>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&#60;script&#62;alert(1)",
    ],
)
def test_raw_html_comes_out_as_inert_text(attack: str) -> None:
    html = render_note(attack)

    assert "<script" not in html
    assert "<img" not in html
    assert "<svg" not in html
    assert "<iframe" not in html
    assert not re.search(r"<a\s", html)
    assert "&lt;" in html  # shown to the reader as typed


@pytest.mark.parametrize(
    "link",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java\tscript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](vbscript:msgbox(1))",
        "[click](/relative/path)",
        "[click](//evil.example/x)",
        "[click](mailto:a@example.com)",
        "<javascript:alert(1)>",
    ],
)
def test_only_http_links_become_links(link: str) -> None:
    html = render_note(link)

    assert "<a " not in html
    assert "href" not in html


def test_a_link_cannot_break_out_of_its_attribute() -> None:
    html = render_note('[x](https://example.com/"onmouseover="alert(1))')

    assert 'onmouseover="' not in html
    assert '<a href="https://example.com/%22onmouseover=%22alert(1)"' in html


def test_an_empty_note_renders_nothing() -> None:
    assert render_note("") == ""
    assert render_note("   \n ") == ""


@given(st.text(max_size=200))
def test_no_text_whatsoever_produces_markup_outside_the_subset(text: str) -> None:
    html = render_note(text)

    tags = set(re.findall(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9]*)", html))
    assert tags <= {"p", "br", "em", "strong", "code", "ul", "ol", "li", "a"}
    for href in re.findall(r'href="([^"]*)"', html):
        assert href.lower().startswith(("http://", "https://"))
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", html)
