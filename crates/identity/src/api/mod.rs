//! JSON API of identity: registration, sign-in and sessions, the second factor, officials and
//! their roles, and the security audit log.

mod officials;
mod session;
mod verify;

pub(crate) use session::login_problem;

use utoipa_axum::router::OpenApiRouter;

use crate::Identity;

pub fn router() -> OpenApiRouter<Identity> {
    OpenApiRouter::new().merge(session::router()).merge(officials::router()).merge(verify::router()).merge(crate::oidc::admin::router())
}
