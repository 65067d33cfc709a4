//! The agencies' signing keys for edXML packages (the agency's digital signature, chữ ký số
//! của cơ quan) and the certificates trusted to sign packages received. An agency without a
//! key gets a P-256 key and a self-signed certificate on first use, which other deployments
//! add to their trust list; an administrator may replace it with one issued by a CA.

use kernel::authz::{Permission, Principal};
use kernel::db::q;
use kernel::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{AgencyRef, Docflow};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrustedCert {
    pub sha256: String,
    pub name: String,
    pub added_at: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TrustInput {
    pub name: String,
    /// The certificate, PEM.
    pub cert_pem: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct KeyInput {
    /// PKCS#8 private key, PEM (P-256 or RSA).
    pub key_pem: String,
    /// The certificate of that key, PEM.
    pub cert_pem: String,
}

fn admin(p: &Principal) -> Result<()> {
    if p.allows(Permission::CatalogManage, None) {
        Ok(())
    } else {
        Err(Error::Forbidden("cần quyền quản trị (administration rights are required)".into()))
    }
}

fn pem_der(pem: &str) -> Result<Vec<u8>> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    data_encoding::BASE64
        .decode(body.as_bytes())
        .map_err(|_| Error::invalid("cert_pem", "không đọc được chứng thư số PEM (not a PEM certificate)"))
}

impl Docflow {
    /// The agency's key and certificate (PEM), made on first use.
    pub(crate) async fn agency_key(&self, agency: &AgencyRef) -> Result<(String, String)> {
        if let Some(r) =
            q("SELECT key_pem, cert_pem FROM docflow_keys WHERE agency_id = $1").bind(agency.id.clone()).fetch_optional(&self.db).await?
        {
            return Ok((r.text("key_pem")?, r.text("cert_pem")?));
        }
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(Error::internal)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(Error::internal)?;
        params.distinguished_name.push(rcgen::DnType::CommonName, agency.name.clone());
        params.distinguished_name.push(rcgen::DnType::OrganizationName, agency.organ_id.clone());
        params.distinguished_name.push(rcgen::DnType::CountryName, "VN");
        params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
        params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(3 * 365);
        let cert = params.self_signed(&key).map_err(Error::internal)?;
        let (key_pem, cert_pem) = (key.serialize_pem(), cert.pem());
        q("INSERT INTO docflow_keys (agency_id, key_pem, cert_pem, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (agency_id) DO NOTHING")
            .bind(agency.id.clone())
            .bind(key_pem)
            .bind(cert_pem)
            .bind(kernel::time::now_ms())
            .execute(&self.db)
            .await?;
        let r = q("SELECT key_pem, cert_pem FROM docflow_keys WHERE agency_id = $1").bind(agency.id.clone()).fetch_one(&self.db).await?;
        Ok((r.text("key_pem")?, r.text("cert_pem")?))
    }

    /// The agency's certificate (PEM), for other deployments to trust.
    pub async fn agency_certificate(&self, code: &str) -> Result<String> {
        let agency = self.agency_by_code(code).await?;
        Ok(self.agency_key(&agency).await?.1)
    }

    /// Replaces an agency's key with one issued elsewhere (an administrator's act).
    pub async fn set_agency_key(&self, p: &Principal, code: &str, input: &KeyInput) -> Result<()> {
        admin(p)?;
        let agency = self.agency_by_code(code).await?;
        edxml::Signer::from_pem(input.key_pem.as_bytes(), input.cert_pem.as_bytes())
            .map_err(|e| Error::invalid("key_pem", format!("khóa hoặc chứng thư không dùng được (unusable key or certificate): {e}")))?;
        q("INSERT INTO docflow_keys (agency_id, key_pem, cert_pem, created_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (agency_id) DO UPDATE SET key_pem = excluded.key_pem, cert_pem = excluded.cert_pem, created_at = excluded.created_at")
        .bind(agency.id)
        .bind(input.key_pem.clone())
        .bind(input.cert_pem.clone())
        .bind(kernel::time::now_ms())
        .execute(&self.db)
        .await?;
        Ok(())
    }

    pub async fn trusted(&self, p: &Principal) -> Result<Vec<TrustedCert>> {
        admin(p)?;
        q("SELECT sha256, name, added_at FROM docflow_trust ORDER BY name")
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(|r| Ok(TrustedCert { sha256: r.text("sha256")?, name: r.text("name")?, added_at: r.int("added_at")? }))
            .collect()
    }

    /// Trusts a certificate (another agency's, or a CA's) for packages received.
    pub async fn trust(&self, p: &Principal, input: &TrustInput) -> Result<TrustedCert> {
        admin(p)?;
        let name = input.name.trim();
        if name.is_empty() {
            return Err(Error::invalid("name", "cần tên (a name is required)"));
        }
        let der = pem_der(&input.cert_pem)?;
        edxml::TrustStore::new()
            .add(&der)
            .map_err(|e| Error::invalid("cert_pem", format!("chứng thư không đọc được (unreadable certificate): {e}")))?;
        let sha = kernel::blob::hex(&Sha256::digest(&der));
        let now = kernel::time::now_ms();
        q("INSERT INTO docflow_trust (sha256, name, cert_pem, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO UPDATE SET name = excluded.name")
            .bind(sha.clone())
            .bind(name)
            .bind(input.cert_pem.clone())
            .bind(now)
            .execute(&self.db)
            .await?;
        Ok(TrustedCert { sha256: sha, name: name.to_owned(), added_at: now })
    }

    /// Certificates trusted for packages received: the trust list and this deployment's own agencies.
    pub(crate) async fn trust_store(&self) -> Result<edxml::TrustStore> {
        let mut store = edxml::TrustStore::new();
        for r in q("SELECT cert_pem FROM docflow_trust UNION ALL SELECT cert_pem FROM docflow_keys").fetch_all(&self.db).await? {
            if let Err(e) = store.add(r.text("cert_pem")?.as_bytes()) {
                tracing::warn!(error = %e, "a trusted certificate could not be read");
            }
        }
        Ok(store)
    }
}
