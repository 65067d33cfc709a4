//! The SOAP bridge: a service described by WSDL/SOAP (1.1 or 1.2) exposed to REST/JSON clients,
//! or a REST/JSON service offered to SOAP clients, per service. JSON objects map to elements,
//! arrays to repeated elements, scalars to text. XML is read without any DTD: a document with a
//! `DOCTYPE` (the door to entity expansion and external entities) is refused, as is any entity
//! other than the five XML defines and character references; nesting is limited.

pub mod described;
pub mod rest;
pub(crate) mod typed;
pub mod wsdl;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::xml::{MAX_DEPTH, Node, parse};
pub use wsdl::Operation;

/// How a service is bridged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SoapMapping {
    /// `rest_to_soap`: clients call with JSON (`POST .../SERVICE/{operation}`), the upstream
    /// speaks SOAP. `soap_to_rest`: clients send SOAP envelopes, the upstream takes JSON at
    /// `{upstream_url}/{operation}`.
    pub mode: String,
    /// `1.1` or `1.2`. When left empty, the service's WSDL description decides (1.1 when it has
    /// bindings for both); 1.1 without one.
    #[serde(default)]
    pub version: String,
    /// The operations' XML namespace. May be left empty when the service has a WSDL
    /// description: its target namespace.
    #[serde(default)]
    pub namespace: String,
    /// Read from the service's WSDL description when it has one (anything sent here is
    /// replaced): each operation's action and the fields of its request and response, which the
    /// bridge then holds requests to and converts by. For `soap_to_rest`, an OpenAPI
    /// description (JSON or YAML) gives them too: each `POST /{operation}`, its fields from the request and
    /// answer schemas. Without either, any operation name passes and values are converted as
    /// they come.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Operation>,
}

impl SoapMapping {
    /// Checks the mapping and settles it against the service's description (kind and text), if
    /// any. A WSDL gives the version and namespace when left empty and the operations of the
    /// binding of that version; a JSON service's OpenAPI description gives the operations its
    /// SOAP clients call. Gives the field at fault with the problem.
    pub fn settled(&self, description: Option<(&str, &str)>) -> Result<SoapMapping, (&'static str, String)> {
        let described = |kind: &str| description.filter(|(k, t)| *k == kind && !t.trim().is_empty()).map(|(_, t)| t);
        if !matches!(self.mode.as_str(), "rest_to_soap" | "soap_to_rest") {
            return Err(("soap.mode", "rest_to_soap hoặc soap_to_rest".into()));
        }
        let mut m = SoapMapping { operations: Vec::new(), ..self.clone() };
        m.version = m.version.trim().to_owned();
        m.namespace = m.namespace.trim().to_owned();
        if let Some(text) = described("wsdl") {
            let contract = wsdl::read(text).map_err(|e| ("description", format!("WSDL: {e}")))?;
            if m.version.is_empty() {
                m.version = contract.bindings.iter().map(|(v, _)| v.clone()).min().unwrap_or_default();
            }
            m.operations = contract
                .operations(&m.version)
                .ok_or_else(|| ("soap.version", format!("the WSDL has no SOAP {} binding", m.version)))?
                .to_vec();
            if m.namespace.is_empty() {
                m.namespace = contract.namespace;
            }
        }
        if m.version.is_empty() {
            m.version = "1.1".into();
        }
        if !matches!(m.version.as_str(), "1.1" | "1.2") {
            return Err(("soap.version", "1.1 hoặc 1.2".into()));
        }
        if m.namespace.is_empty() || m.namespace.contains(['"', '<', '>', '&']) {
            return Err(("soap.namespace", "bắt buộc khi không có WSDL (required without a WSDL description)".into()));
        }
        if let Some(text) = described("openapi").filter(|_| m.mode == "soap_to_rest") {
            m.operations = rest::operations(text, &m.namespace).map_err(|e| ("description", e))?;
        }
        Ok(m)
    }

    /// The operation a JSON client names: None when the mapping has no operations (no WSDL),
    /// an error naming the operations there are when it is not one of them.
    pub fn operation(&self, name: &str) -> Result<Option<&Operation>, String> {
        self.find(|o| o.name == name, name)
    }

    /// The operation whose request element a SOAP client sent.
    pub fn operation_for(&self, element: &str) -> Result<Option<&Operation>, String> {
        self.find(|o| o.input.element == element, element)
    }

    fn find(&self, pick: impl Fn(&Operation) -> bool, name: &str) -> Result<Option<&Operation>, String> {
        if self.operations.is_empty() {
            return Ok(None);
        }
        match self.operations.iter().find(|o| pick(o)) {
            Some(o) => Ok(Some(o)),
            None => {
                let list: Vec<&str> = self.operations.iter().map(|o| o.name.as_str()).collect();
                Err(format!("không có thao tác {name} (no operation {name}; the service's WSDL has {})", list.join(", ")))
            }
        }
    }

    /// The action of an operation: the WSDL's, or `{namespace}/{operation}` without one.
    pub fn action_of(&self, name: &str) -> String {
        match self.operation(name) {
            Ok(Some(o)) => o.action.clone(),
            _ => format!("{}/{name}", self.namespace.trim_end_matches('/')),
        }
    }

