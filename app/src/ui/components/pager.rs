//! Pagination and sorting controls that keep their state in the URL's query string, so every
//! list page is shareable and the back button works.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

/// Reads and writes the page's query string. Made while a component is set up (hooks need
/// the router's context), then used freely in event handlers.
type Navigate = std::sync::Arc<dyn Fn(&str, leptos_router::NavigateOptions) + Send + Sync>;

#[derive(Clone)]
pub struct QueryNav {
    path: Memo<String>,
    query: Memo<leptos_router::params::ParamsMap>,
    navigate: Navigate,
}

impl QueryNav {
    /// The current page's (call while a component is set up).
    pub fn current() -> Self {
        let location = use_location();
        let navigate = use_navigate();
        QueryNav {
            path: location.pathname,
            query: use_query_map(),
            navigate: std::sync::Arc::new(move |url, opts| navigate(url, opts)),
        }
    }

    /// The current URL with `key` set to `value` (removed when empty); `page` resets unless
    /// it is the key being set.
    pub fn href(&self, key: &str, value: &str) -> String {
        let path = self.path.get_untracked();
        let mut params: Vec<(String, String)> = self
            .query
            .get_untracked()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .filter(|(k, _)| k != key && (key == "page" || k != "page"))
            .collect();
        if !value.is_empty() {
            params.push((key.to_owned(), value.to_owned()));
        }
        if params.is_empty() {
            return path;
        }
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        format!("{path}?{}", query.join("&"))
    }

    /// Navigates to the current page with one query parameter changed (typing replaces the
    /// history entry; paging adds one).
    pub fn set(&self, key: &str, value: &str) {
        let url = self.href(key, value);
        (self.navigate)(
            &url,
            leptos_router::NavigateOptions {
                replace: key != "page",
                scroll: false,
                ..Default::default()
            },
        );
    }
}

/// Percent-encodes a query or path component.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// "Page 2 of 40 · 1,000 results" with previous/next links; "of 200+ · 10000+ results" when
/// the list stopped counting (`capped`: there are more).
#[component]
pub fn Pager(page: u64, pages: u64, total: u64, #[prop(optional)] capped: bool) -> impl IntoView {
    let nav = QueryNav::current();
    let prev = (page > 1).then(|| nav.href("page", &(page - 1).to_string()));
    let next = (page < pages || capped).then(|| nav.href("page", &(page + 1).to_string()));
    let more = if capped { "+" } else { "" };
    let link = "rounded border border-slate-300 bg-white px-3 py-1 text-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-400";
    view! {
        <nav class="mt-3 flex items-center justify-between text-sm text-slate-600" aria-label="Pagination">
            <span data-testid="pager-status">{format!("Page {page} of {pages}{more} · {total}{more} results")}</span>
            <span class="flex gap-2">
                {prev.map(|href| view! { <a href=href class=link rel="prev">"← Previous"</a> })}
                {next.map(|href| view! { <a href=href class=link rel="next">"Next →"</a> })}
            </span>
        </nav>
    }
}

/// A labelled select that writes `sort` into the query string.
#[component]
pub fn SortSelect(options: &'static [(&'static str, &'static str)], current: String) -> impl IntoView {
    let nav = QueryNav::current();
    view! {
        <label class="flex items-center gap-2 text-sm text-slate-600">
            "Sort"
            <select class="rounded border border-slate-300 bg-white px-2 py-1 text-sm focus:outline-none focus:ring-2 focus:ring-sky-500"
                on:change=move |ev| nav.set("sort", &event_target_value(&ev))>
                {options.iter().map(|(value, label)| {
                    let selected = *value == current;
                    view! { <option value=*value selected=selected>{*label}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}
