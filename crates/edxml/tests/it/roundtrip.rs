//! Parse → build → parse gives the same package and the same attachment bytes.

use crate::common::*;
use edxml::*;

#[test]
fn full_package_survives_parse_build_parse() {
    let (pkg, files) = full();
    let built = build(&pkg, &files, None);
    let (again, sink) = parse(&built).unwrap();
    assert_eq!(again.package, pkg);
    assert_eq!(sink.files, files);
    // And building the re-parsed package gives the same bytes.
    assert_eq!(build(&again.package, &sink.files, None), built);
}

#[test]
fn minimal_package_survives_parse_build_parse() {
    let (p, sink) = parse(&fixture("minimal.xml")).unwrap();
    let built = build(&p.package, &sink.files, None);
    assert!(!String::from_utf8_lossy(&built).contains("AttachmentEncoded"));
    assert_eq!(parse(&built).unwrap().0.package, p.package);
}

#[test]
fn model_goes_through_json() {
    let (pkg, _) = full();
    let json = serde_json::to_string(&pkg).unwrap();
    assert_eq!(serde_json::from_str::<Package>(&json).unwrap(), pkg);
}

#[test]
fn invalid_model_is_refused_before_writing() {
    let (mut pkg, files) = full();
    pkg.header.other_info.priority = 5;
    let mut out = Vec::new();
    let e = write_package(&mut out, &pkg, &mut sources(&files), None).unwrap_err();
    assert_eq!(e.path(), Some("edXML/edXMLEnvelope/edXMLHeader/MessageHeader/OtherInfo/Priority"));
    assert!(out.is_empty());

    let (mut pkg, files) = full();
    pkg.header.to[1].organ_id = "000.00.13".into();
    let e = write_package(Vec::new(), &pkg, &mut sources(&files), None).unwrap_err();
    assert_eq!(e.path(), Some("edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To[2]/OrganId"));

    let (mut pkg, files) = full();
    pkg.references[2].content_id = pkg.references[0].content_id.clone();
    let e = write_package(Vec::new(), &pkg, &mut sources(&files), None).unwrap_err();
    assert!(e.to_string().contains("used twice"), "{e}");

    let (mut pkg, files) = full();
    pkg.header.subject = "  ".into();
    let e = write_package(Vec::new(), &pkg, &mut sources(&files), None).unwrap_err();
    assert_eq!(e.path(), Some("edXML/edXMLEnvelope/edXMLHeader/MessageHeader/Subject"));

    let (mut pkg, files) = full();
    pkg.header.content = Some("bell \u{7}".into());
    assert!(write_package(Vec::new(), &pkg, &mut sources(&files), None).is_err());
}

#[test]
fn every_reference_needs_exactly_one_source() {
    let (pkg, mut files) = full();
    files.remove("phuluc1.pdf");
    let e = write_package(Vec::new(), &pkg, &mut sources(&files), None).unwrap_err();
    assert!(e.to_string().contains("phuluc1.pdf has no AttachmentSource"), "{e}");
    let (pkg, mut files) = full();
    files.insert("extra.bin".into(), vec![1, 2, 3]);
    let e = write_package(Vec::new(), &pkg, &mut sources(&files), None).unwrap_err();
    assert!(e.to_string().contains("extra.bin"), "{e}");
}

#[test]
fn a_source_whose_bytes_do_not_match_its_digest_is_an_error() {
    let (pkg, files) = full();
    let mut srcs = sources(&files);
    srcs[0].sha256[0] ^= 1;
    let e = write_package(Vec::new(), &pkg, &mut srcs, None).unwrap_err();
    assert!(e.to_string().contains("declared SHA-256"), "{e}");
}

#[test]
fn text_needing_escapes_round_trips() {
    let (mut pkg, files) = full();
    pkg.header.subject = "A & B < C > D \"E\" 'F' \r\n dòng mới".into();
    let (again, _) = parse(&build(&pkg, &files, None)).unwrap();
    // Leading/trailing whitespace is trimmed on reading; inner text is kept exactly.
    assert_eq!(again.package.header.subject, pkg.header.subject);
}
