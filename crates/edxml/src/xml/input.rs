//! The XML input layer: quick-xml over a byte-counting "tee" reader. It refuses DTDs, processing
//! instructions and unknown entities, resolves namespaces, keeps exact byte offsets, copies the
//! bytes outside `AttachmentEncoded` (the signed part) and caps what may be buffered.

use std::io::{self, BufRead, Read};

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use super::tree::{Element, Ns};
use crate::error::EdxmlError;

/// The most bytes read through the XML parser (everything but attachment base64) before the
/// input is refused: the skeleton is a few KB, so this only stops abuse.
pub const SKELETON_LIMIT: u64 = 8 * 1024 * 1024;
/// Deepest element nesting accepted (edXML needs 6; the ds:Signature about 8 below that).
pub const MAX_DEPTH: usize = 24;

/// A `BufRead` that counts consumed bytes, optionally records them, and caps what the XML
/// parser may consume.
pub struct Tee<R> {
    inner: R,
    /// Bytes consumed so far: the input offset of the next byte.
    pub pos: u64,
    /// While true every consumed byte is appended to `recorded`.
    pub record: bool,
    pub recorded: Vec<u8>,
    /// While true, consumption is the attachment streamer's (not counted against the limit).
    pub direct: bool,
    counted: u64,
}

impl<R: BufRead> Tee<R> {
    pub fn new(inner: R, record: bool) -> Self {
        Tee { inner, pos: 0, record, recorded: Vec::new(), direct: false, counted: 0 }
    }
}

impl<R: BufRead> Read for Tee<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let b = self.fill_buf()?;
            let n = b.len().min(out.len());
            out[..n].copy_from_slice(&b[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Tee<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if !self.direct && self.counted > SKELETON_LIMIT {
            return Err(io::Error::new(io::ErrorKind::InvalidData, TooLarge));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        if self.record
            && let Ok(b) = self.inner.fill_buf()
        {
            self.recorded.extend_from_slice(&b[..n.min(b.len())]);
        }
        if !self.direct {
            self.counted += n as u64;
        }
        self.pos += n as u64;
        self.inner.consume(n);
    }
}

#[derive(Debug)]
struct TooLarge;
impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the XML outside attachment data exceeds {SKELETON_LIMIT} bytes")
    }
}
impl std::error::Error for TooLarge {}

/// One parsed XML event, owned and simplified.
pub enum Ev {
    /// Start tag (children and text empty); `empty` for `<x/>`.
    Start(Element, bool),
    End,
    Text(String),
    Comment,
    Decl {
        encoding: Option<String>,
    },
    Eof,
}

pub struct XmlIn<R: BufRead> {
    rd: NsReader<Tee<R>>,
    buf: Vec<u8>,
    /// Bytes consumed behind quick-xml's back (attachment base64), to keep offsets exact.
    skew: u64,
}

impl<R: BufRead> XmlIn<R> {
    pub fn new(input: R, record: bool) -> Self {
        XmlIn { rd: NsReader::from_reader(Tee::new(input, record)), buf: Vec::new(), skew: 0 }
    }

    pub fn tee(&mut self) -> &mut Tee<R> {
        self.rd.get_mut()
    }

    /// Tell the reader that `n` bytes were consumed directly from the tee.
    pub fn skip_direct(&mut self, n: u64) {
        self.skew += n;
    }

    /// Offset of the start of the next event (exact for markup).
    pub fn position(&self) -> u64 {
        self.rd.buffer_position() + self.skew
    }

