//! What the gateway hands out about a bridged service: an OpenAPI description of the JSON side
//! of a SOAP service (made from its WSDL's operations), and the WSDL of a service SOAP clients
//! call through the gateway, naming the gateway as its address: the registered one, or one
//! made from the operations a JSON service's OpenAPI description gives.

use serde_json::{Map, Value, json};

use super::wsdl::{ANY, ANY_ATTRIBUTE, Body, Field, Operation};
use super::{SoapMapping, xml_escape};

/// An OpenAPI 3.0 description of the JSON calls a JSON client makes to a SOAP service:
/// `POST {server}/{operation}` for each operation, with request and answer schemas from the
/// WSDL.
pub fn openapi(title: &str, version: &str, server: &str, operations: &[Operation]) -> Value {
    let mut paths = Map::new();
    for op in operations {
        let answer = match &op.output {
            Some(out) => json!({"type": "object", "required": [out.element], "properties": {out.element.clone(): body_schema(out)}}),
            None => json!({"type": "object"}),
        };
        paths.insert(
            format!("/{}", op.name),
            json!({"post": {
                "operationId": op.name,
                "summary": if op.action.is_empty() { format!("SOAP {}", op.input.element) } else { format!("SOAP action {}", op.action) },
                "requestBody": {"required": true, "content": {"application/json": {"schema": body_schema(&op.input)}}},
                "responses": {
                    "200": {"description": "The SOAP service's answer as JSON", "content": {"application/json": {"schema": answer}}},
                    "400": {"description": "The request does not fit the service's WSDL (X-Road-Error Client.InvalidJson)"},
                    "502": {"description": "The SOAP service answered with a fault", "content": {"application/json": {"schema":
                        {"type": "object", "properties": {"fault": {"type": "string"}}}}}},
                },
            }}),
        );
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": title, "version": version, "description": "Made by the LGSP from the service's WSDL (SOAP bridge)."},
        "servers": [{"url": server}],
        "paths": paths,
    })
}

fn body_schema(b: &Body) -> Value {
    match &b.fields {
        Some(fields) => object_schema(fields),
        None => json!({"type": "object"}),
    }
}

