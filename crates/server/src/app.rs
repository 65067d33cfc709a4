//! The assembled application: every component's routes, the OpenAPI description and its docs
//! page, operations endpoints, and the middleware stack.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use catalog::Catalog;
use kernel::config::Config;
use kernel::db::Db;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;
use web::Problem;
use web::page::SiteInfo;

/// What request handlers share.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub config: Arc<Config>,
    pub catalog: Catalog,
    pub identity: identity::Identity,
    pub notify: notify::Notify,
    pub onestop: onestop::Onestop,
    pub lgsp: lgsp::Lgsp,
    pub docflow: docflow::Docflow,
}

impl App {
    pub fn new(db: Db, config: Config, admin_token: String) -> App {
        kernel::tls::init();
        let catalog = Catalog::new(db.clone());
        let mut identity = identity::Identity::new(db.clone(), catalog.clone(), &admin_token, &config.public_url());
        identity.attempts_per_minute = config.login_attempts_per_minute;
        if let (Some(issuer), Some(client_id)) = (&config.external_idp_issuer, &config.external_idp_client_id) {
            identity.external = Some(Arc::new(identity::external::ExternalIdp {
                issuer: issuer.trim_end_matches('/').to_owned(),
                client_id: client_id.clone(),
                client_secret: config.external_idp_client_secret.clone(),
                name: config.external_idp_name.clone(),
            }));
        }
        let notify = notify::Notify::new(db.clone(), email_provider(&config), sms_provider(&config), &config.province_name);
        let onestop = onestop::Onestop::new(db.clone(), catalog.clone(), config.data_dir.join("blobs"), &config.public_url());
        let key = config.data_dir.join("lgsp-signing.pk8");
        let lgsp = lgsp::Lgsp::new(db.clone(), &key)
            .unwrap_or_else(|e| panic!("the LGSP signing key {} cannot be read or created: {e}", key.display()))
            .with_catalog(catalog.clone())
            .with_public_url(&config.public_url())
            .with_retention(lgsp::retention::Retention { dir: config.lgsp_archive_dir(), days: config.lgsp_retention_days });
        let docflow = docflow::Docflow::new(db.clone(), catalog.clone(), config.data_dir.join("blobs"), remote_hub(&config));
        App { catalog, identity, notify, onestop, lgsp, docflow, db, config: Arc::new(config) }
    }
}

/// The exchange hub of another deployment, when one is configured with its credentials.
fn remote_hub(config: &Config) -> Option<docflow::RemoteHub> {
    let url = config.docflow_hub_url.clone()?;
    let (Some(token_url), Some(client_id), Some(client_secret)) =
        (config.docflow_hub_token_url.clone(), config.docflow_hub_client_id.clone(), config.docflow_hub_client_secret.clone())
    else {
        tracing::error!(
            "docflow_hub_url is set without docflow_hub_token_url, docflow_hub_client_id and docflow_hub_client_secret; this deployment stays its own hub"
        );
        return None;
    };
    Some(docflow::RemoteHub { url, xroad_client: config.docflow_hub_client.clone(), token_url, client_id, client_secret })
}

/// The mail server named by the configuration; a bad setting is logged and messages are
/// recorded only, so a typo does not keep the platform from starting.
fn email_provider(config: &Config) -> notify::provider::Provider {
    match &config.smtp_url {
        None => notify::provider::Provider::Record,
        Some(url) => notify::provider::Provider::smtp(url, &config.mail_from).unwrap_or_else(|e| {
            tracing::error!(error = %e, "e-mail is not configured correctly; messages are recorded only");
            notify::provider::Provider::Record
        }),
    }
}

fn sms_provider(config: &Config) -> notify::provider::Provider {
    match &config.sms_url {
        None => notify::provider::Provider::Record,
        Some(url) => notify::provider::Provider::http(url, config.sms_token.clone()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "SMS is not configured correctly; messages are recorded only");
            notify::provider::Provider::Record
        }),
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Tỉnh Số API", description = "APIs of the Tỉnh Số provincial e-government platform. Errors are application/problem+json (RFC 9457).", license(name = "AGPL-3.0-or-later")),
    modifiers(&Security),
    tags(
        (name = "catalog", description = "Shared catalogs: administrative units, agencies, code lists (danh mục dùng chung)"),
        (name = "calendar", description = "Holidays and working-day arithmetic"),
        (name = "procedures", description = "The administrative procedure catalog (thủ tục hành chính) with versions"),
        (name = "registries", description = "Generic registries through the GovStack Digital Registries API"),
        (name = "identity", description = "Accounts, sign-in, sessions, officials and roles, the security audit log"),
        (name = "notify", description = "Notifications (e-mail, SMS) with their delivery status, and the outbox queues"),
        (name = "onestop", description = "The one-stop dossier engine: submission, reception, processing steps, supplements, fees, results, tracking, statistics"),
        (name = "registration", description = "GovStack Registration building block API over the one-stop engine"),
        (name = "lgsp", description = "LGSP: registry of members, subsystems and services, access rights, monitoring, the sealed message log"),
        (name = "docflow", description = "Document management (quản lý văn bản): incoming and outgoing documents, registers, assignment, approval, issue, edXML exchange"),
        (name = "docflow-hub", description = "The document exchange hub (trục liên thông văn bản): edXML packages and status messages between agencies")
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("The bootstrap administrator token")).build(),
            ),
        );
    }
}