    /// Next event and the offset where it starts.
    pub fn next(&mut self) -> Result<(u64, Ev), EdxmlError> {
        let start = self.position();
        self.buf.clear();
        let (res, ev) = match self.rd.read_resolved_event_into(&mut self.buf) {
            Ok(x) => x,
            Err(quick_xml::Error::Io(e)) => {
                if e.get_ref().is_some_and(|i| i.is::<TooLarge>()) {
                    return Err(EdxmlError::invalid("edXML", e.to_string()));
                }
                return Err(EdxmlError::Io(io::Error::new(e.kind(), e.to_string())));
            }
            Err(e) => {
                let msg = e.to_string();
                return Err(mal(&self.rd, self.skew, msg));
            }
        };
        let ns = match res {
            ResolveResult::Bound(n) => Ns::from_uri(n.as_ref()),
            ResolveResult::Unbound => Ns::None,
            ResolveResult::Unknown(p) => {
                let p = String::from_utf8_lossy(&p).into_owned();
                return Err(EdxmlError::Malformed { position: start, message: format!("namespace prefix {p:?} is not declared") });
            }
        };
        let out = match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = std::str::from_utf8(e.local_name().as_ref())
                    .map_err(|_| mal(&self.rd, self.skew, "element name is not UTF-8".into()))?
                    .to_owned();
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|err| EdxmlError::Malformed { position: start, message: err.to_string() })?;
                    let key =
                        std::str::from_utf8(a.key.as_ref()).map_err(|_| mal(&self.rd, self.skew, "attribute name is not UTF-8".into()))?;
                    if key == "xmlns" || key.starts_with("xmlns:") {
                        continue;
                    }
                    let value = a.unescape_value().map_err(|err| EdxmlError::Malformed { position: start, message: err.to_string() })?;
                    attrs.push((key.to_owned(), value.into_owned()));
                }
                let el = Element { ns, name, attrs, children: Vec::new(), text: String::new() };
                Ev::Start(el, empty)
            }
            Event::End(_) => Ev::End,
            Event::Text(t) => Ev::Text(t.xml_content().map_err(|e| mal(&self.rd, self.skew, e.to_string()))?.into_owned()),
            Event::CData(t) => Ev::Text(t.decode().map_err(|e| mal(&self.rd, self.skew, e.to_string()))?.into_owned()),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| mal(&self.rd, self.skew, e.to_string()))?.into_owned();
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten().filter(|c| xml_char(*c))
                } else {
                    match name.as_str() {
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "amp" => Some('&'),
                        "apos" => Some('\''),
                        "quot" => Some('"'),
                        _ => None,
                    }
                };
                match c {
                    Some(c) => Ev::Text(c.to_string()),
                    None => return Err(EdxmlError::EntityRefused { name, position: start }),
                }
            }
            Event::Comment(_) => Ev::Comment,
            Event::Decl(d) => {
                let encoding = match d.encoding() {
                    Some(Ok(e)) => Some(String::from_utf8_lossy(&e).into_owned()),
                    Some(Err(e)) => return Err(mal(&self.rd, self.skew, e.to_string())),
                    None => None,
                };
                Ev::Decl { encoding }
            }
            Event::PI(_) => {
                return Err(EdxmlError::Malformed { position: start, message: "processing instructions are not allowed".into() });
            }
            Event::DocType(_) => return Err(EdxmlError::DtdRefused { position: start }),
            Event::Eof => Ev::Eof,
        };
        Ok((start, out))
    }

    /// Reads the rest of the element whose start tag was `head`, children and text included.
    pub fn read_tree(&mut self, head: Element, empty: bool, depth: usize) -> Result<Element, EdxmlError> {
        if empty {
            return Ok(head);
        }
        let mut stack = vec![head];
        loop {
            let (pos, ev) = self.next()?;
            match ev {
                Ev::Start(el, empty) => {
                    if depth + stack.len() >= MAX_DEPTH {
                        return Err(EdxmlError::Malformed { position: pos, message: format!("elements nested deeper than {MAX_DEPTH}") });
                    }
                    if empty {
                        if let Some(p) = stack.last_mut() {
                            p.children.push(el);
                        }
                    } else {
                        stack.push(el);
                    }
                }
                Ev::End => {
                    let Some(done) = stack.pop() else {
                        return Err(EdxmlError::Malformed { position: pos, message: "unbalanced end tag".into() });
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Ok(done),
                    }
                }
                Ev::Text(t) => {
                    if let Some(p) = stack.last_mut() {
                        p.text.push_str(&t);
                    }
                }
                Ev::Comment => {}
                Ev::Decl { .. } => {
                    return Err(EdxmlError::Malformed { position: pos, message: "XML declaration inside the document".into() });
                }
                Ev::Eof => return Err(EdxmlError::Malformed { position: pos, message: "unexpected end of input".into() }),
            }
        }
    }
}

fn mal<R>(rd: &NsReader<Tee<R>>, skew: u64, message: String) -> EdxmlError {
    EdxmlError::Malformed { position: rd.error_position() + skew, message }
}

/// Characters allowed in XML 1.0 documents.
pub fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}
