//! Browsing what the signed-in user may see.

use leptos::prelude::*;

use crate::domain::dto::MyRegistry;
use crate::domain::AppError;

/// The namespaces the caller may pull from and their repositories; `None` when signed out.
#[server]
pub async fn list_my_namespaces() -> Result<Option<MyRegistry>, AppError> {
    super::context::with_status(
        async move {
            use crate::backend::store::namespaces;
            let state = super::context::state()?;
            let user = super::context::current_user(&state).await?;
            let Some(user) = user else {
                return Ok(None);
            };
            let subject = crate::authz::Subject::User(crate::authz::UserSubject {
                id: user.id,
                admin: user.admin,
                disabled: user.disabled,
                read_only: false,
            });
            let ns = namespaces::list_visible(&state.db, &state.config.policy(), &subject, Some(user.id)).await?;
            let repositories = namespaces::repositories_in(&state.db, &ns).await?;
            Ok(Some(MyRegistry {
                namespaces: ns,
                repositories,
                registry_host: state.config.registry_host.clone(),
            }))
        }
        .await,
    )
}
