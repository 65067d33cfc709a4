//! Header and manifest to XML, in the element order of QCVN 102.

use crate::codes::{format_date, format_timestamp};
use crate::model::{Business, MessageHeader, Organization, Reference, ResponseFor, StaffInfo, TraceHeaderList};
use crate::xml::output::Out;

pub fn organization(o: &mut Out, tag: &str, org: &Organization) {
    o.open(tag);
    o.leaf("OrganId", &org.organ_id);
    o.opt("OrganizationInCharge", org.organization_in_charge.as_deref());
    o.leaf("OrganName", &org.organ_name);
    o.opt("OrganAdd", org.organ_add.as_deref());
    o.opt("Email", org.email.as_deref());
    o.opt("Telephone", org.telephone.as_deref());
    o.opt("Fax", org.fax.as_deref());
    o.opt("Website", org.website.as_deref());
    o.close(tag);
}

pub fn response_for(o: &mut Out, r: &ResponseFor) {
    o.open("ResponseFor");
    o.leaf("OrganId", &r.organ_id);
    o.leaf("Code", &r.code);
    o.leaf("PromulgationDate", &format_date(r.promulgation_date));
    o.opt("DocumentId", r.document_id.as_deref());
    o.close("ResponseFor");
}

pub fn staff_info(o: &mut Out, s: &StaffInfo) {
    o.open("StaffInfo");
    o.opt("Department", s.department.as_deref());
    o.opt("Staff", s.staff.as_deref());
    o.opt("Mobile", s.mobile.as_deref());
    o.opt("Email", s.email.as_deref());
    o.close("StaffInfo");
}

pub fn message_header(o: &mut Out, h: &MessageHeader) {
    o.open("MessageHeader");
    organization(o, "From", &h.from);
    for to in &h.to {
        organization(o, "To", to);
    }
    o.opt("DocumentId", h.document_id.as_deref());
    o.open("Code");
    o.leaf("CodeNumber", &h.code.code_number);
    o.leaf("CodeNotation", &h.code.code_notation);
    o.close("Code");
    o.open("PromulgationInfo");
    o.leaf("Place", &h.promulgation.place);
    o.leaf("PromulgationDate", &format_date(h.promulgation.promulgation_date));
    o.close("PromulgationInfo");
    o.open("DocumentType");
    o.leaf("Type", &h.document_type.doc_type.to_string());
    o.leaf("TypeDetail", &h.document_type.type_detail.to_string());
    o.leaf("TypeName", &h.document_type.type_name);
    o.close("DocumentType");
    o.leaf("Subject", &h.subject);
    o.opt("Content", h.content.as_deref());
    o.open("SignerInfo");
    o.opt("Competence", h.signer.competence.as_deref());
    o.leaf("Position", &h.signer.position);
    o.leaf("FullName", &h.signer.full_name);
    o.close("SignerInfo");
    o.opt("DueDate", h.due_date.map(format_date).as_deref());
    if !h.to_places.is_empty() {
        o.open("ToPlaces");
        for p in &h.to_places {
            o.leaf("Place", p);
        }
        o.close("ToPlaces");
    }
    let oi = &h.other_info;
    o.open("OtherInfo");
    o.leaf("Priority", &oi.priority.to_string());
    o.opt("SphereOfPromulgation", oi.sphere_of_promulgation.as_deref());
    o.opt("TyperNotation", oi.typer_notation.as_deref());
    o.opt("PromulgationAmount", oi.promulgation_amount.map(|n| n.to_string()).as_deref());
    o.opt("PageAmount", oi.page_amount.map(|n| n.to_string()).as_deref());
    o.leaf("Direction", if oi.direction { "1" } else { "0" });
    if !oi.appendixes.is_empty() {
        o.open("Appendixes");
        for a in &oi.appendixes {
            o.leaf("Appendix", a);
        }
        o.close("Appendixes");
    }
    o.close("OtherInfo");
    o.opt("SteeringType", h.steering_type.map(|n| n.to_string()).as_deref());
    for r in &h.response_for {
        response_for(o, r);
    }
    o.close("MessageHeader");
}

fn business(o: &mut Out, b: &Business) {
    o.open("Bussiness");
    o.leaf("BussinessDocType", &b.doc_type.code().to_string());
    o.opt("BussinessDocReason", b.reason.as_deref());
    o.opt("DocumentId", b.document_id.as_deref());
    o.opt("Paper", b.paper.map(|n| n.to_string()).as_deref());
    if let Some(s) = &b.staff_info {
        staff_info(o, s);
    }
    if !b.replacement_info.is_empty() {
        o.open("ReplacementInfoList");
        for r in &b.replacement_info {
            o.open("ReplacementInfo");
            o.leaf("DocumentId", &r.document_id);
            o.open("OrganIdList");
            for id in &r.to_organ_ids {
                o.leaf("OrganId", id);
            }
            o.close("OrganIdList");
            o.close("ReplacementInfo");
        }
        o.close("ReplacementInfoList");
    }
    o.close("Bussiness");
}

pub fn trace_header_list(o: &mut Out, t: &TraceHeaderList) {
    o.open("TraceHeaderList");
    for tr in &t.traces {
        o.open("TraceHeader");
        o.leaf("OrganId", &tr.organ_id);
        o.leaf("Timestamp", &format_timestamp(tr.timestamp));
        o.close("TraceHeader");
    }
    if let Some(b) = &t.business {
        business(o, b);
    }
    o.close("TraceHeaderList");
}

/// The four metadata elements shared by a manifest `Reference` and an `Attachment`.
pub fn reference_fields(o: &mut Out, r: &Reference) {
    o.leaf("ContentId", &r.content_id);
    o.leaf("ContentType", &r.content_type);
    o.opt("Description", r.description.as_deref());
    o.leaf("AttachmentName", &r.attachment_name);
}
