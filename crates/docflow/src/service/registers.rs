//! Registers (sổ văn bản) and the numbers they give: one counter per register and year,
//! allocated inside the transaction that registers the document, so concurrent clerks on
//! several server processes never share a number and a rolled-back registration gives its
//! number back.

use kernel::authz::{Permission, Principal};
use kernel::db::{Tx, q};
use kernel::{Error, Result, Violations};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AgencyRef, Docflow, require};
use crate::model::Direction;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Register {
    pub id: String,
    pub agency_code: String,
    pub direction: Direction,
    pub code: String,
    pub name: String,
    pub notation: Option<String>,
    pub active: bool,
    /// Numbers given this year so far.
    pub this_year: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RegisterInput {
    /// The agency; the caller's own when left out.
    pub agency_code: Option<String>,
    pub direction: Direction,
    /// Short code, unique in the agency (e.g. `DEN`, `CV-DI`).
    pub code: String,
    pub name: String,
    /// Outgoing registers: the notation after the number, e.g. `UBND-VP`.
    pub notation: Option<String>,
}

impl Docflow {
    pub async fn registers(&self, p: &Principal, agency: &AgencyRef) -> Result<Vec<Register>> {
        require(p, Permission::DossierView, &agency.id, "không xem được sổ văn bản của cơ quan này (not your agency's registers)")?;
        self.ensure_default_registers(agency).await?;
        let year = kernel::time::today_vn().year().to_string();
        let rows = q("SELECT r.id, r.direction, r.code, r.name, r.notation, r.active,
                             COALESCE((SELECT value FROM counters c WHERE c.scope = 'docreg' AND c.key = r.id || '/' || $2), 0) AS this_year
                      FROM doc_registers r WHERE r.agency_id = $1 ORDER BY r.direction, r.code")
        .bind(agency.id.clone())
        .bind(year)
        .fetch_all(&self.db)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Register {
                    id: r.text("id")?,
                    agency_code: agency.code.clone(),
                    direction: Direction::parse(&r.text("direction")?).ok_or_else(|| Error::internal("bad direction"))?,
                    code: r.text("code")?,
                    name: r.text("name")?,
                    notation: r.opt_text("notation")?,
                    active: r.bool("active")?,
                    this_year: r.int("this_year")?,
                })
            })
            .collect()
    }

    pub async fn create_register(&self, p: &Principal, input: &RegisterInput) -> Result<Register> {
        let agency = self.acting_agency(p, input.agency_code.as_deref()).await?;
        require(
            p,
            Permission::DocumentNumber,
            &agency.id,
            "chỉ văn thư của cơ quan mở sổ văn bản (only the agency's clerk opens registers)",
        )?;
        let mut v = Violations::new();
        let code = input.code.trim();
        if code.is_empty() || code.len() > 20 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            v.add("code", "1–20 chữ, số, - hoặc _ (1–20 letters, digits, - or _)");
        }
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            v.add("name", "tên sổ 1–200 ký tự (a name of 1–200 characters)");
        }
        let notation = input.notation.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if input.direction == Direction::Outgoing && notation.is_none() {
            v.add("notation", "sổ văn bản đi cần ký hiệu, ví dụ UBND-VP (an outgoing register needs a notation such as UBND-VP)");
        }
        v.into_result()?;
        let id = kernel::id::new_id();
        let r = q("INSERT INTO doc_registers (id, agency_id, direction, code, name, notation, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7)")
            .bind(id.clone())
            .bind(agency.id.clone())
            .bind(input.direction.as_str())
            .bind(code)
            .bind(name)
            .bind(notation.map(str::to_owned))
            .bind(kernel::time::now_ms())
            .execute(&self.db)
            .await;
        match r {
            Err(e) if e.is_unique_violation() => {
                return Err(Error::conflict(format!("cơ quan đã có sổ mã {code} (the agency already has a register {code})")));
            }
            r => r?,
        };
        self.registers(p, &agency).await?.into_iter().find(|r| r.id == id).ok_or_else(|| Error::internal("register vanished"))
    }

    /// Every agency starts with an incoming register `DEN` and an outgoing one `DI`.
    pub(crate) async fn ensure_default_registers(&self, agency: &AgencyRef) -> Result<()> {
        let have = q("SELECT COUNT(DISTINCT direction) FROM doc_registers WHERE agency_id = $1")
            .bind(agency.id.clone())
            .fetch_i64(&self.db)
            .await?;
        if have == 2 {
            return Ok(());
        }
        let short = agency.short_name.clone().filter(|s| s.chars().all(|c| c.is_alphanumeric() || c == '-') && !s.is_empty());
        let notation = short.unwrap_or_else(|| "VP".to_owned());
        for (direction, code, name, notation) in
            [("incoming", "DEN", "Sổ văn bản đến", None), ("outgoing", "DI", "Sổ văn bản đi", Some(notation))]
        {
            q("INSERT INTO doc_registers (id, agency_id, direction, code, name, notation, active, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7) ON CONFLICT (agency_id, code) DO NOTHING")
            .bind(kernel::id::new_id())
            .bind(agency.id.clone())
            .bind(direction)
            .bind(code)
            .bind(name)
            .bind(notation)
            .bind(kernel::time::now_ms())
            .execute(&self.db)
            .await?;
        }
        Ok(())
    }

    /// The register to use: the one named, or the agency's first active one of that direction.
    pub(crate) async fn pick_register(
        &self,
        agency: &AgencyRef,
        direction: Direction,
        code: Option<&str>,
    ) -> Result<(String, Option<String>)> {
        self.ensure_default_registers(agency).await?;
        let row = match code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => q("SELECT id, notation FROM doc_registers WHERE agency_id = $1 AND direction = $2 AND code = $3 AND active")
                .bind(agency.id.clone())
                .bind(direction.as_str())
                .bind(c.to_owned())
                .fetch_optional(&self.db)
                .await?
                .ok_or_else(|| Error::invalid("register_code", format!("không có sổ {c} đang dùng (no active register {c})")))?,
            None => q("SELECT id, notation FROM doc_registers WHERE agency_id = $1 AND direction = $2 AND active ORDER BY created_at, code LIMIT 1")
                .bind(agency.id.clone())
                .bind(direction.as_str())
                .fetch_one(&self.db)
                .await?,
        };
        Ok((row.text("id")?, row.opt_text("notation")?))
    }
}

/// Gives the next number of a register for this year, inside `tx`.
pub(crate) async fn allocate(tx: &mut Tx, register_id: &str, year: i32) -> Result<i64> {
    kernel::db::next_counter(tx, "docreg", &format!("{register_id}/{year}")).await
}
