//! The demo province's file replica of national data: a shared registry of household
//! businesses and a directory under the data directory, with one file of the kind the national
//! database sends, imported by the schedule soon after the platform starts. Then an exchange
//! through the gateway that reads it ([`demo_exchange`]). Seeding again (another `tinhso demo`
//! on the same data) adds nothing twice.

use std::path::Path;

use catalog::model::registry::RegistryInput;
use kernel::authz::Principal;
use kernel::{Error, Result};
use serde_json::json;

use crate::Lgsp;
use crate::access::AccessInput;
use crate::model::SubsystemId;
use crate::registry::{MemberInput, ServiceInput, SubsystemInput};
use crate::replicas::ReplicaInput;

const REGISTRY: (&str, &str) = ("ho-kinh-doanh", "1");

pub async fn demo(l: &Lgsp, data_dir: &Path) -> Result<()> {
    let catalog = l.catalog.as_ref().ok_or_else(|| Error::internal("no catalog"))?;
    if catalog.registry(REGISTRY.0, REGISTRY.1).await.is_err() {
        catalog
            .define_registry(&RegistryInput {
                name: REGISTRY.0.into(),
                version: REGISTRY.1.into(),
                title: "Hộ kinh doanh (bản sao từ CSDL quốc gia về đăng ký doanh nghiệp)".into(),
                description: Some("Nhập định kỳ từ tệp do hệ thống quốc gia gửi về.".into()),
                schema: json!({"type": "object", "required": ["MaSo", "TenHo", "ChuHo"], "properties": {
                    "MaSo": {"type": "string", "title": "Mã số hộ kinh doanh", "pattern": "^[0-9A-Z.-]{6,20}$"},
                    "TenHo": {"type": "string", "title": "Tên hộ kinh doanh", "minLength": 2},
                    "ChuHo": {"type": "string", "title": "Chủ hộ", "minLength": 2},
                    "NganhNghe": {"type": "string", "title": "Ngành nghề"},
                    "DiaChi": {"type": "string", "title": "Địa chỉ"}}}),
                id_field: Some("MaSo".into()),
                personal_field: None,
            })
            .await?;
    }
    let dir = data_dir.join("replicas").join(REGISTRY.0);
    std::fs::create_dir_all(&dir).map_err(|e| Error::internal(format!("{}: {e}", dir.display())))?;
    let sample = dir.join("2026-11-01-ho-kinh-doanh.json");
    if !sample.exists() {
        let rows = json!([
            {"MaSo": "TA-HKD-000101", "TenHo": "Tạp hoá Bình An", "ChuHo": "Trần Thị Bình", "NganhNghe": "Bán lẻ", "DiaChi": "Phường 1, thành phố Thái An"},
            {"MaSo": "TA-HKD-000102", "TenHo": "Quán cơm Sông Cầu", "ChuHo": "Lê Văn Cầu", "NganhNghe": "Ăn uống", "DiaChi": "Phường 2, thành phố Thái An"},
            {"MaSo": "TA-HKD-000103", "TenHo": "Sửa xe Minh Phát", "ChuHo": "Nguyễn Minh Phát", "NganhNghe": "Sửa chữa xe máy", "DiaChi": "Xã Phú Tân"}
        ]);
        std::fs::write(&sample, serde_json::to_vec_pretty(&rows).unwrap_or_default())
            .map_err(|e| Error::internal(format!("{}: {e}", sample.display())))?;
    }
    let directory = dir.to_string_lossy().into_owned();
    if !l.replicas().await?.iter().any(|r| r.directory == directory) {
        let input = ReplicaInput {
            name: "Hộ kinh doanh (CSDL quốc gia)".into(),
            directory,
            registry: REGISTRY.0.into(),
            registry_version: REGISTRY.1.into(),
            interval_minutes: 60,
            sftp_key_file: None,
            sftp_password_file: None,
            sftp_host_key: None,
        };
        l.add_replica(&Principal::bootstrap(), &input).await?;
    }
    Ok(())
}

/// The provider of the demo's service: the Department of Finance's business registration system.
const DEMO_PROVIDER: (&str, &str, &str, &str) = ("VN", "GOV", "000.00.14.H99", "dkkd");
/// The demo's client: the one-stop system of Thái An ward, signing in as an OAuth2 client.
const DEMO_CLIENT: (&str, &str, &str, &str) = ("VN", "GOV", "000.00.51.H99", "motcua");
/// The demo's service code.
const DEMO_SERVICE: &str = "ho-kinh-doanh";

fn xid(p: (&str, &str, &str, &str)) -> SubsystemId {
    SubsystemId { instance: p.0.into(), member_class: p.1.into(), member: p.2.into(), subsystem: p.3.into() }
}

