//! Pages of document management.
use axum::Router;
pub fn router() -> Router<crate::Docflow> {
    Router::new()
}