fn object_schema(fields: &[Field]) -> Value {
    // `xs:any` and `xs:anyAttribute` are no properties of their own: they let others in.
    let open = |f: &&Field| f.name == ANY || f.name == ANY_ATTRIBUTE;
    let properties: Map<String, Value> = fields.iter().filter(|f| !open(f)).map(|f| (f.name.clone(), field_schema(f))).collect();
    let required: Vec<&str> = fields.iter().filter(|f| f.required && !open(f)).map(|f| f.name.as_str()).collect();
    let mut s = json!({"type": "object", "properties": properties, "additionalProperties": fields.iter().any(|f| open(&f))});
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

fn field_schema(f: &Field) -> Value {
    let one = match f.kind.as_str() {
        "object" => object_schema(&f.fields),
        "any" => json!({}),
        "decimal" => json!({"type": "string", "format": "decimal", "pattern": "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$"}),
        kind => json!({"type": kind}),
    };
    if f.repeated { json!({"type": "array", "items": one}) } else { one }
}

/// A WSDL 1.1 description of a mapping's operations (document/literal, one binding for the
/// mapping's SOAP version) with the gateway's `address`: what SOAP clients of a JSON service
/// are handed when the service registered an OpenAPI description rather than a WSDL. Each
/// operation's request and answer are global elements of the mapping's namespace; their
/// fields are local elements left unqualified, as the operations read from OpenAPI have them.
pub fn wsdl(title: &str, code: &str, address: &str, m: &SoapMapping) -> String {
    let (soap, soap_ns) = if m.version == "1.2" {
        ("soap12", "http://schemas.xmlsoap.org/wsdl/soap12/")
    } else {
        ("soap", "http://schemas.xmlsoap.org/wsdl/soap/")
    };
    let tns = xml_escape(&m.namespace);
    let base = ncname(code);
    let mut types = String::new();
    let mut messages = String::new();
    let mut port = String::new();
    let mut binding = String::new();
    for op in &m.operations {
        let name = &op.name;
        let mut io = vec![("Input", "input", &op.input)];
        if let Some(out) = &op.output {
            io.push(("Output", "output", out));
        }
        port.push_str(&format!("<wsdl:operation name=\"{name}\">"));
        binding.push_str(&format!(
            "<wsdl:operation name=\"{name}\"><{soap}:operation soapAction=\"{}\" style=\"document\"/>",
            xml_escape(&op.action)
        ));
        for (suffix, tag, body) in io {
            types.push_str(&format!("<xs:element name=\"{}\"", body.element));
            match &body.fields {
                Some(fields) => {
                    types.push('>');
                    complex_type(fields, &m.namespace, &mut types);
                    types.push_str("</xs:element>");
                }
                None => types.push_str(" type=\"xs:anyType\"/>"),
            }
            messages.push_str(&format!(
                "<wsdl:message name=\"{name}{suffix}\"><wsdl:part name=\"parameters\" element=\"tns:{}\"/></wsdl:message>",
                body.element
            ));
            port.push_str(&format!("<wsdl:{tag} message=\"tns:{name}{suffix}\"/>"));
            binding.push_str(&format!("<wsdl:{tag}><{soap}:body use=\"literal\"/></wsdl:{tag}>"));
        }
        port.push_str("</wsdl:operation>");
        binding.push_str("</wsdl:operation>");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<wsdl:definitions xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\" xmlns:{soap}=\"{soap_ns}\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:tns=\"{tns}\" targetNamespace=\"{tns}\" name=\"{base}\">\
<wsdl:documentation>{} (SOAP {}), made by the LGSP from the service's OpenAPI description.</wsdl:documentation>\
<wsdl:types><xs:schema targetNamespace=\"{tns}\">{types}</xs:schema></wsdl:types>{messages}\
<wsdl:portType name=\"{base}PortType\">{port}</wsdl:portType>\
<wsdl:binding name=\"{base}Binding\" type=\"tns:{base}PortType\"><{soap}:binding style=\"document\" transport=\"http://schemas.xmlsoap.org/soap/http\"/>{binding}</wsdl:binding>\
<wsdl:service name=\"{base}\"><wsdl:port name=\"{base}Port\" binding=\"tns:{base}Binding\"><{soap}:address location=\"{}\"/></wsdl:port></wsdl:service>\
</wsdl:definitions>",
        xml_escape(title),
        m.version,
        xml_escape(address)
    )
}

/// The anonymous complex type of an element with these fields, in a sequence. A field in the
/// target namespace is qualified; in no namespace, left unqualified. (Operations read from
/// OpenAPI have neither attributes nor text beside elements, which WSDLs alone give.)
///
/// A sequence that ends in `xs:any` must not let an element match both its own declaration and
/// the wildcard (XML Schema's Unique Particle Attribution, which strict tools such as JAXB's
/// enforce): the element just before the wildcard must be required and single. The bridge
/// reads elements by name in any order, so one such element is moved there; when there is
/// none, the type is the wildcard alone (any content, read by the bridge as before).
fn complex_type(fields: &[Field], tns: &str, out: &mut String) {
    let single = |f: &&Field| f.required && !f.repeated && f.name != ANY;
    let mut order: Vec<&Field> = fields.iter().collect();
    if let Some(at) = order.iter().position(|f| f.name == ANY) {
        let wildcard = order.remove(at);
        match order.iter().rposition(single) {
            Some(last) => {
                let f = order.remove(last);
                order.push(f);
                order.push(wildcard);
            }
            None if order.is_empty() => order.push(wildcard),
            None => order = vec![wildcard],
        }
    }
    out.push_str("<xs:complexType><xs:sequence>");
    for f in order {
        let occurs =
            format!("{}{}", if f.required { "" } else { " minOccurs=\"0\"" }, if f.repeated { " maxOccurs=\"unbounded\"" } else { "" });
        if f.name == ANY {
            let ns = if f.namespace.is_empty() { "##any".to_owned() } else { xml_escape(&f.namespace) };
            out.push_str(&format!("<xs:any namespace=\"{ns}\" processContents=\"lax\"{occurs}/>"));
            continue;
        }
        let form = if !f.namespace.is_empty() && f.namespace == tns { " form=\"qualified\"" } else { "" };
        out.push_str(&format!("<xs:element name=\"{}\"{form}{occurs}", f.name));
        if f.kind == "object" {
            out.push('>');
            complex_type(&f.fields, tns, out);
            out.push_str("</xs:element>");
        } else {
            out.push_str(&format!(" type=\"{}\"/>", xsd_type(&f.kind)));
        }
    }
    out.push_str("</xs:sequence>");
    out.push_str("</xs:complexType>");
}

/// The XML Schema type of a field's kind.
fn xsd_type(kind: &str) -> &'static str {
    match kind {
        "integer" => "xs:long",
        "number" => "xs:double",
        "decimal" => "xs:decimal",
        "boolean" => "xs:boolean",
        "any" => "xs:anyType",
        _ => "xs:string",
    }
}

