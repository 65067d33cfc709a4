//! Writing a package: the skeleton (envelope with header, manifest and signature) is made in
//! memory and signed, then written, and the attachments are streamed after it as base64 lines
//! inside `AttachmentEncoded`, read from their sources in fixed chunks.

use std::io::{Read, Write};

use crate::base64::encode_stream;
use crate::error::EdxmlError;
use crate::header::write as hw;
use crate::model::Package;
use crate::sign::Signer;
use crate::validate;
use crate::xml::output::Out;

/// Where the bytes of one attachment come from.
pub struct AttachmentSource {
    /// The manifest Reference this is for.
    pub content_id: String,
    /// SHA-256 of the bytes `reader` will yield, known in advance (the blob store's address):
    /// it is signed before the bytes are read, and checked when they have been.
    pub sha256: [u8; 32],
    pub reader: Box<dyn Read + Send>,
}

impl std::fmt::Debug for AttachmentSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentSource").field("content_id", &self.content_id).finish_non_exhaustive()
    }
}

/// The closing tag the attachments are inserted before.
const ROOT_END: &str = "</edXML:edXML>";

/// The skeleton: the whole package but `AttachmentEncoded`; signed when `signer` is given.
pub(crate) fn skeleton(pkg: &Package, attachments: &[(&str, [u8; 32])], signer: Option<&Signer>) -> Result<String, EdxmlError> {
    let mut o = Out::new();
    o.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    o.open_root("edXML");
    o.open("edXMLEnvelope");
    o.open("edXMLHeader");
    hw::message_header(&mut o, &pkg.header);
    hw::trace_header_list(&mut o, &pkg.traces);
    if let Some(s) = signer {
        o.raw(&s.template(attachments, "      "));
    }
    o.close("edXMLHeader");
    o.open("edXMLBody");
    o.open("edXMLManifest");
    for r in &pkg.references {
        o.open("Reference");
        hw::reference_fields(&mut o, r);
        o.close("Reference");
    }
    o.close("edXMLManifest");
    o.close("edXMLBody");
    o.close("edXMLEnvelope");
    o.close("edXML");
    match signer {
        Some(s) => s.sign(o.s),
        None => Ok(o.s),
    }
}

/// Writes `pkg` to `out`, streaming each attachment from its source. Every manifest Reference
/// needs exactly one source (matched by ContentId). With a `signer` the package is signed; if a
/// source then yields bytes whose SHA-256 is not the declared one, an error is returned after
/// the fact and the output must be discarded.
pub fn write_package<W: Write>(
    mut out: W,
    pkg: &Package,
    attachments: &mut [AttachmentSource],
    signer: Option<&Signer>,
) -> Result<(), EdxmlError> {
    validate::package(pkg)?;
    let mut order = Vec::with_capacity(pkg.references.len());
    for (i, r) in pkg.references.iter().enumerate() {
        let found: Vec<usize> = attachments.iter().enumerate().filter(|(_, a)| a.content_id == r.content_id).map(|(j, _)| j).collect();
        if found.len() != 1 {
            let what = if found.is_empty() { "has no AttachmentSource" } else { "has several AttachmentSources" };
            return Err(EdxmlError::invalid(
                format!("{}/Reference[{}]/ContentId", validate::MANIFEST, i + 1),
                format!("{} {what}", r.content_id),
            ));
        }
        order.push(found[0]);
    }
    if let Some(extra) = attachments.iter().find(|a| !pkg.references.iter().any(|r| r.content_id == a.content_id)) {
        return Err(EdxmlError::invalid(
            validate::MANIFEST,
            format!("AttachmentSource {} has no Reference in the manifest", extra.content_id),
        ));
    }
    let digests: Vec<(&str, [u8; 32])> =
        pkg.references.iter().zip(&order).map(|(r, &j)| (r.content_id.as_str(), attachments[j].sha256)).collect();
    let skeleton = skeleton(pkg, &digests, signer)?;
    let cut = skeleton.rfind(ROOT_END).ok_or_else(|| EdxmlError::Signing("the signed skeleton lost its root end tag".into()))?;
    let (head, tail) = skeleton.split_at(cut);
    out.write_all(head.as_bytes())?;
    if !pkg.references.is_empty() {
        out.write_all(b"<edXML:AttachmentEncoded>\n")?;
        for (i, (r, &j)) in pkg.references.iter().zip(&order).enumerate() {
            let mut o = Out::new();
            o.open("Attachment");
            hw::reference_fields(&mut o, r);
            o.raw("<edXML:ContentTransferEncoded>\n");
            out.write_all(o.s.as_bytes())?;
            let src = &mut attachments[j];
            let seen = encode_stream(&mut src.reader, &mut out)?;
            if seen.sha256 != src.sha256 {
                return Err(EdxmlError::invalid(
                    format!("edXML/AttachmentEncoded/Attachment[{}]", i + 1),
                    format!("the bytes of {} do not have the declared SHA-256", r.content_id),
                ));
            }
            out.write_all(b"</edXML:ContentTransferEncoded>\n</edXML:Attachment>\n")?;
        }
        out.write_all(b"</edXML:AttachmentEncoded>")?;
    }
    out.write_all(tail.as_bytes())?;
    out.flush()?;
    Ok(())
}
