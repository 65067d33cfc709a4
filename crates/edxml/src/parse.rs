//! Reading a package as a stream: the envelope (header, manifest, signature) becomes a small tree
//! and then the model; each attachment's base64 is decoded piece by piece into the caller's sink
//! while its size and SHA-256 are computed. Only the skeleton and fixed buffers are held.

use std::io::{BufRead, Write};

use sha2::{Digest, Sha256};

use crate::base64::{DecodeError, Decoder};
use crate::error::EdxmlError;
use crate::header::read as hr;
use crate::model::{Package, ParsedAttachment, Reference};
use crate::validate::{self, HEADER, MANIFEST};
use crate::verify::{SignatureBlock, read_signature};
use crate::xml::input::{Ev, XmlIn};
use crate::xml::tree::{Element, Kids, Ns};

/// Receives attachment bytes as they are decoded (e.g. writes them to the blob store).
pub trait AttachmentSink {
    /// Called once per attachment, before its bytes, with its manifest entry; the returned writer
    /// gets the decoded bytes chunk by chunk and is dropped at the end of the attachment.
    fn begin(&mut self, reference: &Reference) -> Result<Box<dyn Write + '_>, EdxmlError>;
}

/// A sink that drops the bytes (the parser still measures them).
pub struct DiscardSink;

impl AttachmentSink for DiscardSink {
    fn begin(&mut self, _: &Reference) -> Result<Box<dyn Write + '_>, EdxmlError> {
        Ok(Box::new(std::io::sink()))
    }
}

/// The result of [`read_package`].
#[derive(Debug, Clone)]
pub struct ParsedPackage {
    pub package: Package,
    /// In input order.
    pub attachments: Vec<ParsedAttachment>,
    /// The input bytes without the `AttachmentEncoded` element: what the signature covers.
    pub signed_part: Vec<u8>,
    /// The `ds:Signature` as read, if any; [`crate::verify`] checks it.
    pub signature: Option<SignatureBlock>,
}

const ROOT: &str = "edXML";
const ATTACHMENTS: &str = "edXML/AttachmentEncoded";

/// Parses a package from `input`, streaming attachment bytes to `sink`.
pub fn read_package<R: BufRead>(input: R, sink: &mut dyn AttachmentSink) -> Result<ParsedPackage, EdxmlError> {
    let mut x = XmlIn::new(input, true);
    let mut envelope: Option<(Package, Option<SignatureBlock>)> = None;
    let mut attachments: Option<Vec<ParsedAttachment>> = None;
    let mut root_seen = false;
    let mut root_done = false;
    let mut first = true;
    loop {
        let (pos, ev) = x.next()?;
        let at_start = std::mem::replace(&mut first, false);
        match ev {
            Ev::Decl { encoding } if at_start => check_encoding(encoding, pos)?,
            Ev::Comment => {}
            Ev::Text(t) if t.trim().is_empty() => {}
            Ev::Eof if root_done => break,
            Ev::Start(el, empty) if !root_seen => {
                if !el.is(&Ns::Edxml, "edXML") {
                    return Err(EdxmlError::invalid(el.display_name(), "the root element must be edXML:edXML"));
                }
                root_seen = true;
                root_done = empty;
            }
            Ev::Start(el, empty) if root_seen && !root_done => {
                if el.is(&Ns::Edxml, "edXMLEnvelope") && envelope.is_none() {
                    let tree = x.read_tree(el, empty, 1)?;
                    envelope = Some(read_envelope(&tree)?);
                } else if el.is(&Ns::Edxml, "AttachmentEncoded") && attachments.is_none() {
                    let Some((pkg, _)) = &envelope else {
                        return Err(EdxmlError::invalid(ATTACHMENTS, "must come after edXMLEnvelope"));
                    };
                    // The signed part is the input without this element: cut at its `<`.
                    x.tee().recorded.truncate(pos as usize);
                    x.tee().record = false;
                    attachments = Some(if empty { Vec::new() } else { read_attachments(&mut x, &pkg.references, sink)? });
                    x.tee().record = true;
                } else {
                    let what = if el.ns == Ns::Edxml { "unknown or repeated element" } else { "element not allowed here" };
                    return Err(EdxmlError::invalid(format!("{ROOT}/{}", el.display_name()), what));
                }
            }
            Ev::End if root_seen && !root_done => root_done = true,
            Ev::Eof => return Err(EdxmlError::Malformed { position: pos, message: "unexpected end of input".into() }),
            Ev::Text(_) => return Err(EdxmlError::invalid(ROOT, "text is not allowed here")),
            _ => return Err(EdxmlError::Malformed { position: pos, message: "unexpected markup outside the root element".into() }),
        }
    }
    let Some((package, signature)) = envelope else {
        return Err(EdxmlError::invalid(format!("{ROOT}/edXMLEnvelope"), "required element is missing"));
    };
    let attachments = attachments.unwrap_or_default();
    for r in &package.references {
        if !attachments.iter().any(|a| a.content_id == r.content_id) {
            return Err(EdxmlError::invalid(
                ATTACHMENTS,
                format!("Reference {} of the manifest has no Attachment (thiếu tệp đính kèm)", r.content_id),
            ));
        }
    }
    Ok(ParsedPackage { package, attachments, signed_part: std::mem::take(&mut x.tee().recorded), signature })
}

