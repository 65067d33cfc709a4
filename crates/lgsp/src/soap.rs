//! The SOAP bridge: a service described by WSDL/SOAP (1.1 or 1.2) exposed to REST/JSON clients,
//! or a REST/JSON service offered to SOAP clients, per service. JSON objects map to elements,
//! arrays to repeated elements, scalars to text. XML is read without any DTD: a document with a
//! `DOCTYPE` (the door to entity expansion and external entities) is refused, as is any entity
//! other than the five XML defines and character references; nesting is limited.

use quick_xml::Reader;
use quick_xml::events::Event;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// How a service is bridged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SoapMapping {
    /// `rest_to_soap`: clients call with JSON (`POST .../SERVICE/{operation}`), the upstream
    /// speaks SOAP. `soap_to_rest`: clients send SOAP envelopes, the upstream takes JSON at
    /// `{upstream_url}/{operation}`.
    pub mode: String,
    /// `1.1` or `1.2`.
    pub version: String,
    /// The operations' XML namespace.
    pub namespace: String,
}

impl SoapMapping {
    pub fn check(&self) -> Result<(), String> {
        if !matches!(self.mode.as_str(), "rest_to_soap" | "soap_to_rest") {
            return Err("soap.mode: rest_to_soap hoặc soap_to_rest".into());
        }
        if !matches!(self.version.as_str(), "1.1" | "1.2") {
            return Err("soap.version: 1.1 hoặc 1.2".into());
        }
        if self.namespace.trim().is_empty() || self.namespace.contains(['"', '<', '>', '&']) {
            return Err("soap.namespace: bắt buộc (required)".into());
        }
        Ok(())
    }

    fn envelope_ns(&self) -> &'static str {
        if self.version == "1.2" { "http://www.w3.org/2003/05/soap-envelope" } else { "http://schemas.xmlsoap.org/soap/envelope/" }
    }

    /// Content type of the messages, with the action for SOAP 1.2.
    pub fn content_type(&self, operation: &str) -> String {
        if self.version == "1.2" {
            format!("application/soap+xml; charset=utf-8; action=\"{}/{operation}\"", self.namespace.trim_end_matches('/'))
        } else {
            "text/xml; charset=utf-8".into()
        }
    }

    /// The SOAPAction header (SOAP 1.1).
    pub fn action(&self, operation: &str) -> Option<String> {
        (self.version == "1.1").then(|| format!("\"{}/{operation}\"", self.namespace.trim_end_matches('/')))
    }

    /// A SOAP envelope whose body is `<ns:{name}>` holding `value`.
    pub fn envelope(&self, name: &str, value: &Value) -> Result<String, String> {
        let mut body = String::new();
        element(&format!("ns:{name}"), value, &mut body, 0)?;
        let body = body.replacen(&format!("<ns:{name}>"), &format!("<ns:{name} xmlns:ns=\"{}\">", xml_escape(&self.namespace)), 1);
        let body = if body.starts_with(&format!("<ns:{name}/>")) {
            format!("<ns:{name} xmlns:ns=\"{}\"/>", xml_escape(&self.namespace))
        } else {
            body
        };
        Ok(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"{}\"><soap:Body>{body}</soap:Body></soap:Envelope>",
            self.envelope_ns()
        ))
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

