//! `/health/live` (the process answers) and `/health/ready` (it can do its job: the database
//! answers, its migrations are current, and at least one registry replica is healthy).
//! Readiness says only ready / not ready to anyone; administrators (console session) get the
//! detail of each check.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use wharf_app::backend::{db, store, AppState};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Check {
    ok: bool,
    detail: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Checks {
    database: Check,
    migrations: Check,
    replicas: Check,
}

impl Checks {
    fn all_ok(&self) -> bool {
        self.database.ok && self.migrations.ok && self.replicas.ok
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` or `not-ready`.
    status: &'static str,
    /// Each check (administrators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    checks: Option<Checks>,
}

pub async fn live() -> &'static str {
    "ok"
}

async fn checks(state: &AppState) -> Checks {
    let database = match state.db.ping().await {
        Ok(()) => Check {
            ok: true,
            detail: "reachable".into(),
        },
        Err(e) => Check {
            ok: false,
            detail: format!("unreachable: {e}"),
        },
    };
    let migrations = match db::pending_migrations(&state.db).await {
        Ok(0) => Check {
            ok: true,
            detail: "current".into(),
        },
        Ok(n) => Check {
            ok: false,
            detail: format!("{n} pending"),
        },
        Err(e) => Check {
            ok: false,
            detail: format!("unknown: {e}"),
        },
    };
    let replicas = match store::registries::status(&state.db).await {
        Ok(list) => {
            let up = list.iter().filter(|r| r.status == "up").count();
            Check {
                ok: up > 0,
                detail: format!("{up} of {} up", list.len()),
            }
        }
        Err(e) => Check {
            ok: false,
            detail: format!("unknown: {e}"),
        },
    };
    Checks {
        database,
        migrations,
        replicas,
    }
}

pub async fn ready(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let cookie = wharf_app::api::context::session_cookie_in(&headers, state.config.secure_cookies());
    let admin = match cookie {
        Some(c) => wharf_app::backend::services::Caller::for_session(&state, Some(&c), None)
            .await
            .is_ok_and(|c| c.is_admin()),
        None => false,
    };
    let (code, body) = readiness(&state, admin).await;
    (code, Json(body)).into_response()
}

/// Runs the checks; the detail is only for administrators.
pub async fn readiness(state: &AppState, admin: bool) -> (StatusCode, Readiness) {
    let checks = checks(state).await;
    let ready = checks.all_ok();
    let body = Readiness {
        status: if ready { "ready" } else { "not-ready" },
        checks: admin.then_some(checks),
    };
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, body)
}