/// A service code as an XML name (an NCName): characters that may not stand in one become `_`.
fn ncname(code: &str) -> String {
    let mut out: String = code.chars().map(|c| if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') { c } else { '_' }).collect();
    if !out.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// The WSDL with the address of every SOAP port replaced by `address` (the gateway's address
/// of the service). The text is otherwise kept as it was registered.
pub fn addressed(wsdl: &str, address: &str) -> String {
    let escaped = xml_escape(address);
    let mut out = String::with_capacity(wsdl.len());
    let mut rest = wsdl;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let tag_len = tag_length(&rest[at..]);
        let tag = &rest[at..at + tag_len];
        let name = tag[1..].split(|c: char| c.is_whitespace() || c == '/' || c == '>').next().unwrap_or("");
        if name == "address" || name.ends_with(":address") {
            out.push_str(&with_location(tag, &escaped));
        } else {
            out.push_str(tag);
        }
        rest = &rest[at + tag_len..];
    }
    out.push_str(rest);
    out
}

/// The length of the markup starting at `s` (which starts with `<`): up to its `>`, past
/// quoted attribute values; comments, CDATA and processing instructions to their own ends.
fn tag_length(s: &str) -> usize {
    for (open, close) in [("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>")] {
        if let Some(rest) = s.strip_prefix(open) {
            return rest.find(close).map_or(s.len(), |e| open.len() + e + close.len());
        }
    }
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return i + 1,
            _ => {}
        }
    }
    s.len()
}

/// A start tag with its `location` attribute's value replaced.
fn with_location(tag: &str, location: &str) -> String {
    let bytes = tag.as_bytes();
    let mut from = 0;
    while let Some(found) = tag[from..].find("location") {
        let start = from + found;
        from = start + "location".len();
        if !bytes.get(start.wrapping_sub(1)).is_some_and(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let after = tag[from..].trim_start();
        let Some(value) = after.strip_prefix('=').map(str::trim_start) else { continue };
        let Some(quote) = value.chars().next().filter(|q| *q == '"' || *q == '\'') else { continue };
        let value_start = tag.len() - value.len() + 1;
        if let Some(len) = tag[value_start..].find(quote) {
            return format!("{}{location}{}", &tag[..value_start], &tag[value_start + len..]);
        }
    }
    tag.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_port_address_is_replaced_and_nothing_else() {
        let wsdl = r#"<d><!-- <soap:address location="http://comment/"> --><soap:address xlocation="x" location = 'http://10.0.0.5/a?x=1&amp;y=>' /><s12:address
   location="http://10.0.0.5/b"/><address location="http://10.0.0.5/c"></address><other location="http://keep/"/></d>"#;
        let out = addressed(wsdl, "https://lgsp.example/r1/VN/GOV/1/hộ tịch?&");
        assert!(!out.contains("10.0.0.5"), "{out}");
        assert_eq!(out.matches("https://lgsp.example/r1/VN/GOV/1/hộ tịch?&amp;").count(), 3, "{out}");
        assert!(out.contains("<!-- <soap:address location=\"http://comment/\"> -->") && out.contains("xlocation=\"x\""), "{out}");
        assert!(out.contains("location=\"http://keep/\""), "{out}");
    }
}