fn check_encoding(encoding: Option<String>, pos: u64) -> Result<(), EdxmlError> {
    match encoding {
        Some(e) if !e.eq_ignore_ascii_case("utf-8") => {
            Err(EdxmlError::Malformed { position: pos, message: format!("encoding {e:?} is not supported, use UTF-8") })
        }
        _ => Ok(()),
    }
}

fn read_envelope(env: &Element) -> Result<(Package, Option<SignatureBlock>), EdxmlError> {
    let k = Kids::new(env, format!("{ROOT}/edXMLEnvelope"), &["edXMLHeader", "edXMLBody"], &[], false)?;
    let header_el = k.req("edXMLHeader")?;
    // The header may hold one ds:Signature besides the edXML elements.
    let sig_els: Vec<&Element> = header_el.children.iter().filter(|c| c.is(&Ns::Dsig, "Signature")).collect();
    if sig_els.len() > 1 {
        return Err(EdxmlError::invalid(format!("{HEADER}/ds:Signature"), "only one signature is allowed"));
    }
    let mut plain = header_el.clone();
    plain.children.retain(|c| !c.is(&Ns::Dsig, "Signature"));
    let h = Kids::new(&plain, HEADER.to_owned(), &["MessageHeader", "TraceHeaderList"], &[], false)?;
    let header = hr::message_header(h.req("MessageHeader")?, h.child_path("MessageHeader"))?;
    let traces = hr::trace_header_list(h.req("TraceHeaderList")?, h.child_path("TraceHeaderList"))?;
    let body = Kids::new(k.req("edXMLBody")?, k.child_path("edXMLBody"), &["edXMLManifest"], &[], false)?;
    let references = hr::manifest(body.req("edXMLManifest")?, MANIFEST.to_owned())?;
    let package = Package { header, traces, references, signature: None };
    validate::package(&package)?;
    let signature = sig_els.first().map(|s| read_signature(s, &format!("{HEADER}/ds:Signature"))).transpose()?;
    Ok((package, signature))
}

/// Streams `AttachmentEncoded > Attachment*`; the start tag was just read.
fn read_attachments<R: BufRead>(
    x: &mut XmlIn<R>,
    refs: &[Reference],
    sink: &mut dyn AttachmentSink,
) -> Result<Vec<ParsedAttachment>, EdxmlError> {
    let mut out: Vec<ParsedAttachment> = Vec::new();
    loop {
        let (pos, ev) = x.next()?;
        match ev {
            Ev::Start(el, empty) if el.is(&Ns::Edxml, "Attachment") => {
                let path = format!("{ATTACHMENTS}/Attachment[{}]", out.len() + 1);
                if empty {
                    return Err(EdxmlError::invalid(format!("{path}/ContentId"), "required element is missing"));
                }
                let a = read_attachment(x, &path, refs, sink)?;
                if out.iter().any(|p| p.content_id == a.content_id) {
                    return Err(EdxmlError::invalid(path, format!("ContentId {} appears twice", a.content_id)));
                }
                out.push(a);
            }
            Ev::Start(el, _) => {
                return Err(EdxmlError::invalid(format!("{ATTACHMENTS}/{}", el.display_name()), "element not allowed here"));
            }
            Ev::End => return Ok(out),
            Ev::Comment => {}
            Ev::Text(t) if t.trim().is_empty() => {}
            Ev::Text(_) => return Err(EdxmlError::invalid(ATTACHMENTS, "text is not allowed here")),
            _ => return Err(EdxmlError::Malformed { position: pos, message: "unexpected markup in AttachmentEncoded".into() }),
        }
    }
}

