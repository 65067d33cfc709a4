//! Header and manifest from the element tree. Structure and value forms are checked here (every
//! element known, required ones present, numbers and dates well formed); content rules after, in
//! `validate`.

use crate::codes::{parse_date, parse_timestamp};
use crate::error::EdxmlError;
use crate::model::*;
use crate::xml::tree::{Element, Kids};

const DATE: &str = "a date yyyy/MM/dd";

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    (s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

fn flag(s: &str) -> Option<bool> {
    match s {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

/// `From`, `To` (agency).
pub fn organization(el: &Element, path: String) -> Result<Organization, EdxmlError> {
    let k = Kids::new(
        el,
        path,
        &["OrganId", "OrganizationInCharge", "OrganName", "OrganAdd", "Email", "Telephone", "Fax", "Website"],
        &[],
        false,
    )?;
    Ok(Organization {
        organ_id: k.text("OrganId")?,
        organization_in_charge: k.opt_text("OrganizationInCharge")?,
        organ_name: k.text("OrganName")?,
        organ_add: k.opt_text("OrganAdd")?,
        email: k.opt_text("Email")?,
        telephone: k.opt_text("Telephone")?,
        fax: k.opt_text("Fax")?,
        website: k.opt_text("Website")?,
    })
}

pub fn response_for(el: &Element, path: String) -> Result<ResponseFor, EdxmlError> {
    let k = Kids::new(el, path, &["OrganId", "Code", "PromulgationDate", "DocumentId"], &[], false)?;
    Ok(ResponseFor {
        organ_id: k.text("OrganId")?,
        code: k.text("Code")?,
        promulgation_date: k.parsed("PromulgationDate", DATE, parse_date)?,
        document_id: k.opt_text("DocumentId")?,
    })
}

pub fn staff_info(el: &Element, path: String) -> Result<StaffInfo, EdxmlError> {
    let k = Kids::new(el, path, &["Department", "Staff", "Mobile", "Email"], &[], false)?;
    Ok(StaffInfo {
        department: k.opt_text("Department")?,
        staff: k.opt_text("Staff")?,
        mobile: k.opt_text("Mobile")?,
        email: k.opt_text("Email")?,
    })
}

/// Paths of repeated elements carry a 1-based index: `To[2]`.
fn indexed(k: &Kids<'_>, name: &str, i: usize) -> String {
    format!("{}[{}]", k.child_path(name), i + 1)
}

pub fn message_header(el: &Element, path: String) -> Result<MessageHeader, EdxmlError> {
    let k = Kids::new(
        el,
        path,
        &[
            "From",
            "To",
            "DocumentId",
            "Code",
            "PromulgationInfo",
            "DocumentType",
            "Subject",
            "Content",
            "SignerInfo",
            "DueDate",
            "ToPlaces",
            "OtherInfo",
            "SteeringType",
            "ResponseFor",
        ],
        &["To", "ResponseFor"],
        false,
    )?;
    let from = organization(k.req("From")?, k.child_path("From"))?;
    let to = k.all("To").enumerate().map(|(i, e)| organization(e, indexed(&k, "To", i))).collect::<Result<Vec<_>, _>>()?;
    let code_el = k.req("Code")?;
    let c = Kids::new(code_el, k.child_path("Code"), &["CodeNumber", "CodeNotation"], &[], false)?;
    let code = Code { code_number: c.text("CodeNumber")?, code_notation: c.text("CodeNotation")? };
    let p = Kids::new(k.req("PromulgationInfo")?, k.child_path("PromulgationInfo"), &["Place", "PromulgationDate"], &[], false)?;
    let promulgation = PromulgationInfo { place: p.text("Place")?, promulgation_date: p.parsed("PromulgationDate", DATE, parse_date)? };
    let d = Kids::new(k.req("DocumentType")?, k.child_path("DocumentType"), &["Type", "TypeDetail", "TypeName"], &[], false)?;
    let document_type = DocumentType {
        doc_type: d.parsed("Type", "a number 0–255", num)?,
        type_detail: d.parsed("TypeDetail", "a number 0–65535", num)?,
        type_name: d.text("TypeName")?,
    };
    let s = Kids::new(k.req("SignerInfo")?, k.child_path("SignerInfo"), &["Competence", "Position", "FullName"], &[], false)?;
    let signer = SignerInfo { competence: s.opt_text("Competence")?, position: s.text("Position")?, full_name: s.text("FullName")? };
    let to_places = match k.opt("ToPlaces") {
        Some(el) => {
            let tp = Kids::new(el, k.child_path("ToPlaces"), &["Place"], &["Place"], false)?;
            list_texts(&tp, "Place")?
        }
        None => Vec::new(),
    };
    let response_for =
        k.all("ResponseFor").enumerate().map(|(i, e)| response_for(e, indexed(&k, "ResponseFor", i))).collect::<Result<Vec<_>, _>>()?;
    Ok(MessageHeader {
        from,
        to,
        document_id: k.opt_text("DocumentId")?,
        code,
        promulgation,
        document_type,
        subject: k.text("Subject")?,
        content: k.opt_text("Content")?,
        signer,
        due_date: k.opt_parsed("DueDate", DATE, parse_date)?,
        to_places,
        other_info: other_info(k.req("OtherInfo")?, k.child_path("OtherInfo"))?,
        steering_type: k.opt_parsed("SteeringType", "a number 0–255", num)?,
        response_for,
    })
}

/// Non-empty texts of the repeated leaf `name`.
fn list_texts(k: &Kids<'_>, name: &str) -> Result<Vec<String>, EdxmlError> {
    k.all(name)
        .enumerate()
        .map(|(i, e)| {
            let p = indexed(k, name, i);
            crate::xml::tree::leaf_text(e, &p)?.ok_or_else(|| EdxmlError::invalid(p, "value is empty"))
        })
        .collect()
}

/// `OtherInfo`: the one place where elements of foreign namespaces are tolerated (and dropped),
/// since agencies put their own extensions there.
fn other_info(el: &Element, path: String) -> Result<OtherInfo, EdxmlError> {
    let k = Kids::new(
        el,
        path,
        &["Priority", "SphereOfPromulgation", "TyperNotation", "PromulgationAmount", "PageAmount", "Direction", "Appendixes"],
        &[],
        true,
    )?;
    let appendixes = match k.opt("Appendixes") {
        Some(a) => list_texts(&Kids::new(a, k.child_path("Appendixes"), &["Appendix"], &["Appendix"], false)?, "Appendix")?,
        None => Vec::new(),
    };
    Ok(OtherInfo {
        priority: k.parsed("Priority", "a priority 0–4", num)?,
        sphere_of_promulgation: k.opt_text("SphereOfPromulgation")?,
        typer_notation: k.opt_text("TyperNotation")?,
        promulgation_amount: k.opt_parsed("PromulgationAmount", "a whole number", num)?,
        page_amount: k.opt_parsed("PageAmount", "a whole number", num)?,
        direction: k.opt_parsed("Direction", "0, 1, true or false", flag)?.unwrap_or(false),
        appendixes,
    })
}

pub fn trace_header_list(el: &Element, path: String) -> Result<TraceHeaderList, EdxmlError> {
    let k = Kids::new(el, path, &["TraceHeader", "Bussiness"], &["TraceHeader"], false)?;
    let mut traces = Vec::new();
    for (i, e) in k.all("TraceHeader").enumerate() {
        let t = Kids::new(e, indexed(&k, "TraceHeader", i), &["OrganId", "Timestamp"], &[], false)?;
        traces.push(TraceHeader {
            organ_id: t.text("OrganId")?,
            timestamp: t.parsed("Timestamp", "a time yyyy/MM/dd HH:mm:ss", parse_timestamp)?,
        });
    }
    let business = match k.opt("Bussiness") {
        Some(b) => Some(business(b, k.child_path("Bussiness"))?),
        None => None,
    };
    Ok(TraceHeaderList { traces, business })
}

fn business(el: &Element, path: String) -> Result<Business, EdxmlError> {
    let k = Kids::new(
        el,
        path,
        &["BussinessDocType", "BussinessDocReason", "DocumentId", "Paper", "StaffInfo", "ReplacementInfoList"],
        &[],
        false,
    )?;
    let mut replacement_info = Vec::new();
    if let Some(list) = k.opt("ReplacementInfoList") {
        let l = Kids::new(list, k.child_path("ReplacementInfoList"), &["ReplacementInfo"], &["ReplacementInfo"], false)?;
        for (i, e) in l.all("ReplacementInfo").enumerate() {
            let r = Kids::new(e, indexed(&l, "ReplacementInfo", i), &["DocumentId", "OrganIdList"], &[], false)?;
            let ids = Kids::new(r.req("OrganIdList")?, r.child_path("OrganIdList"), &["OrganId"], &["OrganId"], false)?;
            replacement_info.push(ReplacementInfo { document_id: r.text("DocumentId")?, to_organ_ids: list_texts(&ids, "OrganId")? });
        }
    }
    Ok(Business {
        doc_type: k.parsed("BussinessDocType", "0 (new), 1 (revoke), 2 (update) or 3 (replace)", |s| {
            num(s).and_then(BusinessDocType::from_code)
        })?,
        reason: k.opt_text("BussinessDocReason")?,
        document_id: k.opt_text("DocumentId")?,
        paper: k.opt_parsed("Paper", "0 or 1", |s| num::<u8>(s).filter(|n| *n <= 1))?,
        staff_info: k.opt("StaffInfo").map(|s| staff_info(s, k.child_path("StaffInfo"))).transpose()?,
        replacement_info,
    })
}

/// `edXMLManifest > Reference*`.
pub fn manifest(el: &Element, path: String) -> Result<Vec<Reference>, EdxmlError> {
    let k = Kids::new(el, path, &["Reference"], &["Reference"], false)?;
    k.all("Reference").enumerate().map(|(i, e)| reference(e, indexed(&k, "Reference", i))).collect()
}

pub fn reference(el: &Element, path: String) -> Result<Reference, EdxmlError> {
    let k = Kids::new(el, path, &["ContentId", "ContentType", "Description", "AttachmentName"], &[], false)?;
    Ok(Reference {
        content_id: k.text("ContentId")?,
        content_type: k.text("ContentType")?,
        description: k.opt_text("Description")?,
        attachment_name: k.text("AttachmentName")?,
    })
}