/// The demo's exchange through the gateway: the provider offers the household-business registry
/// (the platform's own `/data/ho-kinh-doanh`, at `base`; the registry's version is the first
/// segment after the service code) as the published service [`DEMO_SERVICE`]; the client
/// subsystem, signing in as the OAuth2 client `client_id`, may list it (GET `/1`) and read or
/// look up one record (POST `/1/read`, `/1/exists`). A later start on another address moves the
/// service's upstream there (the service's history says so). Returns the gateway path of the
/// registry's list and the client subsystem (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`).
pub async fn demo_exchange(l: &Lgsp, base: &str, client_id: &str) -> Result<(String, String)> {
    let by = Principal::bootstrap();
    let catalog = l.catalog.as_ref().ok_or_else(|| Error::internal("no catalog"))?;
    let members = l.members().await?;
    for (instance, class, code, _) in [DEMO_PROVIDER, DEMO_CLIENT] {
        if !members.iter().any(|m| m.instance == instance && m.member_class == class && m.code == code) {
            let name = catalog.agency(code).await?.name;
            l.create_member(&by, &MemberInput { instance: instance.into(), member_class: class.into(), code: code.into(), name }).await?;
        }
    }
    let systems = [
        (DEMO_PROVIDER, "Hệ thống thông tin đăng ký kinh doanh", None),
        (DEMO_CLIENT, "Hệ thống một cửa điện tử", Some(client_id.to_owned())),
    ];
    for (p, name, client) in systems {
        if l.subsystem(&xid(p)).await?.is_none() {
            let input = SubsystemInput {
                code: p.3.into(),
                name: name.into(),
                client_id: client,
                rate_per_minute: None,
                calls_per_day: None,
                certificate: None,
                active: Some(true),
            };
            l.create_subsystem(&by, (p.0, p.1, p.2), &input).await?;
        }
    }
    let input = ServiceInput {
        code: DEMO_SERVICE.into(),
        version: REGISTRY.1.into(),
        name: "Tra cứu hộ kinh doanh".into(),
        upstream_url: format!("{}/data/{}", base.trim_end_matches('/'), REGISTRY.0),
        description_kind: Some("openapi".into()),
        description: Some(demo_description().to_string()),
        log_bodies: Some(false),
        timeout_ms: Some(10_000),
        max_body_bytes: Some(64 * 1024),
        upstream_auth: None,
        soap: None,
    };
    let provider = xid(DEMO_PROVIDER);
    let service = match l.service(&provider, DEMO_SERVICE).await? {
        Some(s) => l.change_service(&by, &s.id, &input, true).await?,
        None => l.register_service(&by, &provider, &input).await?,
    };
    if service.state == "draft" {
        l.transition(&by, &service.id, "testing", Some("tỉnh demo (demo province)")).await?;
        l.transition(&by, &service.id, "published", Some("tỉnh demo (demo province)")).await?;
    }
    if l.access_rights(&service.id).await?.is_empty() {
        let client = xid(DEMO_CLIENT).text();
        for (method, prefix) in [("GET", None), ("POST", Some("/1/read")), ("POST", Some("/1/exists"))] {
            let right = AccessInput { client: client.clone(), method: Some(method.into()), path_prefix: prefix.map(str::to_owned) };
            l.grant(&by, &service.id, &right).await?;
        }
    }
    Ok((format!("/r1/{}/{DEMO_SERVICE}/{}", provider.encoded(), REGISTRY.1), xid(DEMO_CLIENT).text()))
}

/// What `getOpenAPI` gives the demo's clients: the registry's list, read and exists, as the
/// service answers them (paths after the service code).
fn demo_description() -> serde_json::Value {
    let query = json!({"type": "object", "required": ["query"], "properties": {"query": {"type": "object", "required": ["content"],
        "properties": {"content": {"type": "object", "description": "Trường cần khớp, ví dụ {\"MaSo\": \"TA-HKD-000101\"} (fields to match)"}}}}});
    let problem = json!({"description": "Không có bản ghi (no record)", "content": {"application/problem+json": {}}});
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Tra cứu hộ kinh doanh", "version": REGISTRY.1,
                 "description": "Bản sao CSDL quốc gia về đăng ký hộ kinh doanh, cập nhật định kỳ (GovStack Digital Registries API)."},
        "paths": {
            "/1": {"get": {"summary": "Danh sách, tìm kiếm (list, search)", "parameters": [
                {"name": "search", "in": "query", "schema": {"type": "string"}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "page_size", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
                "responses": {"200": {"description": "count, next, previous, results"}}}},
            "/1/read": {"post": {"summary": "Bản ghi đầu tiên khớp (the first matching record)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": query}}},
                "responses": {"200": {"description": "content"}, "404": problem}}},
            "/1/exists": {"post": {"summary": "Có bản ghi khớp không (whether a record matches)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": query}}},
                "responses": {"200": {"description": "answer.status"}}}}
        }
    })
}
