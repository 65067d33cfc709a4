//! JSON API of the catalog under `/api/...`, and the GovStack Digital Registries API under
//! `/data/...`, each handler described for OpenAPI.

mod calendar;
mod codelists;
mod data;
mod places;
mod procedures;

use utoipa_axum::router::OpenApiRouter;

use crate::Catalog;

pub fn router() -> OpenApiRouter<Catalog> {
    OpenApiRouter::new()
        .merge(places::router())
        .merge(codelists::router())
        .merge(calendar::router())
        .merge(procedures::router())
        .merge(data::router())
}

/// `201 Created` with a JSON body.
pub(crate) fn created<T: serde::Serialize>(v: T) -> axum::response::Response {
    use axum::response::IntoResponse;
    (axum::http::StatusCode::CREATED, axum::Json(v)).into_response()
}
