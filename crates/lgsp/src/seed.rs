//! The demo province's file replica of national data: a shared registry of household
//! businesses and a directory under the data directory, with one file of the kind the national
//! database sends, imported by the schedule soon after the platform starts. Seeding again
//! (another `tinhso demo` on the same data) adds nothing twice.

use std::path::Path;

use catalog::model::registry::RegistryInput;
use kernel::authz::Principal;
use kernel::{Error, Result};
use serde_json::json;

use crate::Lgsp;
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
