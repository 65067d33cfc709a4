//! Content rules of a package and a status message, checked before writing and after parsing;
//! errors name the element path.

use std::collections::HashSet;

use time::Date;

use crate::codes::{check_document_id, is_organ_id};
use crate::error::EdxmlError;
use crate::model::*;
use crate::xml::input::xml_char;

pub const HEADER: &str = "edXML/edXMLEnvelope/edXMLHeader";
pub const MESSAGE_HEADER: &str = "edXML/edXMLEnvelope/edXMLHeader/MessageHeader";
pub const TRACE_LIST: &str = "edXML/edXMLEnvelope/edXMLHeader/TraceHeaderList";
pub const MANIFEST: &str = "edXML/edXMLEnvelope/edXMLBody/edXMLManifest";
pub const STATUS: &str = "Status/Header/MessageStatus";

/// Required text: non-empty, and only characters XML can carry.
pub fn text(path: &str, v: &str) -> Result<(), EdxmlError> {
    if v.trim().is_empty() {
        return Err(EdxmlError::invalid(path, "required value is empty (thiếu giá trị bắt buộc)"));
    }
    chars(path, v)
}

fn chars(path: &str, v: &str) -> Result<(), EdxmlError> {
    match v.chars().find(|c| !xml_char(*c)) {
        Some(c) => Err(EdxmlError::invalid(path, format!("character U+{:04X} cannot be written in XML", c as u32))),
        None => Ok(()),
    }
}

/// Optional text: absent, or non-empty.
pub fn opt(path: &str, v: &Option<String>) -> Result<(), EdxmlError> {
    match v {
        Some(v) if v.trim().is_empty() => Err(EdxmlError::invalid(path, "must be omitted or non-empty")),
        Some(v) => chars(path, v),
        None => Ok(()),
    }
}

pub fn organ_id(path: &str, v: &str) -> Result<(), EdxmlError> {
    text(path, v)?;
    if !is_organ_id(v) {
        return Err(EdxmlError::invalid(path, format!("{v:?} is not an agency code of the form 000.00.00.H41 (mã định danh cơ quan)")));
    }
    Ok(())
}

fn document_id(path: &str, v: &Option<String>) -> Result<(), EdxmlError> {
    opt(path, v)?;
    if let Some(v) = v {
        check_document_id(v).map_err(|m| EdxmlError::invalid(path, m))?;
    }
    Ok(())
}

/// Years outside 1–9999 cannot be written as `yyyy`.
pub fn date(path: &str, d: Date) -> Result<(), EdxmlError> {
    if !(1..=9999).contains(&d.year()) {
        return Err(EdxmlError::invalid(path, format!("year {} is outside 1–9999", d.year())));
    }
    Ok(())
}

pub fn organization(path: &str, o: &Organization) -> Result<(), EdxmlError> {
    organ_id(&format!("{path}/OrganId"), &o.organ_id)?;
    opt(&format!("{path}/OrganizationInCharge"), &o.organization_in_charge)?;
    text(&format!("{path}/OrganName"), &o.organ_name)?;
    for (name, v) in
        [("OrganAdd", &o.organ_add), ("Email", &o.email), ("Telephone", &o.telephone), ("Fax", &o.fax), ("Website", &o.website)]
    {
        opt(&format!("{path}/{name}"), v)?;
    }
    Ok(())
}

pub fn response_for(path: &str, r: &ResponseFor) -> Result<(), EdxmlError> {
    organ_id(&format!("{path}/OrganId"), &r.organ_id)?;
    text(&format!("{path}/Code"), &r.code)?;
    date(&format!("{path}/PromulgationDate"), r.promulgation_date)?;
    document_id(&format!("{path}/DocumentId"), &r.document_id)
}

pub fn staff_info(path: &str, s: &StaffInfo) -> Result<(), EdxmlError> {
    for (name, v) in [("Department", &s.department), ("Staff", &s.staff), ("Mobile", &s.mobile), ("Email", &s.email)] {
        opt(&format!("{path}/{name}"), v)?;
    }
    Ok(())
}

