//! Repository descriptions: markdown rendered on the server and sanitized with ammonia, so a
//! description can never run script in another user's browser.

/// Renders `source` (CommonMark + tables) to HTML that is safe to insert into the page.
pub fn render(source: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    let mut unsafe_html = String::new();
    html::push_html(
        &mut unsafe_html,
        Parser::new_ext(source, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH),
    );
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_markdown_and_strips_script() {
        let html = super::render(
            "# Title\n\n**bold** [x](javascript:alert(1)) <script>alert(1)</script> <img src=x onerror=alert(1)>",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }
}
