//! The service catalogue: services (procedures) and their e-forms.

use axum::extract::State;
use kernel::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{ApiResult, Json, Problem, Query};

use crate::Onestop;

pub(super) fn router() -> OpenApiRouter<Onestop> {
    OpenApiRouter::new().routes(routes!(services)).routes(routes!(service)).routes(routes!(service_eforms)).routes(routes!(eform))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CodeValue {
    code: String,
    value: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = RegistrationService)]
#[serde(rename_all = "camelCase")]
struct Service {
    id: String,
    service_key: String,
    name: String,
    version: String,
    #[serde(rename = "type")]
    kind: String,
    is_executable: bool,
    description: String,
    service_body: Vec<CodeValue>,
}

#[derive(Deserialize, IntoParams)]
struct ServiceQuery {
    /// Words of the service name (Vietnamese, accents optional).
    name: Option<String>,
}

async fn to_service(o: &Onestop, code: &str) -> Result<Service> {
    let pv = o.catalog.procedure(code).await?;
    let mut body = vec![
        CodeValue { code: "field".into(), value: pv.field_code.clone() },
        CodeValue { code: "processingTime".into(), value: pv.processing.display(false) },
        CodeValue { code: "fee".into(), value: pv.fee_total().0.to_string() },
    ];
    for d in &pv.body.documents {
        body.push(CodeValue { code: format!("document:{}", d.code), value: d.name.clone() });
    }
    Ok(Service {
        id: pv.code.to_string(),
        service_key: pv.code.to_string(),
        name: pv.name.clone(),
        version: pv.version.to_string(),
        kind: "Public".into(),
        is_executable: true,
        description: pv.body.result.clone(),
        service_body: body,
    })
}

/// Services (procedures) available.
#[utoipa::path(get, path = "/registration/services", tag = "registration", params(ServiceQuery),
    responses((status = 200, body = Vec<Service>)))]
async fn services(State(o): State<Onestop>, Query(q): Query<ServiceQuery>) -> ApiResult<Json<Vec<Service>>> {
    let f = catalog::store::procedures::ProcedureFilter { q: q.name, ..Default::default() };
    let (list, _) = o.catalog.search_procedures(&f, 0, 500).await.or_problem()?;
    let mut out = Vec::with_capacity(list.len());
    for p in list {
        out.push(Service {
            id: p.code.clone(),
            service_key: p.code.clone(),
            name: p.name,
            version: p.version.to_string(),
            kind: "Public".into(),
            is_executable: true,
            description: String::new(),
            service_body: vec![CodeValue { code: "field".into(), value: p.field_code }],
        });
    }
    Ok(Json(out))
}

#[utoipa::path(get, path = "/registration/services/{serviceKey}", tag = "registration", params(("serviceKey" = String, Path)),
    responses((status = 200, body = Service), (status = 404, body = Problem)))]
async fn service(State(o): State<Onestop>, Path(key): Path<String>) -> ApiResult<Json<Service>> {
    Ok(Json(to_service(&o, &key).await.or_problem()?))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct EFormItem {
    e_form_id: String,
    name: String,
    description: String,
    version: String,
    latest: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    schema: Option<Value>,
}

/// E-forms of a service: its JSON Schema, per version (`eFormId` = `<code>@<version>`).
#[utoipa::path(get, path = "/registration/services/{serviceKey}/eForms", tag = "registration", params(("serviceKey" = String, Path)),
    responses((status = 200, body = Vec<EFormItem>), (status = 404, body = Problem)))]
async fn service_eforms(State(o): State<Onestop>, Path(key): Path<String>) -> ApiResult<Json<Vec<EFormItem>>> {
    let versions = o.catalog.procedure_versions(&key).await.or_problem()?;
    if versions.is_empty() {
        return Err(Problem::from(Error::not_found(format!("dịch vụ {key}"))));
    }
    Ok(Json(
        versions
            .into_iter()
            .filter(|v| v.eform.is_some())
            .map(|v| EFormItem {
                e_form_id: format!("{}@{}", v.code, v.version),
                name: v.name.clone(),
                description: format!("Tờ khai điện tử — {}", v.name),
                version: v.version.to_string(),
                latest: v.current,
                schema: None,
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/registration/eForms/{eFormId}", tag = "registration", params(("eFormId" = String, Path)),
    responses((status = 200, body = EFormItem), (status = 404, body = Problem)))]
async fn eform(State(o): State<Onestop>, Path(id): Path<String>) -> ApiResult<Json<EFormItem>> {
    let (code, version) = id.split_once('@').ok_or_else(|| Problem::from(Error::not_found(format!("e-form {id}"))))?;
    let version: i64 = version.parse().map_err(|_| Problem::from(Error::not_found(format!("e-form {id}"))))?;
    let v = o.catalog.procedure_version(code, version).await.or_problem()?;
    let schema = v.eform.clone().ok_or_else(|| Problem::from(Error::not_found(format!("e-form {id}"))))?;
    Ok(Json(EFormItem {
        e_form_id: id.clone(),
        name: v.name.clone(),
        description: format!("Tờ khai điện tử — {}", v.name),
        version: v.version.to_string(),
        latest: v.current,
        schema: Some(schema),
    }))
}