pub fn message_header(h: &MessageHeader) -> Result<(), EdxmlError> {
    let p = MESSAGE_HEADER;
    organization(&format!("{p}/From"), &h.from)?;
    if h.to.is_empty() {
        return Err(EdxmlError::invalid(format!("{p}/To"), "at least one recipient is required (thiếu nơi nhận)"));
    }
    for (i, to) in h.to.iter().enumerate() {
        organization(&format!("{p}/To[{}]", i + 1), to)?;
    }
    document_id(&format!("{p}/DocumentId"), &h.document_id)?;
    text(&format!("{p}/Code/CodeNumber"), &h.code.code_number)?;
    text(&format!("{p}/Code/CodeNotation"), &h.code.code_notation)?;
    text(&format!("{p}/PromulgationInfo/Place"), &h.promulgation.place)?;
    date(&format!("{p}/PromulgationInfo/PromulgationDate"), h.promulgation.promulgation_date)?;
    text(&format!("{p}/DocumentType/TypeName"), &h.document_type.type_name)?;
    text(&format!("{p}/Subject"), &h.subject)?;
    opt(&format!("{p}/Content"), &h.content)?;
    opt(&format!("{p}/SignerInfo/Competence"), &h.signer.competence)?;
    text(&format!("{p}/SignerInfo/Position"), &h.signer.position)?;
    text(&format!("{p}/SignerInfo/FullName"), &h.signer.full_name)?;
    if let Some(d) = h.due_date {
        date(&format!("{p}/DueDate"), d)?;
    }
    for (i, place) in h.to_places.iter().enumerate() {
        text(&format!("{p}/ToPlaces/Place[{}]", i + 1), place)?;
    }
    let oi = &h.other_info;
    if oi.priority > 4 {
        return Err(EdxmlError::invalid(format!("{p}/OtherInfo/Priority"), format!("priority {} is outside 0–4 (độ khẩn)", oi.priority)));
    }
    opt(&format!("{p}/OtherInfo/SphereOfPromulgation"), &oi.sphere_of_promulgation)?;
    opt(&format!("{p}/OtherInfo/TyperNotation"), &oi.typer_notation)?;
    for (i, a) in oi.appendixes.iter().enumerate() {
        text(&format!("{p}/OtherInfo/Appendixes/Appendix[{}]", i + 1), a)?;
    }
    for (i, r) in h.response_for.iter().enumerate() {
        response_for(&format!("{p}/ResponseFor[{}]", i + 1), r)?;
    }
    Ok(())
}

pub fn trace_header_list(t: &TraceHeaderList) -> Result<(), EdxmlError> {
    let p = TRACE_LIST;
    for (i, tr) in t.traces.iter().enumerate() {
        organ_id(&format!("{p}/TraceHeader[{}]/OrganId", i + 1), &tr.organ_id)?;
        date(&format!("{p}/TraceHeader[{}]/Timestamp", i + 1), tr.timestamp.to_offset(crate::codes::VIETNAM).date())?;
    }
    if let Some(b) = &t.business {
        let p = format!("{p}/Bussiness");
        opt(&format!("{p}/BussinessDocReason"), &b.reason)?;
        document_id(&format!("{p}/DocumentId"), &b.document_id)?;
        if b.paper.is_some_and(|n| n > 1) {
            return Err(EdxmlError::invalid(format!("{p}/Paper"), "must be 0 or 1"));
        }
        if let Some(s) = &b.staff_info {
            staff_info(&format!("{p}/StaffInfo"), s)?;
        }
        for (i, r) in b.replacement_info.iter().enumerate() {
            let rp = format!("{p}/ReplacementInfoList/ReplacementInfo[{}]", i + 1);
            document_id(&format!("{rp}/DocumentId"), &Some(r.document_id.clone()))?;
            if r.to_organ_ids.is_empty() {
                return Err(EdxmlError::invalid(format!("{rp}/OrganIdList"), "at least one OrganId is required"));
            }
            for (j, id) in r.to_organ_ids.iter().enumerate() {
                organ_id(&format!("{rp}/OrganIdList/OrganId[{}]", j + 1), id)?;
            }
        }
    }
    Ok(())
}

pub fn references(refs: &[Reference]) -> Result<(), EdxmlError> {
    let mut seen = HashSet::new();
    for (i, r) in refs.iter().enumerate() {
        let p = format!("{MANIFEST}/Reference[{}]", i + 1);
        text(&format!("{p}/ContentId"), &r.content_id)?;
        if r.content_id.trim() != r.content_id || r.content_id.chars().any(|c| c.is_whitespace()) {
            return Err(EdxmlError::invalid(format!("{p}/ContentId"), "must not contain spaces"));
        }
        if !seen.insert(r.content_id.as_str()) {
            return Err(EdxmlError::invalid(format!("{p}/ContentId"), format!("ContentId {} is used twice", r.content_id)));
        }
        text(&format!("{p}/ContentType"), &r.content_type)?;
        opt(&format!("{p}/Description"), &r.description)?;
        text(&format!("{p}/AttachmentName"), &r.attachment_name)?;
    }
    Ok(())
}

/// All rules of a package.
pub fn package(p: &Package) -> Result<(), EdxmlError> {
    message_header(&p.header)?;
    trace_header_list(&p.traces)?;
    references(&p.references)
}

/// All rules of a status message.
pub fn status(s: &StatusMessage) -> Result<(), EdxmlError> {
    response_for(&format!("{STATUS}/ResponseFor"), &s.response_for)?;
    organization(&format!("{STATUS}/From"), &s.from)?;
    opt(&format!("{STATUS}/Description"), &s.description)?;
    date(&format!("{STATUS}/Timestamp"), s.timestamp.to_offset(crate::codes::VIETNAM).date())?;
    staff_info(&format!("{STATUS}/StaffInfo"), &s.staff_info)
}
