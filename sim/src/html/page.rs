//! The page itself: one self-contained HTML file (no network, no CDN) holding the view as JSON
//! in a `<script type="application/json">` block, the hand-written stylesheet and script from
//! `assets/`, and a static header (title, facts, violations) that reads without the script.
//!
//! The script writes any JavaScript error into the page's `#errors` element and sets the
//! body's `data-rendered` attribute to `ok` when the timeline is drawn (`error` after an
//! error), which is what the browser test checks.

use super::view::View;

const CSS: &str = include_str!("assets/report.css");
const JS: &str = include_str!("assets/report.js");

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The view as JSON that is safe inside a `<script>` element: `<`, `>` and `&` only occur in
/// JSON strings, where their `\u` escapes mean the same.
fn embedded_json(view: &View) -> String {
    let json = serde_json::to_string(view)
        .unwrap_or_else(|e| format!("{{\"error\":\"the view did not serialise: {e}\"}}"));
    let mut out = String::with_capacity(json.len() + 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The whole page.
pub fn render(view: &View) -> String {
    let mut facts = String::new();
    for (k, v) in &view.facts {
        facts.push_str(&format!(
            "<div class=\"fact\"><dt>{}</dt><dd>{}</dd></div>",
            escape(k),
            escape(v)
        ));
    }
    let mut violations = String::new();
    for (i, v) in view.violations.iter().enumerate() {
        let detail = v.detail.as_deref().map_or_else(String::new, |d| {
            format!(
                "<details><summary>evidence</summary><pre>{}</pre></details>",
                escape(d)
            )
        });
        violations.push_str(&format!(
            "<li class=\"violation\" data-violation=\"{i}\"><span class=\"property\">{}</span> \
             <span class=\"message\">{}</span>{detail}</li>",
            escape(&v.property),
            escape(&v.message)
        ));
    }
    let violations = if violations.is_empty() {
        "<p class=\"none\">No violations.</p>".to_string()
    } else {
        format!("<ol id=\"violation-list\">{violations}</ol>")
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — faultline</title>
<style>
{CSS}
</style>
</head>
<body data-rendered="no">
<header>
<h1><span id="title">{title}</span> <span class="status status-{status_class}">{status}</span></h1>
<dl id="facts">{facts}</dl>
</header>
<section id="violations"><h2>Violations</h2>{violations}</section>
<section id="view">
<div id="controls"></div>
<div id="legend"></div>
<div id="timeline-wrap"><svg id="timeline" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="timeline"></svg></div>
<div id="tooltip" hidden></div>
<h2>Selected</h2>
<pre id="details">Hover over an operation, a node, a leader or a fault to see it; click to keep it here.</pre>
</section>
<pre id="errors" hidden></pre>
<noscript><p>The timeline needs JavaScript; the facts and violations above do not.</p></noscript>
<script type="application/json" id="faultline-data">{data}</script>
<script>
{JS}
</script>
</body>
</html>
"#,
        title = escape(&view.title),
        status = escape(&view.status),
        status_class = escape(&view.status.replace(' ', "-")),
        data = embedded_json(view),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::view::TimeUnit;

    #[test]
    fn text_is_escaped_and_json_cannot_close_its_script() {
        let mut view = View::new("<b>&\"x\"</b>", "fail", TimeUnit::Ms);
        view.facts
            .push(("note".into(), "</script><script>alert(1)</script>".into()));
        view.finish();
        let page = render(&view);
        assert!(page.contains("&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;"));
        // Exactly the page's own two script elements close.
        assert_eq!(page.matches("</script>").count(), 2);
        let start = page.find("id=\"faultline-data\">").unwrap() + "id=\"faultline-data\">".len();
        let end = start + page[start..].find("</script>").unwrap();
        let back: serde_json::Value = serde_json::from_str(&page[start..end]).unwrap();
        assert_eq!(back["title"], "<b>&\"x\"</b>");
        assert_eq!(back["facts"][0][1], "</script><script>alert(1)</script>");
    }

    #[test]
    fn the_page_needs_nothing_from_the_network() {
        let page = render(&View::new("t", "pass", TimeUnit::Ms));
        for needle in ["http://", "https://", "src=", "<link"] {
            let hits: Vec<_> = page
                .match_indices(needle)
                .filter(|(i, _)| !page[*i..].starts_with("http://www.w3.org/2000/svg"))
                .collect();
            assert!(hits.is_empty(), "{needle} in the page: {hits:?}");
        }
    }
}
