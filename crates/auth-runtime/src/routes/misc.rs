//! `/error`: the page OAuth errors land on when no error URL was given.

use crate::Auth;
use crate::http::{Ctx, Reply};

/// `text` safe inside HTML text and quoted attributes.
pub(crate) fn escape_html(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

pub(super) fn error_page(auth: &Auth, ctx: &Ctx) -> Reply {
    let code = escape_html(ctx.query.get("error").unwrap_or("UNKNOWN"));
    let description = ctx
        .query
        .get("error_description")
        .map(|d| format!("<p>{}</p>", escape_html(d)))
        .unwrap_or_default();
    let app = escape_html(
        auth.inner
            .config
            .app_name
            .as_deref()
            .unwrap_or("Authentication"),
    );
    Reply::html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{app}: error</title>\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
<body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto\">\
<h1>Something went wrong</h1><p>Error code: <code>{code}</code></p>{description}</body></html>"
    ))
}
