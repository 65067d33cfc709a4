//! The hand-written fixtures: what a good package reads as, and why each bad one is refused.

use crate::common::*;
use edxml::*;
use time::macros::{date, datetime};

#[test]
fn full_package_reads_every_element() {
    let (p, sink) = parse(&fixture("full.xml")).unwrap();
    let h = &p.package.header;
    assert_eq!(h.from.organ_id, "000.00.00.H41");
    assert_eq!(h.from.website.as_deref(), Some("https://example.gov.vn"));
    assert_eq!(h.to.len(), 3);
    assert_eq!(h.to[2].organ_name, "UBND huyện Mỹ Xuyên & các xã");
    assert_eq!(h.document_id.as_deref(), Some("000.00.00.H41,2024/05/10,45/QĐ-UBND"));
    assert_eq!(h.code, Code { code_number: "45".into(), code_notation: "QĐ-UBND".into() });
    assert_eq!(h.promulgation.promulgation_date, date!(2024 - 05 - 10));
    assert_eq!(h.document_type, DocumentType { doc_type: 2, type_detail: 1, type_name: "Quyết định".into() });
    assert_eq!(h.content.as_deref(), Some("Nội dung tóm tắt: các sở, ngành thực hiện <đúng hạn>."));
    assert_eq!(h.signer.competence.as_deref(), Some("TM. Ủy ban nhân dân"));
    assert_eq!(h.due_date, Some(date!(2024 - 06 - 30)));
    assert_eq!(h.to_places, ["Như Điều 3", "Lưu: VT"]);
    assert_eq!(h.other_info.priority, 2);
    assert_eq!(h.other_info.promulgation_amount, Some(20));
    assert!(h.other_info.direction);
    assert_eq!(h.other_info.appendixes.len(), 2);
    assert_eq!(h.steering_type, Some(1));
    assert_eq!(h.response_for[0].code, "120/SNV-VP");
    let t = &p.package.traces;
    assert_eq!(t.traces[0].timestamp, datetime!(2024-05-10 14:05:09 +7));
    let b = t.business.as_ref().unwrap();
    assert_eq!(b.doc_type, BusinessDocType::Replace);
    assert_eq!(b.replacement_info[0].to_organ_ids, ["000.00.12.H41", "000.00.13.H41"]);
    assert_eq!(b.staff_info.as_ref().unwrap().mobile.as_deref(), Some("0912345678"));
    assert_eq!(p.package.references.len(), 3);
    assert_eq!(p.package.references[1].description, None);
    assert!(p.signature.is_none());
    // Attachments decode (across a line break and a comment), in input order, with digests.
    assert_eq!(p.attachments.iter().map(|a| a.content_id.as_str()).collect::<Vec<_>>(), ["qd45.txt", "phuluc1.pdf", "noinhan.txt"]);
    assert_eq!(
        String::from_utf8(sink.files["noinhan.txt"].clone()).unwrap(),
        "Danh sách đơn vị nhận: Sở Nội vụ, Sở Tài chính, UBND huyện."
    );
    for a in &p.attachments {
        assert_eq!(a.size, sink.files[&a.content_id].len() as u64);
        assert_eq!(a.sha256, sha256(&sink.files[&a.content_id]));
    }
}

#[test]
fn signed_part_is_the_input_without_attachment_encoded() {
    let input = fixture("full.xml");
    let (p, _) = parse(&input).unwrap();
    let text = String::from_utf8(input).unwrap();
    let start = text.find("<edXML:AttachmentEncoded>").unwrap();
    let end = text.find("</edXML:AttachmentEncoded>").unwrap() + "</edXML:AttachmentEncoded>".len();
    assert_eq!(p.signed_part, format!("{}{}", &text[..start], &text[end..]).into_bytes());
}

#[test]
fn minimal_package_needs_only_the_required_elements() {
    let (p, _) = parse(&fixture("minimal.xml")).unwrap();
    assert_eq!(p.package.header.to.len(), 1);
    assert!(p.package.references.is_empty() && p.attachments.is_empty());
    assert!(p.package.traces.traces.is_empty() && p.package.traces.business.is_none());
    assert_eq!(p.package.header.other_info.priority, 0);
    assert!(!p.package.header.other_info.direction);
}

fn refused(name: &str) -> EdxmlError {
    match parse(&fixture(&format!("bad/{name}"))) {
        Ok(_) => panic!("{name} was accepted"),
        Err(e) => e,
    }
}

fn assert_path(e: &EdxmlError, path: &str) {
    assert_eq!(e.path(), Some(path), "{e}");
}

#[test]
fn missing_organ_id_is_refused_with_its_path() {
    let e = refused("missing_organ_id.xml");
    assert_path(&e, "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/From/OrganId");
    assert!(e.to_string().starts_with("edXML/edXMLEnvelope/edXMLHeader/MessageHeader/From/OrganId: required element is missing"), "{e}");
}

#[test]
fn impossible_date_is_refused() {
    assert_path(&refused("bad_date.xml"), "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/PromulgationInfo/PromulgationDate");
}

#[test]
fn organ_id_must_have_the_qcvn_shape() {
    assert_path(&refused("bad_organ_id.xml"), "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To[1]/OrganId");
}