fn read_attachment<R: BufRead>(
    x: &mut XmlIn<R>,
    path: &str,
    refs: &[Reference],
    sink: &mut dyn AttachmentSink,
) -> Result<ParsedAttachment, EdxmlError> {
    // Metadata first (small elements), then ContentTransferEncoded, which must come last.
    let mut meta = Element { ns: Ns::Edxml, name: "Attachment".into(), attrs: vec![], children: vec![], text: String::new() };
    let mut done: Option<ParsedAttachment> = None;
    loop {
        let (pos, ev) = x.next()?;
        match ev {
            Ev::Start(el, empty) if done.is_none() && el.is(&Ns::Edxml, "ContentTransferEncoded") => {
                let k = Kids::new(&meta, path.to_owned(), &["ContentId", "ContentType", "Description", "AttachmentName"], &[], false)?;
                let cid = k.text("ContentId")?;
                let reference = refs.iter().find(|r| r.content_id == cid).ok_or_else(|| {
                    EdxmlError::invalid(k.child_path("ContentId"), format!("Attachment {cid} has no Reference in edXMLManifest"))
                })?;
                let got = hr::reference(&meta, path.to_owned())?;
                if &got != reference {
                    return Err(EdxmlError::invalid(
                        path,
                        format!("Attachment {cid} does not repeat its manifest Reference (ContentType, Description, AttachmentName)"),
                    ));
                }
                done = Some(stream_content(x, reference, empty, sink)?);
            }
            Ev::Start(el, empty) if done.is_none() => {
                let t = x.read_tree(el, empty, 4)?;
                meta.children.push(t);
            }
            Ev::Start(el, _) => {
                return Err(EdxmlError::invalid(
                    format!("{path}/{}", el.display_name()),
                    "ContentTransferEncoded must be the last element",
                ));
            }
            Ev::End => {
                return done.ok_or_else(|| EdxmlError::invalid(format!("{path}/ContentTransferEncoded"), "required element is missing"));
            }
            Ev::Comment => {}
            Ev::Text(t) if t.trim().is_empty() => {}
            Ev::Text(_) => return Err(EdxmlError::invalid(path, "text is not allowed here")),
            _ => return Err(EdxmlError::Malformed { position: pos, message: "unexpected markup in Attachment".into() }),
        }
    }
}

/// Decodes the base64 of one attachment straight from the input, up to its end tag.
fn stream_content<R: BufRead>(
    x: &mut XmlIn<R>,
    reference: &Reference,
    empty: bool,
    sink: &mut dyn AttachmentSink,
) -> Result<ParsedAttachment, EdxmlError> {
    let cid = &reference.content_id;
    let bad = |e: DecodeError| match e {
        DecodeError::Bad(message) => EdxmlError::BadBase64 { content_id: cid.clone(), message },
        DecodeError::Sink(e) => EdxmlError::Io(e),
    };
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut writer = sink.begin(reference)?;
    let mut emit = |b: &[u8]| {
        hasher.update(b);
        size += b.len() as u64;
        writer.write_all(b)
    };
    let mut dec = Decoder::new();
    if !empty {
        loop {
            // Text up to the next `<`, read directly from the input, never buffered whole.
            let tee = x.tee();
            tee.direct = true;
            let mut taken = 0u64;
            let stopped = loop {
                let buf = tee.fill_buf()?;
                if buf.is_empty() {
                    break false;
                }
                let (n, hit) = match buf.iter().position(|b| *b == b'<') {
                    Some(i) => (i, true),
                    None => (buf.len(), false),
                };
                let r = dec.feed(&buf[..n], &mut emit);
                tee.consume(n);
                taken += n as u64;
                r.map_err(bad)?;
                if hit {
                    break true;
                }
            };
            tee.direct = false;
            x.skip_direct(taken);
            if !stopped {
                return Err(EdxmlError::Malformed {
                    position: x.position(),
                    message: "unexpected end of input in ContentTransferEncoded".into(),
                });
            }
            let (pos, ev) = x.next()?;
            match ev {
                Ev::Comment => {}
                Ev::End => break,
                _ => {
                    return Err(EdxmlError::Malformed {
                        position: pos,
                        message: format!("attachment {cid}: only base64 text may be in ContentTransferEncoded"),
                    });
                }
            }
        }
    }
    dec.finish(&mut emit).map_err(bad)?;
    writer.flush()?;
    drop(writer);
    Ok(ParsedAttachment { content_id: cid.clone(), size, sha256: hasher.finalize().into() })
}