    fn envelope_ns(&self) -> &'static str {
        if self.version == "1.2" { "http://www.w3.org/2003/05/soap-envelope" } else { "http://schemas.xmlsoap.org/soap/envelope/" }
    }

    /// Content type of the messages, with the action for SOAP 1.2.
    pub fn content_type(&self, action: &str) -> String {
        if self.version == "1.2" && !action.is_empty() {
            format!("application/soap+xml; charset=utf-8; action=\"{action}\"")
        } else if self.version == "1.2" {
            "application/soap+xml; charset=utf-8".into()
        } else {
            "text/xml; charset=utf-8".into()
        }
    }

    /// The SOAPAction header (SOAP 1.1).
    pub fn soap_action(&self, action: &str) -> Option<String> {
        (self.version == "1.1").then(|| format!("\"{action}\""))
    }

    /// The body element `name` holding `value` as it comes, in the mapping's namespace (for a
    /// mapping without a WSDL).
    pub fn free_body(&self, name: &str, value: &Value) -> Result<String, String> {
        let body = wsdl::Body { element: name.to_owned(), namespace: self.namespace.clone(), fields: None };
        typed::write_body(&body, value, false)
    }

    /// A SOAP envelope around a body element.
    pub fn envelope(&self, body: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"{}\"><soap:Body>{body}</soap:Body></soap:Envelope>",
            self.envelope_ns()
        )
    }

    /// A SOAP fault with a message.
    pub fn fault(&self, client_side: bool, message: &str) -> String {
        let ns = self.envelope_ns();
        let body = if self.version == "1.2" {
            format!(
                "<soap:Fault><soap:Code><soap:Value>soap:{}</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang=\"vi\">{}</soap:Text></soap:Reason></soap:Fault>",
                if client_side { "Sender" } else { "Receiver" },
                xml_escape(message)
            )
        } else {
            format!(
                "<soap:Fault><faultcode>soap:{}</faultcode><faultstring>{}</faultstring></soap:Fault>",
                if client_side { "Client" } else { "Server" },
                xml_escape(message)
            )
        };
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"{ns}\"><soap:Body>{body}</soap:Body></soap:Envelope>"
        )
    }
}

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `n` is a name for an element and a path segment: letters (Vietnamese ones included),
/// digits, `_ - .`, starting with a letter or `_`, each character one XML allows in names.
pub(crate) fn valid_name(n: &str) -> bool {
    let mut chars = n.chars();
    chars.next().is_some_and(|c| (c.is_alphabetic() && xml_name_start(c)) || c == '_')
        && chars.all(|c| (c.is_alphanumeric() && (xml_name_start(c) || c.is_ascii_digit())) || matches!(c, '_' | '-' | '.'))
}

/// XML 1.0's NameStartChar, but for `:` (names here are unqualified).
fn xml_name_start(c: char) -> bool {
    c.is_ascii_alphabetic()
        || c == '_'
        || matches!(c as u32, 0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x2FF | 0x370..=0x37D | 0x37F..=0x1FFF | 0x200C..=0x200D
            | 0x2070..=0x218F | 0x2C00..=0x2FEF | 0x3001..=0xD7FF | 0xF900..=0xFDCF | 0xFDF0..=0xFFFD | 0x10000..=0xEFFFF)
}

/// A JSON value as the element `name`: objects as child elements, arrays as the element
/// repeated, scalars as text.
pub(crate) fn element(name: &str, v: &Value, out: &mut String, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("nested too deep".into());
    }
    match v {
        Value::Array(items) => {
            for i in items {
                element(name, i, out, depth + 1)?;
            }
        }
        Value::Object(m) => {
            out.push_str(&format!("<{name}>"));
            for (k, x) in m {
                if !valid_name(k) {
                    return Err(format!("«{k}» cannot be an XML element name"));
                }
                element(k, x, out, depth + 1)?;
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", xml_escape(s))),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
    Ok(())
}

/// An element's content as JSON, as it comes: text when it has no children, an object
/// otherwise (an element repeated becomes a list).
pub(crate) fn json_of(n: &Node) -> Value {
    if n.children.is_empty() {
        return Value::String(n.text.trim().to_owned());
    }
    let mut m = Map::new();
    for c in &n.children {
        let v = json_of(c);
        match m.get_mut(&c.name) {
            Some(Value::Array(a)) => a.push(v),
            Some(prev) => {
                let first = prev.take();
                *prev = Value::Array(vec![first, v]);
            }
            None => {
                m.insert(c.name.clone(), v);
            }
        }
    }
    Value::Object(m)
}

/// What a SOAP message carries: the body's first element (the operation's request or
/// response), or a fault's message.
#[derive(Debug)]
pub(crate) enum Message {
    Call(Node),
    Fault(String),
}

/// Reads a SOAP envelope (1.1 or 1.2) safely.
pub(crate) fn read(xml: &[u8]) -> Result<Message, String> {
    let mut root = parse(xml)?;
    if root.name != "Envelope" {
        return Err(format!("the root element is {}, not a SOAP Envelope", root.name));
    }
    let at = root.children.iter().position(|c| c.name == "Body").ok_or("the SOAP envelope has no Body")?;
    let mut body = root.children.swap_remove(at);
    if body.children.is_empty() {
        return Err("the SOAP Body is empty".into());
    }
    let first = body.children.swap_remove(0);
    if first.name == "Fault" {
        let text = |n: &Node, names: &[&str]| -> Option<String> {
            fn find<'a>(n: &'a Node, name: &str) -> Option<&'a Node> {
                n.children.iter().find_map(|c| if c.name == name { Some(c) } else { find(c, name) })
            }
            names.iter().find_map(|x| find(n, x)).map(|x| x.text.trim().to_owned())
        };
        return Ok(Message::Fault(text(&first, &["faultstring", "Text"]).unwrap_or_else(|| "SOAP fault".into())));
    }
    Ok(Message::Call(first))
}

