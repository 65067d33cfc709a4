//! A small indenting writer for edXML elements (prefix `edXML:`), with escaping.

use std::fmt::Write as _;

pub struct Out {
    pub s: String,
    depth: usize,
}

impl Out {
    pub fn new() -> Self {
        Out { s: String::with_capacity(4096), depth: 0 }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.s.push_str("  ");
        }
    }

    /// `<edXML:name>` on its own line; deeper lines are indented.
    pub fn open(&mut self, name: &str) {
        self.indent();
        let _ = writeln!(self.s, "<edXML:{name}>");
        self.depth += 1;
    }

    /// The root start tag with the namespace declaration.
    pub fn open_root(&mut self, name: &str) {
        let _ = writeln!(self.s, "<edXML:{name} xmlns:edXML=\"{}\">", crate::model::EDXML_NS);
        self.depth += 1;
    }

    pub fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        let _ = writeln!(self.s, "</edXML:{name}>");
    }

    pub fn leaf(&mut self, name: &str, text: &str) {
        self.indent();
        let _ = write!(self.s, "<edXML:{name}>");
        escape_into(&mut self.s, text);
        let _ = writeln!(self.s, "</edXML:{name}>");
    }

    pub fn opt(&mut self, name: &str, text: Option<&str>) {
        if let Some(t) = text {
            self.leaf(name, t);
        }
    }

    /// Raw, already well-formed XML at the current depth (the signature template).
    pub fn raw(&mut self, xml: &str) {
        self.s.push_str(xml);
    }
}

/// Escapes text or attribute content: `& < > "` and CR (which XML parsers would fold away).
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    escape_into(&mut s, text);
    s
}
