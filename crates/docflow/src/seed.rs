//! Documents of the demo province, so `tinhso demo` opens on registers that are not empty:
//! incoming documents at Sở Tư pháp (one assigned to its specialist), a draft waiting for the
//! leader's signature, and a letter issued to UBND phường Thái An that the exchange carries
//! there. Made through the same use cases as officials' actions; only when there are none yet.

use std::collections::BTreeSet;

use kernel::authz::{Grant, Principal, PrincipalKind, Role};
use kernel::db::q;
use kernel::{Error, Result};

use crate::Docflow;
use crate::service::incoming::{AssignInput, Assignee, IncomingInput, StepInput};
use crate::service::outgoing::{IssueInput, OutgoingInput};

const STP: &str = "000.00.13.H99";
const PTA: &str = "000.00.51.H99";

async fn acting(d: &Docflow, login: &str, role: Role) -> Result<Principal> {
    let r = q("SELECT a.id, a.full_name, a.agency_id FROM accounts a WHERE a.login = $1")
        .bind(login)
        .fetch_optional(&d.db)
        .await?
        .ok_or_else(|| Error::not_found(format!("demo account {login}")))?;
    let agency_id = r.text("agency_id")?;
    Ok(Principal {
        kind: PrincipalKind::Official,
        id: r.text("id")?,
        name: r.text("full_name")?,
        citizen_id: None,
        tax_code: None,
        agency_id: Some(agency_id.clone()),
        grants: vec![Grant { role, agency_id: agency_id.clone(), include_children: false, covers: BTreeSet::from([agency_id]) }],
        mfa: true,
    })
}

/// A one-page PDF with the document's subject, as its main file.
fn letter(subject: &str, from: &str) -> Vec<u8> {
    let mut doc = pdfdoc::Document::new(subject);
    doc.add_page();
    doc.text(297.0, 780.0, 12.0, true, pdfdoc::Align::Center, from);
    doc.text(297.0, 740.0, 14.0, true, pdfdoc::Align::Center, "CÔNG VĂN");
    let mut y = 700.0;
    for line in doc.wrap(subject, 12.0, 460.0) {
        doc.text(297.0, y, 12.0, false, pdfdoc::Align::Center, &line);
        y -= 18.0;
    }
    doc.text(70.0, y - 30.0, 11.0, false, pdfdoc::Align::Left, "(Văn bản mẫu của tỉnh Thái An — dữ liệu trình diễn)");
    doc.finish()
}

pub async fn demo(d: &Docflow) -> Result<()> {
    if q("SELECT COUNT(*) FROM documents").fetch_i64(&d.db).await? > 0 {
        return Ok(());
    }
    let clerk = acting(d, "vanthu.stp", Role::Clerk).await?;
    let leader = acting(d, "lanhdao.stp", Role::AgencyLeader).await?;
    let specialist = acting(d, "chuyenvien.stp", Role::Specialist).await?;
    let incoming = [
        (8, "Về việc tổ chức Hội nghị tổng kết công tác tư pháp năm 2026", "Bộ Tư pháp", "2145", "BTP-VP", 2),
        (1, "Về việc rà soát thủ tục hành chính lĩnh vực hộ tịch", "Ủy ban nhân dân tỉnh Thái An", "512", "UBND-NC", 1),
        (23, "Giấy mời dự họp giao ban khối nội chính quý IV", "Văn phòng UBND tỉnh Thái An", "88", "GM-VP", 0),
    ];
    let mut first = None;
    for (kind, subject, sender, number, notation, priority) in incoming {
        let doc = d
            .register_incoming(
                &clerk,
                &IncomingInput {
                    agency_code: Some(STP.into()),
                    kind,
                    code_number: Some(number.into()),
                    code_notation: Some(notation.into()),
                    subject: subject.into(),
                    sender_name: sender.into(),
                    promulgation_date: Some(kernel::time::date_text(kernel::time::today_vn())),
                    priority,
                    ..Default::default()
                },
            )
            .await?;
        d.add_file(&clerk, &doc.id, "main", "van-ban.pdf", "application/pdf", &letter(subject, sender)).await?;
        first.get_or_insert(doc);
    }
    if let Some(doc) = first {
        d.assign(
            &leader,
            &doc.id,
            &AssignInput {
                version: doc.version,
                assignees: vec![Assignee { account_id: specialist.id.clone(), role: "main".into() }],
                deadline: Some(kernel::time::date_text(kernel::time::today_vn() + time::Duration::days(10))),
                note: Some("Tham mưu nội dung báo cáo".into()),
            },
        )
        .await?;
    }
    // A draft waiting for the leader, and a letter issued to the ward.
    let draft = d
        .draft(
            &specialist,
            &OutgoingInput {
                agency_code: Some(STP.into()),
                kind: 15,
                subject: "Báo cáo kết quả công tác tư pháp năm 2026".into(),
                recipients: vec!["000.00.00.H99".into()],
                signer_position: Some("Giám đốc".into()),
                ..Default::default()
            },
        )
        .await?;
    d.add_file(&specialist, &draft.id, "main", "bao-cao.pdf", "application/pdf", &letter(&draft.subject, "SỞ TƯ PHÁP")).await?;
    d.submit(&specialist, &draft.id, &StepInput { version: draft.version, note: None }).await?;
    let letter_doc = d
        .draft(
            &specialist,
            &OutgoingInput {
                agency_code: Some(STP.into()),
                kind: 1,
                subject: "Về việc hướng dẫn đăng ký khai sinh trực tuyến".into(),
                recipients: vec![PTA.into()],
                signer_position: Some("Phó Giám đốc".into()),
                priority: 1,
                ..Default::default()
            },
        )
        .await?;
    d.add_file(&specialist, &letter_doc.id, "main", "cong-van.pdf", "application/pdf", &letter(&letter_doc.subject, "SỞ TƯ PHÁP")).await?;
    let x = d.submit(&specialist, &letter_doc.id, &StepInput { version: letter_doc.version, note: None }).await?;
    let x = d.approve(&leader, &letter_doc.id, &StepInput { version: x.version, note: None }).await?;
    d.issue(&clerk, &letter_doc.id, &IssueInput { version: x.version, register_code: None }).await?;
    Ok(())
}
