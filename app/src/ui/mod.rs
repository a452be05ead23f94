//! The console: routes, pages and components. Client-side routing after the first load; every
//! page's state (filters, sort, page) lives in its URL.

pub mod components;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

use crate::domain::dto::Viewer;
use crate::domain::AppError;

/// The HTML document around the app (server side rendering).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::backend::csp::provide_for_page();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="bg-slate-50 text-slate-900 min-h-screen">
                <App/>
            </body>
        </html>
    }
}

/// Who is looking, loaded once per page load and shared by every page.
#[derive(Clone, Copy)]
struct ViewerContext(Resource<Result<Viewer, AppError>>);

pub fn use_viewer() -> Resource<Result<Viewer, AppError>> {
    expect_context::<ViewerContext>().0
}

/// What the viewer may do in a namespace, asked of THE policy (the same function the token
/// endpoint uses), so the UI never offers what the server would refuse.
pub fn permitted(viewer: &Viewer, facts: &crate::authz::NamespaceFacts) -> crate::domain::scope::ActionSet {
    crate::authz::permitted(
        &viewer.settings.policy,
        &viewer.subject,
        crate::authz::Target::Namespace(Some(facts)),
    )
}

/// The console URL of a repository.
pub fn repo_href(full_name: &str) -> String {
    format!("/r/{full_name}")
}

/// The global namespace has no name; its page is `/namespaces/_`.
pub fn namespace_href(name: &str) -> String {
    format!("/namespaces/{}", if name.is_empty() { "_" } else { name })
}

/// The namespace named by a `/namespaces/:name…` URL (`_`, the global one, becomes `""`): the
/// reverse of [`namespace_href`].
pub fn namespace_param() -> impl Fn() -> String + Copy {
    let params = leptos_router::hooks::use_params_map();
    move || {
        params
            .with(|p| p.get("name"))
            .map(|n| if n == "_" { String::new() } else { n })
            .unwrap_or_default()
    }
}

pub fn namespace_label(name: &str) -> String {
    if name.is_empty() {
        "(global)".into()
    } else {
        name.to_owned()
    }
}

/// `2026-12-01T09:30:00+00:00` → `2026-12-01 09:30` (UTC), for tables.
pub fn short_time(rfc3339: &str) -> String {
    let s = rfc3339.replace('T', " ");
    s.get(..16).map(str::to_owned).unwrap_or(s)
}

/// The sign-in page, coming back to `here` (a path on this site) afterwards.
pub fn sign_in_href(here: &str) -> String {
    if here.is_empty() || here == "/" || here.starts_with("/login") {
        return "/login".into();
    }
    format!("/login?next={}", components::encode(here))
}

/// Where to go after signing in: `next` when it is a path on this site (never another site:
/// `//host` or `/\host` would leave it), else the start page.
pub fn after_sign_in(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && !n.contains("://") => {
            n.to_owned()
        }
        _ => "/".into(),
    }
}

/// `1 tag`, `2 tags`: a count with its noun (regular plurals only).
pub fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `1 repository`, `2 repositories`.
pub fn plural_repositories(n: u64) -> String {
    if n == 1 {
        "1 repository".into()
    } else {
        format!("{n} repositories")
    }
}

/// Bytes in human units.
pub fn human_size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    match b {
        b if b >= 1024.0 * 1024.0 * 1024.0 => format!("{:.1} GiB", b / (1024.0 * 1024.0 * 1024.0)),
        b if b >= 1024.0 * 1024.0 => format!("{:.1} MiB", b / (1024.0 * 1024.0)),
        b if b >= 1024.0 => format!("{:.1} KiB", b / 1024.0),
        b => format!("{b} B"),
    }
}

/// `sha256:0123456789ab…` → `0123456789ab`.
pub fn short_digest(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    hex.chars().take(12).collect()
}

/// What a page that failed to render shows instead.
fn error_fallback(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let message = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, e)| e.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    };
    view! { <components::ErrorBox message=message()/> }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::provide_toasts();
    provide_context(ViewerContext(Resource::new(
        || (),
        |_| crate::api::session::get_viewer(),
    )));
    view! {
        <Stylesheet id="leptos" href="/pkg/wharf.css"/>
        <Title text="Wharf"/>
        <Router>
            <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">"Skip to content"</a>
            <components::Header/>
            <main id="main" class="mx-auto max-w-6xl px-4 py-6">
                <ErrorBoundary fallback=error_fallback>
                    <Routes fallback=|| view! { <components::NotFound/> }>
                        <Route path=path!("/") view=pages::dashboard::DashboardPage ssr=SsrMode::Async/>
                        <Route path=path!("/login") view=pages::login::LoginPage/>
                        <Route path=path!("/signup") view={Lazy::<pages::login::SignupRoute>::new()}/>
                        <Route path=path!("/namespaces") view={Lazy::<pages::namespaces::NamespacesRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/namespaces/:name") view={Lazy::<pages::namespaces::NamespaceRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/namespaces/:name/retention") view={Lazy::<pages::retention::RetentionRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/namespaces/:name/webhooks") view={Lazy::<pages::webhooks::WebhooksRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/repositories") view=pages::repositories::RepositoriesPage ssr=SsrMode::Async/>
                        <Route path=path!("/r/*name") view={Lazy::<pages::repository::RepositoryRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/i/*reference") view={Lazy::<pages::image::ImageRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/search") view={Lazy::<pages::search::SearchRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/account") view={Lazy::<pages::account::AccountRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/teams") view={Lazy::<pages::teams::TeamsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/teams/:name") view={Lazy::<pages::teams::TeamRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/activity") view={Lazy::<pages::activity::ActivityRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/users") view={Lazy::<pages::users::UsersRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/admin/registries") view={Lazy::<pages::registries::RegistriesRoute>::new()} ssr=SsrMode::Async/>
                    </Routes>
                </ErrorBoundary>
            </main>
            <components::Toasts/>
        </Router>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_in_comes_back_to_this_site_only() {
        assert_eq!(
            sign_in_href("/teams/devs?tab=1"),
            "/login?next=%2Fteams%2Fdevs%3Ftab%3D1"
        );
        assert_eq!(sign_in_href("/login"), "/login");
        assert_eq!(after_sign_in(Some("/teams/devs?tab=1")), "/teams/devs?tab=1");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "teams",
            "/x?u=https://a",
        ] {
            assert_eq!(after_sign_in(Some(bad)), "/", "{bad}");
        }
        assert_eq!(after_sign_in(None), "/");
        assert_eq!(plural(1, "tag"), "1 tag");
        assert_eq!(plural(0, "pull"), "0 pulls");
    }
}
