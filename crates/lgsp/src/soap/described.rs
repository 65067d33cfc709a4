//! What the gateway hands out about a bridged service: an OpenAPI description of the JSON side
//! of a SOAP service (made from its WSDL's operations), and the WSDL of a service SOAP clients
//! call through the gateway, naming the gateway as its address.

use serde_json::{Map, Value, json};

use super::wsdl::{Body, Field, Operation};

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
    let properties: Map<String, Value> = fields.iter().map(|f| (f.name.clone(), field_schema(f))).collect();
    let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.name.as_str()).collect();
    let mut s = json!({"type": "object", "properties": properties, "additionalProperties": false});
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

fn field_schema(f: &Field) -> Value {
    let one = match f.kind.as_str() {
        "object" => object_schema(&f.fields),
        "any" => json!({}),
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
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
        let tag = &rest[at..tag_end];
        let name = tag[1..].split(|c: char| c.is_whitespace() || c == '/' || c == '>').next().unwrap_or("");
        if name == "address" || name.ends_with(":address") {
            out.push_str(&with_location(tag, &escaped));
        } else {
            out.push_str(tag);
        }
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    out
}

/// A start tag with its `location` attribute's value replaced.
fn with_location(tag: &str, location: &str) -> String {
    for quote in ['"', '\''] {
        let key = format!("location={quote}");
        if let Some(start) = tag.find(&key) {
            let from = start + key.len();
            if let Some(len) = tag[from..].find(quote) {
                return format!("{}{location}{}", &tag[..from], &tag[from + len..]);
            }
        }
    }
    tag.to_owned()
}