/// The content of a request or response element as it comes: an empty element is an empty
/// object.
pub(crate) fn free_content(n: &Node) -> Value {
    if n.children.is_empty() && n.text.trim().is_empty() { Value::Object(Map::new()) } else { json_of(n) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapping(v: &str) -> SoapMapping {
        SoapMapping { mode: "rest_to_soap".into(), version: v.into(), namespace: "urn:hotich".into(), operations: Vec::new() }
    }

    #[test]
    fn json_goes_to_soap_and_back() {
        let m = mapping("1.1");
        let body = m
            .free_body("TraCuu", &json!({"soDinhDanh": "001090012345", "ten": "An & Bình <x>", "con": [{"ten": "A"}, {"ten": "B"}]}))
            .unwrap();
        let xml = m.envelope(&body);
        assert!(xml.contains("<ns:TraCuu xmlns:ns=\"urn:hotich\">") && xml.contains("An &amp; Bình &lt;x&gt;"), "{xml}");
        let Message::Call(node) = read(xml.as_bytes()).unwrap() else { panic!("a call") };
        assert_eq!((node.name.as_str(), node.ns.as_str()), ("TraCuu", "urn:hotich"));
        assert_eq!(free_content(&node), json!({"soDinhDanh": "001090012345", "ten": "An & Bình <x>", "con": [{"ten": "A"}, {"ten": "B"}]}));
        let Message::Fault(f) = read(m.fault(true, "sai số").as_bytes()).unwrap() else { panic!("a fault") };
        assert_eq!(f, "sai số");
        let Message::Fault(f) = read(mapping("1.2").fault(false, "lỗi").as_bytes()).unwrap() else { panic!("a 1.2 fault") };
        assert_eq!(f, "lỗi");
    }

    #[test]
    fn entity_expansion_and_external_entities_are_refused() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><a>&lol2;</a></soap:Body></soap:Envelope>"#;
        assert!(read(bomb.as_bytes()).unwrap_err().contains("DOCTYPE"));
        let xxe = r#"<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><soap:Envelope xmlns:soap="x"><soap:Body><a>&e;</a></soap:Body></soap:Envelope>"#;
        assert!(read(xxe.as_bytes()).unwrap_err().contains("DOCTYPE"));
        let undeclared = r#"<soap:Envelope xmlns:soap="x"><soap:Body><a>&e;</a></soap:Body></soap:Envelope>"#;
        assert!(read(undeclared.as_bytes()).unwrap_err().contains("&e;"));
        let deep =
            format!("<soap:Envelope xmlns:soap=\"x\"><soap:Body>{}{}</soap:Body></soap:Envelope>", "<a>".repeat(100), "</a>".repeat(100));
        assert!(read(deep.as_bytes()).unwrap_err().contains("deep"));
        assert!(read(b"<soap:Envelope><soap:Body><a></soap:Body>").is_err());
        assert!(mapping("1.1").free_body("x", &json!({"bad name": 1})).is_err());
        // Vietnamese names are XML names; characters Unicode calls letters or digits but XML
        // does not take in names (ª, ²) are not.
        assert!(valid_name("hoTênĐầyĐủ_2") && valid_name("_x.y-z"));
        for bad in ["ªa", "a²", "2a", "-a", "a b", "a:b", ""] {
            assert!(!valid_name(bad), "{bad}");
        }
        // Many attributes, duplicates, or too many elements: refused before they cost much.
        let many = format!("<a {}/>", (0..300).map(|i| format!("a{i}=\"\"")).collect::<Vec<_>>().join(" "));
        assert!(read(many.as_bytes()).unwrap_err().contains("attributes"));
        assert!(read(br#"<a x="1" x="2"/>"#).unwrap_err().contains("twice"));
        let wide = format!("<a>{}</a>", "<b/>".repeat(500_001));
        assert!(read(wide.as_bytes()).unwrap_err().contains("elements"));
        let undeclared_prefix = r#"<s:Envelope><s:Body><a/></s:Body></s:Envelope>"#;
        assert!(read(undeclared_prefix.as_bytes()).unwrap_err().contains("prefix"));
    }
}