fn valid_name(n: &str) -> bool {
    let mut chars = n.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Deepest nesting accepted, in both directions.
const MAX_DEPTH: usize = 64;

fn element(name: &str, v: &Value, out: &mut String, depth: usize) -> Result<(), String> {
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

/// An element read from XML: local name, text, children in order.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn json(&self) -> Value {
        if self.children.is_empty() {
            return Value::String(self.text.trim().to_owned());
        }
        let mut m = Map::new();
        for c in &self.children {
            let v = c.json();
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
}

/// Parses XML safely into a tree: no DTD, only the predefined entities, bounded depth.
fn parse(xml: &[u8]) -> Result<Node, String> {
    let mut r = Reader::from_reader(xml);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        match r.read_event().map_err(|e| format!("malformed XML at byte {}: {e}", r.buffer_position()))? {
            Event::DocType(_) => return Err("a DOCTYPE is not accepted (entities could expand or reach outside)".into()),
            Event::Start(e) => {
                if stack.len() > MAX_DEPTH {
                    return Err("nested too deep".into());
                }
                stack.push(Node { name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(), ..Default::default() });
            }
            Event::Empty(e) => {
                let n = Node { name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(), ..Default::default() };
                stack.last_mut().ok_or("unbalanced XML")?.children.push(n);
            }
            Event::End(_) => {
                let n = stack.pop().ok_or("unbalanced XML")?;
                stack.last_mut().ok_or("unbalanced XML")?.children.push(n);
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| e.to_string())?;
                stack.last_mut().ok_or("unbalanced XML")?.text.push_str(&s);
            }
            Event::CData(c) => {
                let s = String::from_utf8_lossy(c.as_ref()).into_owned();
                stack.last_mut().ok_or("unbalanced XML")?.text.push_str(&s);
            }
            Event::GeneralRef(g) => {
                let c = match g.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c,
                    None => match g.decode().map_err(|e| e.to_string())?.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(format!("the entity &{other}; is not accepted")),
                    },
                };
                stack.last_mut().ok_or("unbalanced XML")?.text.push(c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err("the XML ends inside an element".into());
    }
    let mut root = stack.pop().unwrap_or_default();
    if root.children.len() != 1 {
        return Err("an XML document has one root element".into());
    }
    Ok(root.children.remove(0))
}

/// What a SOAP message carries: the operation (the body's first element) and its content as
/// JSON, or a fault's message.
#[derive(Debug)]
pub enum Message {
    Call { operation: String, content: Value },
    Fault(String),
}

/// Reads a SOAP envelope (1.1 or 1.2) safely.
pub fn read(xml: &[u8]) -> Result<Message, String> {
    let root = parse(xml)?;
    if root.name != "Envelope" {
        return Err(format!("the root element is {}, not a SOAP Envelope", root.name));
    }
    let body = root.children.iter().find(|c| c.name == "Body").ok_or("the SOAP envelope has no Body")?;
    let first = body.children.first().ok_or("the SOAP Body is empty")?;
    if first.name == "Fault" {
        let text = |n: &Node, names: &[&str]| -> Option<String> {
            fn find<'a>(n: &'a Node, name: &str) -> Option<&'a Node> {
                n.children.iter().find_map(|c| if c.name == name { Some(c) } else { find(c, name) })
            }
            names.iter().find_map(|x| find(n, x)).map(|x| x.text.trim().to_owned())
        };
        return Ok(Message::Fault(text(first, &["faultstring", "Text"]).unwrap_or_else(|| "SOAP fault".into())));
    }
    let content = if first.children.is_empty() && first.text.trim().is_empty() { Value::Object(Map::new()) } else { first.json() };
    Ok(Message::Call { operation: first.name.clone(), content })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapping(v: &str) -> SoapMapping {
        SoapMapping { mode: "rest_to_soap".into(), version: v.into(), namespace: "urn:hotich".into() }
    }

    #[test]
    fn json_goes_to_soap_and_back() {
        let m = mapping("1.1");
        let xml = m
            .envelope("TraCuu", &json!({"soDinhDanh": "001090012345", "ten": "An & Bình <x>", "con": [{"ten": "A"}, {"ten": "B"}]}))
            .unwrap();
        assert!(xml.contains("<ns:TraCuu xmlns:ns=\"urn:hotich\">") && xml.contains("An &amp; Bình &lt;x&gt;"), "{xml}");
        let Message::Call { operation, content } = read(xml.as_bytes()).unwrap() else { panic!("a call") };
        assert_eq!(operation, "TraCuu");
        assert_eq!(content, json!({"soDinhDanh": "001090012345", "ten": "An & Bình <x>", "con": [{"ten": "A"}, {"ten": "B"}]}));
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
        assert!(mapping("1.1").envelope("x", &json!({"bad name": 1})).is_err());
    }
}
