//! Review bodies: Markdown to HTML that is safe to put in a page.
//!
//! pulldown-cmark renders CommonMark (plus tables and strikethrough); its output is then cleaned
//! by ammonia, an allow-list HTML sanitiser built on a real HTML5 parser. Markdown allows raw
//! HTML, so the renderer alone would pass `<script>` or `<img onerror=…>` through: the sanitiser
//! is what makes the result safe — only formatting tags survive, no event handlers, no styles,
//! links only to http(s) and mailto, and every link gets `rel="noopener noreferrer nofollow"`.

use std::collections::HashSet;

use pulldown_cmark::{html, Options, Parser};

/// Renders a review body to sanitised HTML.
pub fn review_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .tags(HashSet::from([
            "p",
            "br",
            "hr",
            "em",
            "strong",
            "del",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
            "a",
            "h3",
            "h4",
            "h5",
            "h6",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
        ]))
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_survives() {
        let html = review_html(
            "A *bold* claim:\n\n- one\n- **two**\n\n> quoted\n\n[site](https://example.org)",
        );
        assert!(html.contains("<em>bold</em>"), "{html}");
        assert!(html.contains("<li><strong>two</strong></li>"), "{html}");
        assert!(html.contains("<blockquote>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://example.org" rel="noopener noreferrer nofollow">site</a>"#
            ),
            "{html}"
        );
    }

    #[test]
    fn scripts_handlers_and_dangerous_links_are_removed() {
        let html = review_html(
            "Fine film.<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n\
             [click](javascript:alert(3)) <a href=\"data:text/html,hi\" onclick=\"x()\">data</a>\n\n\
             <iframe src=\"https://evil.example\"></iframe><style>body{}</style>",
        );
        for bad in [
            "<script",
            "alert(1)",
            "onerror",
            "<img",
            "javascript:",
            "data:",
            "onclick",
            "<iframe",
            "<style",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        assert!(html.contains("Fine film."), "{html}");
    }

    #[test]
    fn headings_are_demoted_out_of_the_page_outline_and_text_is_escaped() {
        let html = review_html("# Big\n\n1 < 2 & \"quotes\"");
        assert!(!html.contains("<h1>"), "{html}");
        assert!(html.contains("1 &lt; 2 &amp;"), "{html}");
    }
}
