//! The console: routes, pages and components. Client-side routing after the first load; every
//! page's state (filters, sort, page) lives in its URL.

pub mod components;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy};

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
                        <Route path=path!("/") view=pages::dashboard::DashboardPage/>
                        <Route path=path!("/login") view=pages::login::LoginPage/>
                        <Route path=path!("/signup") view={Lazy::<pages::login::SignupRoute>::new()}/>
                        <Route path=path!("/namespaces") view={Lazy::<pages::namespaces::NamespacesRoute>::new()}/>
                        <Route path=path!("/namespaces/:name") view={Lazy::<pages::namespaces::NamespaceRoute>::new()}/>
                        <Route path=path!("/repositories") view=pages::repositories::RepositoriesPage/>
                        <Route path=path!("/r/*name") view=pages::repository::RepositoryPage/>
                        <Route path=path!("/i/*reference") view=pages::image::ImagePage/>
                        <Route path=path!("/search") view={Lazy::<pages::search::SearchRoute>::new()}/>
                        <Route path=path!("/account") view={Lazy::<pages::account::AccountRoute>::new()}/>
                        <Route path=path!("/teams") view={Lazy::<pages::teams::TeamsRoute>::new()}/>
                        <Route path=path!("/teams/:name") view={Lazy::<pages::teams::TeamRoute>::new()}/>
                        <Route path=path!("/activity") view={Lazy::<pages::activity::ActivityRoute>::new()}/>
                        <Route path=path!("/admin/users") view={Lazy::<pages::users::UsersRoute>::new()}/>
                        <Route path=path!("/admin/registries") view={Lazy::<pages::registries::RegistriesRoute>::new()}/>
                    </Routes>
                </ErrorBoundary>
            </main>
            <components::Toasts/>
        </Router>
    }
}
