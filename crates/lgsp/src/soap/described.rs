//! What the gateway hands out about a bridged service: an OpenAPI description of the JSON side
//! of a SOAP service (made from its WSDL's operations), and the WSDL of a service SOAP clients
//! call through the gateway, naming the gateway as its address.

use serde_json::{Map, Value, json};

use super::wsdl::{ANY, ANY_ATTRIBUTE, Body, Field, Operation};

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

/// The WSDL with the address of every SOAP port replaced by `address` (the gateway's address
/// of the service). The text is otherwise kept as it was registered.
pub fn addressed(wsdl: &str, address: &str) -> String {
    let escaped = super::xml_escape(address);
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