#[test]
fn priority_above_four_is_refused() {
    assert_path(&refused("priority_out_of_range.xml"), "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/OtherInfo/Priority");
}

#[test]
fn a_package_needs_a_recipient() {
    assert_path(&refused("no_recipient.xml"), "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To");
}

#[test]
fn unknown_edxml_element_is_refused() {
    let e = refused("unknown_element.xml");
    assert_path(&e, "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/Summary");
    assert!(e.to_string().contains("unknown element"), "{e}");
}

#[test]
fn doctype_and_billion_laughs_are_refused_before_any_expansion() {
    assert!(matches!(refused("doctype_billion_laughs.xml"), EdxmlError::DtdRefused { position: 39 }));
}

#[test]
fn external_entity_is_refused() {
    assert!(matches!(refused("external_entity.xml"), EdxmlError::DtdRefused { .. }));
}

#[test]
fn undeclared_entity_is_refused() {
    match refused("undeclared_entity.xml") {
        EdxmlError::EntityRefused { name, .. } => assert_eq!(name, "nbsp"),
        e => panic!("{e}"),
    }
}

#[test]
fn bad_base64_names_the_attachment() {
    match refused("bad_base64.xml") {
        EdxmlError::BadBase64 { content_id, message } => {
            assert_eq!(content_id, "cv7.pdf");
            assert!(message.contains("'@'"), "{message}");
        }
        e => panic!("{e}"),
    }
}

#[test]
fn reference_without_attachment_is_refused_naming_the_id() {
    let e = refused("reference_without_attachment.xml");
    assert_path(&e, "edXML/AttachmentEncoded");
    assert!(e.to_string().contains("cv7.pdf"), "{e}");
}

#[test]
fn attachment_without_reference_is_refused_naming_the_id() {
    let e = refused("attachment_without_reference.xml");
    assert_path(&e, "edXML/AttachmentEncoded/Attachment[1]/ContentId");
    assert!(e.to_string().contains("cv7.pdf"), "{e}");
}

#[test]
fn small_attachment_package_reads() {
    let (p, sink) = parse(&fixture("small_attachment.xml")).unwrap();
    assert_eq!(sink.files["cv7.pdf"], b"%PDF-1.4\n");
    assert_eq!(p.attachments[0].size, 9);
}

#[test]
fn malformed_xml_reports_a_byte_position() {
    let mut bytes = fixture("minimal.xml");
    let at = bytes.windows(8).position(|w| w == b"</edXML:").unwrap();
    bytes[at + 2] = b'X';
    match parse(&bytes) {
        Err(EdxmlError::Malformed { position, .. }) => assert!(position > 0),
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn other_encodings_and_processing_instructions_are_refused() {
    let text = String::from_utf8(fixture("minimal.xml")).unwrap();
    let latin = text.replacen("UTF-8", "ISO-8859-1", 1);
    assert!(matches!(parse(latin.as_bytes()), Err(EdxmlError::Malformed { .. })));
    let pi = text.replacen("<edXML:edXMLEnvelope>", "<?php x?><edXML:edXMLEnvelope>", 1);
    assert!(matches!(parse(pi.as_bytes()), Err(EdxmlError::Malformed { .. })));
}

#[test]
fn foreign_elements_are_tolerated_only_in_other_info() {
    let text = String::from_utf8(fixture("minimal.xml")).unwrap();
    let ok = text.replacen("<edXML:Priority>", "<x:Extra xmlns:x=\"urn:agency\">1</x:Extra><edXML:Priority>", 1);
    assert!(parse(ok.as_bytes()).is_ok());
    let bad = text.replacen("<edXML:Subject>", "<x:Extra xmlns:x=\"urn:agency\">1</x:Extra><edXML:Subject>", 1);
    assert_path(&parse(bad.as_bytes()).err().unwrap(), "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/{urn:agency}Extra");
}

#[test]
fn each_status_code_reads_and_writes_back() {
    for code in StatusCode::ALL {
        let bytes = fixture(&format!("status/status_{}.xml", code.as_str()));
        let msg = read_status(&bytes).unwrap();
        assert_eq!(msg.status_code, code);
        assert_eq!(msg.from.organ_id, "000.00.12.H41");
        assert_eq!(msg.staff_info.staff.as_deref(), Some("Phạm Thị Dung"));
        assert_eq!(read_status(&write_status(&msg).unwrap()).unwrap(), msg);
        assert_eq!(code.as_str().parse::<StatusCode>(), Ok(code));
        assert!(!code.label_vi().is_empty());
    }
}

#[test]
fn unknown_status_code_is_refused() {
    let e = read_status(&fixture("bad/status_unknown_code.xml")).unwrap_err();
    assert_path(&e, "Status/Header/MessageStatus/StatusCode");
}

#[test]
fn status_message_refuses_a_dtd() {
    let text = String::from_utf8(fixture("status/status_01.xml")).unwrap();
    let dtd = text.replacen("<edXML:Status", "<!DOCTYPE x [<!ENTITY a \"b\">]><edXML:Status", 1);
    assert!(matches!(read_status(dtd.as_bytes()), Err(EdxmlError::DtdRefused { .. })));
}