/// The OpenAPI description of every API.
pub fn openapi(app: &App) -> utoipa::openapi::OpenApi {
    api_router(app).1
}

fn api_router(app: &App) -> (Router, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(catalog::api::router().with_state(app.catalog.clone()))
        .merge(identity::api::router().with_state(app.identity.clone()))
        .merge(notify::api::router().with_state(app.notify.clone()))
        .merge(onestop::api::router().with_state(app.onestop.clone()))
        .merge(onestop::registration::router().with_state(app.onestop.clone()))
        .merge(lgsp::api::router().with_state(app.lgsp.clone()))
        .merge(docflow::api::router().with_state(app.docflow.clone()))
        .split_for_parts();
    problems_described(&mut openapi);
    (router, openapi)
}

/// Every failure is a problem (RFC 9457) sent as `application/problem+json`; the handlers'
/// descriptions name it by its schema only. So each problem answer is filed under that media
/// type, and each operation also gets a `default` answer: whatever other failure it meets (a
/// body that is no JSON, a missing sign-in, a rate limit, an outage) is a problem too.
fn problems_described(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    const PROBLEM: &str = "application/problem+json";
    let is_problem = |c: &RefOr<utoipa::openapi::Content>| matches!(c, RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location == "#/components/schemas/Problem"));
    for item in doc.paths.paths.values_mut() {
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch, &mut item.head, &mut item.options];
        for op in ops.into_iter().flatten() {
            for r in op.responses.responses.values_mut() {
                if let RefOr::T(r) = r
                    && r.content.get("application/json").is_some_and(is_problem)
                    && let Some(c) = r.content.shift_remove("application/json")
                {
                    r.content.insert(PROBLEM.to_owned(), c);
                }
            }
            op.responses.responses.entry("default".to_owned()).or_insert_with(|| {
                ResponseBuilder::new()
                    .description("Any other failure, as a problem: the body unreadable, the caller not signed in or not allowed, too many requests, the platform unavailable")
                    .content(PROBLEM, ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
                    .build()
                    .into()
            });
        }
    }
}

/// Whether a path is an API's, answered with problems rather than pages.
pub(crate) fn is_api(path: &str) -> bool {
    ["/api/", "/data/", "/r1/"].iter().any(|p| path.starts_with(p))
}

async fn not_found(req: Request) -> Response {
    let path = req.uri().path();
    if is_api(path) {
        Problem::new("not-found", Some(format!("không có đường dẫn {path} (no such endpoint)"))).into_response()
    } else {
        let (mut parts, _) = req.into_parts();
        use axum::extract::FromRequestParts;
        let shell = match web::Shell::from_request_parts(&mut parts, &()).await {
            Ok(s) => s,
            Err(never) => match never {},
        };
        web::page::error_page(shell, kernel::Error::not_found(format!("trang {}", parts.uri.path())))
    }
}

/// The whole HTTP application.
pub fn build_router(app: App) -> Router {
    crate::ops::prometheus();
    let (api, openapi) = api_router(&app);
    let request_id = HeaderName::from_static("x-request-id");
    let ops = Router::new()
        .route("/healthz", get(crate::ops::healthz))
        .route("/readyz", get(crate::ops::readyz))
        .route("/metrics", get(crate::ops::metrics))
        .with_state(app.clone());
    let site = Router::new()
        .merge(api)
        .merge(catalog::pages::router().with_state(app.catalog.clone()))
        .merge(identity::pages::router().with_state(app.identity.clone()))
        .merge(identity::oidc::api::router().with_state(app.identity.clone()))
        .merge(notify::pages::router().with_state(app.notify.clone()))
        .merge(onestop::pages::router().with_state(app.onestop.clone()))
        .merge(lgsp::pages::router().with_state(app.lgsp.clone()))
        .merge(docflow::pages::router().with_state(app.docflow.clone()))
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi))
        .merge(ops)
        .merge(web::page::routes())
        .fallback(not_found)
        .route_layer(axum::middleware::from_fn(crate::ops::track))
        .layer(DefaultBodyLimit::max(app.config.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(app.identity.clone(), identity::middleware::authenticate))
        .layer(axum::Extension(Arc::new(SiteInfo { province_name: app.config.province_name.clone() })))
        .layer(axum::middleware::from_fn(web::headers::security_headers))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(app.config.request_timeout_secs)))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    // The gateway's paths skip the site's layers (request ids, tracing spans, timeouts,
    // browser security headers, per-route metrics): the gateway answers with the upstream's
    // headers plus X-Road's, times out per service, and logs and counts every exchange itself.
    Router::new()
        .merge(
            lgsp::gateway::router()
                .with_state(app.lgsp.clone())
                .layer(axum::middleware::from_fn_with_state(app.identity.clone(), identity::middleware::authenticate)),
        )
        .fallback_service(site)
}
