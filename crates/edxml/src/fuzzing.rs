//! The properties the fuzz target checks on arbitrary bytes, shared with the corpus replay test
//! so CI checks the corpus without cargo-fuzz. Panics when a property fails; never otherwise.

use std::collections::HashMap;
use std::io::Write;

use sha2::{Digest, Sha256};

use crate::{
    AttachmentSink, AttachmentSource, EdxmlError, Reference, TrustStore, read_package, read_status, verify, write_package, write_status,
};

/// Keeps attachments (fuzz inputs are small).
#[derive(Default)]
struct Keep(HashMap<String, Vec<u8>>);

struct Into<'a>(&'a mut Vec<u8>);
impl Write for Into<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl AttachmentSink for Keep {
    fn begin(&mut self, r: &Reference) -> Result<Box<dyn Write + '_>, EdxmlError> {
        Ok(Box::new(Into(self.0.entry(r.content_id.clone()).or_default())))
    }
}

/// Parses `data` as a package and as a status message. Whatever parses must write back and
/// parse again to the same value; signature checking must fail cleanly.
pub fn exercise(data: &[u8]) {
    let mut keep = Keep::default();
    if let Ok(parsed) = read_package(data, &mut keep) {
        let _ = verify(&parsed, &TrustStore::new());
        let mut sources: Vec<AttachmentSource> = keep
            .0
            .iter()
            .map(|(cid, b)| AttachmentSource {
                content_id: cid.clone(),
                sha256: Sha256::digest(b).into(),
                reader: Box::new(std::io::Cursor::new(b.clone())),
            })
            .collect();
        let mut out = Vec::new();
        if let Err(e) = write_package(&mut out, &parsed.package, &mut sources, None) {
            panic!("a parsed package does not write back: {e}");
        }
        let mut again = Keep::default();
        match read_package(out.as_slice(), &mut again) {
            Ok(p) => {
                assert_eq!(p.package, parsed.package, "package changed in a round trip");
                assert_eq!(again.0, keep.0, "attachments changed in a round trip");
            }
            Err(e) => panic!("a written package does not parse: {e}"),
        }
    }
    if let Ok(msg) = read_status(data) {
        let bytes = match write_status(&msg) {
            Ok(b) => b,
            Err(e) => panic!("a parsed status message does not write back: {e}"),
        };
        match read_status(&bytes) {
            Ok(m) => assert_eq!(m, msg, "status message changed in a round trip"),
            Err(e) => panic!("a written status message does not parse: {e}"),
        }
    }
}
