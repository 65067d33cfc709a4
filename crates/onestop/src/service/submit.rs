//! Submission of a dossier: online by the applicant, at the counter or by post through an
//! officer; checked against the procedure (agency, channel, e-form) before anything is written.

use super::*;

impl Onestop {
    /// Submits a dossier (status 1). Citizens and businesses submit their own online; officers
    /// at the counter submit for walk-in (or postal) applicants.
    pub async fn submit(&self, p: &Principal, input: &SubmitInput) -> Result<Dossier> {
        let pv = self.catalog.procedure(&input.procedure_code).await.map_err(|e| match e {
            Error::NotFound(_) => {
                Error::invalid("procedure_code", format!("không có thủ tục {} (no such procedure)", input.procedure_code))
            }
            e => e,
        })?;
        let agencies = self.catalog.procedure_agencies(&pv.procedure_id).await?;
        let agency_code = match (&input.agency_code, agencies.as_slice()) {
            (Some(c), _) if agencies.iter().any(|(code, _)| code == c) => c.clone(),
            (Some(c), _) => {
                return Err(Error::invalid(
                    "agency_code",
                    format!("cơ quan {c} không giải quyết thủ tục này (this agency does not handle the procedure)"),
                ));
            }
            (None, [(c, _)]) => c.clone(),
            (None, _) => return Err(Error::invalid("agency_code", "chọn cơ quan giải quyết (choose the receiving agency)")),
        };
        let agency_id = catalog::store::agencies::find_id(&self.db, &agency_code)
            .await?
            .ok_or_else(|| Error::not_found(format!("cơ quan {agency_code}")))?;
        let mut errors = Vec::new();
        let (applicant, account_id) = match p.kind {
            PrincipalKind::Citizen | PrincipalKind::Business => {
                if input.channel != Channel::Online {
                    errors.push(kernel::FieldError::new("channel", "người dân, doanh nghiệp nộp trực tuyến (applicants submit online)"));
                }
                if !pv.body.channels.is_empty() && !pv.body.channels.iter().any(|c| c == "online") {
                    errors.push(kernel::FieldError::new(
                        "channel",
                        "thủ tục này không nộp trực tuyến được (this procedure is not offered online)",
                    ));
                }
                let given = input.applicant.clone();
                let a = Applicant {
                    kind: if p.kind == PrincipalKind::Business { "business".into() } else { "citizen".into() },
                    name: p.name.clone(),
                    citizen_id: p.citizen_id.clone(),
                    tax_code: p.tax_code.clone(),
                    email: given.as_ref().and_then(|g| g.email.clone()),
                    phone: given.as_ref().and_then(|g| g.phone.clone()),
                    address: given.as_ref().and_then(|g| g.address.clone()),
                    commune_code: given.as_ref().and_then(|g| g.commune_code.clone()),
                };
                (a, Some(p.id.clone()))
            }
            PrincipalKind::Official | PrincipalKind::Bootstrap => {
                if !p.allows(Permission::DossierReceive, Some(&agency_id)) {
                    return Err(Error::Forbidden(
                        "không có quyền tiếp nhận hồ sơ tại cơ quan này (not allowed to receive dossiers here)".into(),
                    ));
                }
                if input.channel == Channel::Online {
                    errors.push(kernel::FieldError::new(
                        "channel",
                        "cán bộ nhận hồ sơ trực tiếp hoặc qua bưu chính (officers receive in person or by post)",
                    ));
                }
                match &input.applicant {
                    Some(a) => {
                        errors.extend(validate_applicant(a));
                        (a.clone(), None)
                    }
                    None => {
                        errors.push(kernel::FieldError::new("applicant", "cần thông tin người nộp (the applicant is required)"));
                        (
                            Applicant {
                                kind: "citizen".into(),
                                name: String::new(),
                                citizen_id: None,
                                tax_code: None,
                                email: None,
                                phone: None,
                                address: None,
                                commune_code: None,
                            },
                            None,
                        )
                    }
                }
            }
            PrincipalKind::System => {
                return Err(Error::Forbidden("hệ thống nộp qua API GovStack (systems submit through the Registration API)".into()));
            }
        };
        if let Some(schema) = &pv.eform {
            errors.extend(
                catalog::eform::validate_data(schema, &input.form)
                    .into_iter()
                    .map(|e| kernel::FieldError::new(format!("form.{}", e.field).replace("form./", "form."), e.message)),
            );
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let legal = legal_minutes(pv.processing.value, pv.processing.unit.as_str());
        let fee = pv.fee_total().0;
        let (process_id, _) = self.process_for(&pv.procedure_id, legal, fee > 0).await?;
        let now = self.now();
        let id = kernel::id::new_id();
        let mut tx = self.db.begin().await?;
        q("INSERT INTO dossiers (id, procedure_id, procedure_version_id, procedure_code, procedure_version, procedure_name, field_code,
             process_id, agency_id, agency_code, account_id, applicant, applicant_citizen_id, applicant_tax_code, proxy, channel, status,
             form, fee_total, legal_value, legal_unit, submitted_at, version, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17, $18, $19, $20, $21, 1, $21)")
        .bind(id.as_str())
        .bind(pv.procedure_id.as_str())
        .bind(pv.id.as_str())
        .bind(pv.code.to_string())
        .bind(pv.version)
        .bind(pv.name.as_str())
        .bind(pv.field_code.as_str())
        .bind(process_id.as_str())
        .bind(agency_id.as_str())
        .bind(agency_code.as_str())
        .bind(account_id.clone())
        .bind(serde_json::to_string(&applicant).map_err(Error::internal)?)
        .bind(applicant.citizen_id.clone())
        .bind(applicant.tax_code.clone())
        .bind(input.proxy.as_ref().map(|x| serde_json::to_string(x).unwrap_or_default()))
        .bind(input.channel.code())
        .bind(if input.form.is_null() { "{}".to_owned() } else { input.form.to_string() })
        .bind(fee)
        .bind(pv.processing.value)
        .bind(pv.processing.unit.as_str())
        .bind(now)
        .execute(&mut tx)
        .await?;
        store::append(
            &mut tx,
            &id,
            now,
            (&p.id, &p.name),
            "submitted",
            None,
            Some(Status::Submitted),
            None,
            None,
            json!({"channel": input.channel.code()}),
        )
        .await?;
        let d = Dossier {
            id: id.clone(),
            kind: "dossier".into(),
            subject: None,
            code: None,
            procedure_code: pv.code.to_string(),
            procedure_version: pv.version,
            procedure_name: pv.name.clone(),
            field_code: pv.field_code.clone(),
            agency_code: agency_code.clone(),
            applicant,
            proxy: input.proxy.clone(),
            channel: input.channel,
            status: Status::Submitted,
            status_code: Status::Submitted.code(),
            form: if input.form.is_null() { json!({}) } else { input.form.clone() },
            fee_total: fee,
            paid: 0,
            submitted_at: now,
            accepted_at: None,
            received_on: None,
            due_on: None,
            original_due_on: None,
            processed_at: None,
            returned_at: None,
            return_method: None,
            current_step: None,
            paused_days: 0,
            supplement_count: 0,
            apology_count: 0,
            due_soon: false,
            overdue: false,
            result_sha256: None,
            version: 1,
        };
        self.status_event(&mut tx, &d, None).await?;
        tx.commit().await?;
        Ok(d)
    }
}

fn validate_applicant(a: &Applicant) -> Vec<kernel::FieldError> {
    let mut v = Vec::new();
    if a.name.trim().chars().count() < 2 {
        v.push(kernel::FieldError::new("applicant.name", "bắt buộc (required)"));
    }
    match a.kind.as_str() {
        "citizen" => match &a.citizen_id {
            Some(c) if kernel::codes::CitizenId::parse(c).is_ok() => {}
            _ => v.push(kernel::FieldError::new("applicant.citizen_id", "số định danh cá nhân 12 chữ số (a 12-digit personal number)")),
        },
        "business" => match &a.tax_code {
            Some(c) if kernel::codes::TaxCode::parse(c).is_ok() => {}
            _ => v.push(kernel::FieldError::new("applicant.tax_code", "mã số thuế không hợp lệ (invalid tax code)")),
        },
        _ => v.push(kernel::FieldError::new("applicant.kind", "citizen hoặc business")),
    }
    v
}
