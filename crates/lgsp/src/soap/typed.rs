//! JSON and SOAP bodies converted by the fields a WSDL gives them: elements in the schema's
//! order, numbers and booleans typed, lists for repeated elements. What a client sends is held
//! to the description (`strict`): an unknown field, a missing required one or a value of the
//! wrong kind is refused, naming it. What a service answers is converted as it comes: values
//! that do not fit their type stay text, and elements the description does not name are kept.

use serde_json::{Map, Number, Value};

use super::wsdl::{ANY, ANY_ATTRIBUTE, Body, Field, TEXT};
use super::{element, json_of, valid_name, xml_escape};
use crate::xml::{MAX_DEPTH, Node};

/// The namespaces a body's elements are in, each with its prefix: the body's own `ns`, the
/// others `n1`, `n2`, ... in the order met; all declared on the body element.
struct Prefixes(Vec<(String, String)>);

impl Prefixes {
    fn of(body: &Body) -> Prefixes {
        fn walk(fields: &[Field], out: &mut Vec<(String, String)>) {
            for f in fields {
                if !f.namespace.is_empty() && !out.iter().any(|(ns, _)| *ns == f.namespace) {
                    out.push((f.namespace.clone(), format!("n{}", out.len())));
                }
                walk(&f.fields, out);
            }
        }
        let mut out = vec![(body.namespace.clone(), "ns".to_owned())];
        walk(body.fields.as_deref().unwrap_or_default(), &mut out);
        Prefixes(out)
    }

    /// The element's (or attribute's) name with its prefix (none when it is in no namespace).
    fn tag(&self, f: &Field) -> String {
        self.tag_in(&f.namespace, f.name.strip_prefix('@').unwrap_or(&f.name))
    }

    /// `name` with the prefix of `namespace`.
    fn tag_in(&self, namespace: &str, name: &str) -> String {
        match self.0.iter().find(|(ns, _)| ns == namespace).filter(|_| !namespace.is_empty()) {
            Some((_, p)) => format!("{p}:{name}"),
            None => name.to_owned(),
        }
    }

    fn declarations(&self) -> String {
        self.0.iter().map(|(ns, p)| format!(" xmlns:{p}=\"{}\"", xml_escape(ns))).collect()
    }
}

/// The body element with `json`'s content, each element in its own namespace.
pub(crate) fn write_body(body: &Body, json: &Value, strict: bool) -> Result<String, String> {
    let prefixes = Prefixes::of(body);
    // The start tag is left open for the body's attributes.
    let mut out = format!("<ns:{}{}", body.element, prefixes.declarations());
    match &body.fields {
        Some(fields) => write_fields(fields, json, &prefixes, strict, &body.element, &mut out, 0)?,
        None => {
            out.push('>');
            match json {
                Value::Object(m) => {
                    for (k, v) in m {
                        if !valid_name(k) {
                            return Err(format!("«{k}» cannot be an XML element name"));
                        }
                        element(k, v, &mut out, 1)?;
                    }
                }
                Value::Null => {}
                Value::String(s) => out.push_str(&xml_escape(s)),
                other => out.push_str(&other.to_string()),
            }
        }
    }
    out.push_str(&format!("</ns:{}>", body.element));
    Ok(out)
}

/// Whether the JSON field `key` has a place among `fields`: named by one, or left open by an
/// `xs:any` (elements) or `xs:anyAttribute` (`@` names).
fn placed(fields: &[Field], key: &str) -> bool {
    named(fields, key)
        || match key.strip_prefix('@') {
            Some(_) => fields.iter().any(|f| f.name == ANY_ATTRIBUTE),
            None => key != TEXT && fields.iter().any(|f| f.name == ANY),
        }
}

fn named(fields: &[Field], key: &str) -> bool {
    key != ANY && key != ANY_ATTRIBUTE && fields.iter().any(|f| f.name == key)
}

/// The JSON fields the schema leaves open that `obj` has: elements, or with `attributes` the
/// `@` names.
fn unnamed<'a>(fields: &'a [Field], obj: &'a Map<String, Value>, attributes: bool) -> impl Iterator<Item = (&'a String, &'a Value)> + 'a {
    obj.iter().filter(move |(k, _)| k.starts_with('@') == attributes && k.as_str() != TEXT && !named(fields, k))
}

fn names(fields: &[Field]) -> String {
    let list: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    if list.is_empty() { "no fields".into() } else { list.join(", ") }
}

/// An element's attributes (its start tag is open), the end of its start tag, then its content.
fn write_fields(
    fields: &[Field],
    json: &Value,
    prefixes: &Prefixes,
    strict: bool,
    path: &str,
    out: &mut String,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("nested too deep".into());
    }
    let empty = Map::new();
    let obj = match json {
        Value::Object(m) => m,
        Value::Null => &empty,
        _ if strict => return Err(format!("«{path}» is an object")),
        _ => &empty,
    };
    if strict && let Some(k) = obj.keys().find(|k| !placed(fields, k)) {
        return Err(format!("«{path}.{k}» is not in the service's WSDL; {path} has {}", names(fields)));
    }
    for f in fields.iter().filter(|f| f.name.starts_with('@')) {
        let p = format!("{path}.{}", f.name);
        if f.name == ANY_ATTRIBUTE {
            for (k, v) in unnamed(fields, obj, true) {
                let name = &k[1..];
                if !valid_name(name) {
                    return Err(format!("«{path}.{k}» cannot be an XML attribute name"));
                }
                let text = scalar_at("string", v, strict, &format!("{path}.{k}"))?;
                out.push_str(&format!(" {name}=\"{}\"", xml_escape(&text)));
            }
            continue;
        }
        match obj.get(&f.name) {
            None | Some(Value::Null) if f.required && strict => return Err(format!("«{p}» is required")),
            None | Some(Value::Null) => {}
            Some(v) => {
                let text = scalar_at(&f.kind, v, strict, &p)?;
                out.push_str(&format!(" {}=\"{}\"", prefixes.tag(f), xml_escape(&text)));
            }
        }
    }
    out.push('>');
    for f in fields.iter().filter(|f| !f.name.starts_with('@')) {
        let p = format!("{path}.{}", f.name);
        if f.name == ANY {
            let mut any = false;
            for (k, v) in unnamed(fields, obj, false) {
                if !valid_name(k) {
                    return Err(format!("«{path}.{k}» cannot be an XML element name"));
                }
                element(&prefixes.tag_in(&f.namespace, k), v, out, depth + 1)?;
                any = true;
            }
            if !any && f.required && strict {
                return Err(format!("«{path}» needs an element besides {}", names(fields)));
            }
            continue;
        }
        if f.name == TEXT {
            if let Some(v) = obj.get(TEXT).filter(|v| !v.is_null()) {
                let text = scalar_at(&f.kind, v, strict, &p)?;
                out.push_str(&xml_escape(&text));
            }
            continue;
        }
        let items: Vec<&Value> = match obj.get(&f.name) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) if f.repeated || !strict => a.iter().collect(),
            Some(Value::Array(_)) => return Err(format!("«{p}» is one value, not a list")),
            Some(x) => vec![x],
        };
        if items.is_empty() && f.required && strict {
            return Err(format!("«{p}» is required"));
        }
        let tag = prefixes.tag(f);
        for item in items {
            match f.kind.as_str() {
                "object" => {
                    out.push_str(&format!("<{tag}"));
                    write_fields(&f.fields, item, prefixes, strict, &p, out, depth + 1)?;
                    out.push_str(&format!("</{tag}>"));
                }
                "any" => element(&tag, item, out, depth + 1)?,
                kind => {
                    let text = scalar_at(kind, item, strict, &p)?;
                    out.push_str(&format!("<{tag}>{}</{tag}>", xml_escape(&text)));
                }
            }
        }
    }
    Ok(())
}

fn article(kind: &str) -> &'static str {
    match kind {
        "integer" => "an integer",
        "number" => "a number",
        "decimal" => "a decimal number (a number, or its digits as text: \"12500.50\")",
        "boolean" => "true or false",
        _ => "text",
    }
}

/// Whether `t` is an XML Schema decimal: an optional sign, digits with at most one point, no
/// exponent.
pub(crate) fn is_decimal(t: &str) -> bool {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    (!whole.is_empty() || !fraction.is_empty()) && whole.bytes().all(|b| b.is_ascii_digit()) && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// [`scalar`], or the error naming the field at `path` and the kind it must be.
fn scalar_at(kind: &str, v: &Value, strict: bool, path: &str) -> Result<String, String> {
    scalar(kind, v, strict).ok_or_else(|| format!("«{path}» is {}", article(kind)))
}

/// A scalar value as the text of an element of this kind.
fn scalar(kind: &str, v: &Value, strict: bool) -> Option<String> {
    match (kind, v) {
        (_, Value::Object(_) | Value::Array(_)) => None,
        ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        ("integer", Value::String(s)) if s.trim().parse::<i128>().is_ok() => Some(s.trim().to_owned()),
        ("number", Value::Number(n)) => Some(n.to_string()),
        ("number", Value::String(s)) if s.trim().parse::<f64>().is_ok_and(f64::is_finite) => Some(s.trim().to_owned()),
        ("decimal", Value::Number(n)) if n.as_f64().is_some_and(f64::is_finite) => Some(n.to_string()),
        ("decimal", Value::String(s)) if is_decimal(s.trim()) => Some(s.trim().to_owned()),
        ("boolean", Value::Bool(b)) => Some(b.to_string()),
        ("boolean", Value::String(s)) if matches!(s.as_str(), "true" | "false" | "1" | "0") => Some(s.clone()),
        ("string", Value::String(s)) => Some(s.clone()),
        ("string", Value::Number(_) | Value::Bool(_)) => Some(v.to_string()),
        (_, Value::String(s)) if !strict => Some(s.clone()),
        (_, other) if !strict => Some(other.to_string()),
        _ => None,
    }
}

/// The content of a body element as JSON, by its fields.
pub(crate) fn read_body(body: &Body, node: &Node, strict: bool) -> Result<Value, String> {
    match &body.fields {
        Some(fields) => read_fields(fields, node, strict, &body.element),
        None => Ok(json_of(node)),
    }
}

fn read_fields(fields: &[Field], node: &Node, strict: bool, path: &str) -> Result<Value, String> {
    let open = fields.iter().any(|f| f.name == ANY);
    let mut others = node.children.iter().filter(|c| !named(fields, &c.name)).peekable();
    if strict
        && !open
        && let Some(c) = others.peek()
    {
        return Err(format!("<{}> is not in the service's WSDL; {path} has {}", c.name, names(fields)));
    }
    if strict && others.peek().is_none() && fields.iter().any(|f| f.name == ANY && f.required) {
        return Err(format!("{path} needs an element besides {}", names(fields)));
    }
    let mut m = Map::new();
    for f in fields {
        let p = format!("{path}.{}", f.name);
        if f.name == ANY {
            continue;
        }
        if f.name == ANY_ATTRIBUTE {
            // xsi:nil and the like are the XML's own, not the service's.
            for (k, v) in node.attrs.iter().filter(|(k, _)| !k.starts_with("xsi:")) {
                let key = format!("@{k}");
                if !named(fields, &key) {
                    m.insert(key, Value::String(v.clone()));
                }
            }
            continue;
        }
        if let Some(name) = f.name.strip_prefix('@') {
            match node.attr(name) {
                Some(text) => {
                    m.insert(f.name.clone(), read_text(f, text, strict, &p)?);
                }
                None if strict && f.required => return Err(format!("the attribute {name} is required on <{}>", node.name)),
                None => {}
            }
            continue;
        }
        if f.name == TEXT {
            if !node.text.trim().is_empty() {
                m.insert(f.name.clone(), read_text(f, &node.text, strict, &p)?);
            }
            continue;
        }
        let found: Vec<&Node> = node.all(&f.name).collect();
        if strict && found.is_empty() && f.required {
            return Err(format!("<{}> is required in {path}", f.name));
        }
        if strict && found.len() > 1 && !f.repeated {
            return Err(format!("<{}> appears more than once in {path}", f.name));
        }
        let values = found.iter().map(|n| read_value(f, n, strict, &p)).collect::<Result<Vec<_>, _>>()?;
        match values.len() {
            0 if !f.repeated => {}
            1 if !f.repeated => {
                m.insert(f.name.clone(), values.into_iter().next().unwrap_or(Value::Null));
            }
            _ => {
                m.insert(f.name.clone(), Value::Array(values));
            }
        }
    }
    // Elements the description leaves open, or that it does not name in an answer, are kept
    // as they come.
    for c in others {
        let v = json_of(c);
        match m.get_mut(&c.name) {
            Some(Value::Array(a)) => a.push(v),
            Some(prev) => *prev = Value::Array(vec![prev.take(), v]),
            None => {
                m.insert(c.name.clone(), v);
            }
        }
    }
    Ok(Value::Object(m))
}

fn read_value(f: &Field, n: &Node, strict: bool, path: &str) -> Result<Value, String> {
    if matches!(n.attr("xsi:nil"), Some("true" | "1")) {
        return Ok(Value::Null);
    }
    match f.kind.as_str() {
        "object" => read_fields(&f.fields, n, strict, path),
        "any" => Ok(json_of(n)),
        _ => read_text(f, &n.text, strict, path),
    }
}

/// A scalar field's value from its element's text or its attribute's value.
fn read_text(f: &Field, raw: &str, strict: bool, path: &str) -> Result<Value, String> {
    let text = raw.trim();
    let typed = match f.kind.as_str() {
        "string" => return Ok(Value::String(raw.to_owned())),
        "integer" => text.parse::<i64>().map(Value::from).or_else(|_| text.parse::<u64>().map(Value::from)).ok(),
        "number" => text.parse::<f64>().ok().and_then(Number::from_f64).map(Value::Number),
        // Every digit kept: as text, which no JSON reader rounds.
        "decimal" => is_decimal(text).then(|| Value::String(text.to_owned())),
        "boolean" => match text {
            "true" | "1" => Some(Value::Bool(true)),
            "false" | "0" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    };
    match typed {
        Some(v) => Ok(v),
        None if strict => Err(format!("«{path}» is {}, not «{text}»", article(&f.kind))),
        None => Ok(Value::String(raw.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(name: &str, namespace: &str, kind: &str, fields: Vec<Field>) -> Field {
        Field { name: name.into(), namespace: namespace.into(), kind: kind.into(), required: false, repeated: false, fields }
    }

    #[test]
    fn each_element_is_written_in_its_own_namespace() {
        // A WCF-style body: the request in the service's namespace, the data contract's members
        // in another, one member unqualified.
        let body = Body {
            element: "TraCuu".into(),
            namespace: "http://tempuri.org/".into(),
            fields: Some(vec![field(
                "hoSo",
                "http://tempuri.org/",
                "object",
                vec![field("ma", "http://schemas.datacontract.org/HoSo", "string", vec![]), field("ghiChu", "", "string", vec![])],
            )]),
        };
        let xml = write_body(&body, &json!({"hoSo": {"ghiChu": "g", "ma": "H-1"}}), true).unwrap();
        assert_eq!(
            xml,
            "<ns:TraCuu xmlns:ns=\"http://tempuri.org/\" xmlns:n1=\"http://schemas.datacontract.org/HoSo\"><ns:hoSo><n1:ma>H-1</n1:ma><ghiChu>g</ghiChu></ns:hoSo></ns:TraCuu>"
        );
        let node = crate::xml::parse(xml.as_bytes()).unwrap();
        let hoso = &node.children[0];
        assert_eq!((hoso.children[0].ns.as_str(), hoso.children[1].ns.as_str()), ("http://schemas.datacontract.org/HoSo", ""));
        assert_eq!(read_body(&body, &node, true).unwrap(), json!({"hoSo": {"ma": "H-1", "ghiChu": "g"}}));
    }

    #[test]
    fn the_xml_schema_instance_attributes_are_told_from_the_services_own() {
        let open = Field { name: ANY_ATTRIBUTE.into(), ..field("", "", "string", vec![]) };
        let body = Body {
            element: "Phi".into(),
            namespace: "urn:phi".into(),
            fields: Some(vec![field("ghiChu", "", "string", vec![]), field("muc", "", "object", vec![open])]),
        };
        let xml = br#"<p:Phi xmlns:p="urn:phi" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><ghiChu i:nil="true"/><muc nil="co" type="mien" i:type="p:Muc" schemaLocation="x"/></p:Phi>"#;
        let node = crate::xml::parse(xml).unwrap();
        assert_eq!(
            read_body(&body, &node, true).unwrap(),
            json!({"ghiChu": null, "muc": {"@nil": "co", "@type": "mien", "@schemaLocation": "x"}}),
            "xsi:nil is null and xsi:type is left out; the service's attributes of those names are kept"
        );
        let plain = crate::xml::parse(br#"<p:Phi xmlns:p="urn:phi"><ghiChu nil="true">x</ghiChu></p:Phi>"#).unwrap();
        assert_eq!(read_body(&body, &plain, true).unwrap(), json!({"ghiChu": "x"}), "an attribute nil in no namespace is not xsi:nil");
    }

    #[test]
    fn decimals_keep_every_digit_both_ways() {
        let body = Body {
            element: "NoThue".into(),
            namespace: "urn:thue".into(),
            fields: Some(vec![Field { required: true, ..field("soTien", "urn:thue", "decimal", vec![]) }]),
        };
        // More digits than a double holds: read as text, written back unchanged.
        let node = crate::xml::parse(b"<t:NoThue xmlns:t=\"urn:thue\"><t:soTien> 12345678901234567.89 </t:soTien></t:NoThue>").unwrap();
        let json = read_body(&body, &node, true).unwrap();
        assert_eq!(json, json!({"soTien": "12345678901234567.89"}));
        assert!(write_body(&body, &json, true).unwrap().contains("<ns:soTien>12345678901234567.89</ns:soTien>"));
        // A JSON number is taken too; an exponent, a second point or words are not decimals.
        assert!(write_body(&body, &json!({"soTien": 12500.5}), true).unwrap().contains(">12500.5<"));
        for bad in [json!("1e5"), json!("1.2.3"), json!("mười"), json!("."), json!(true)] {
            let e = write_body(&body, &json!({"soTien": bad}), true).unwrap_err();
            assert!(e.contains("decimal"), "{e}");
        }
        let node = crate::xml::parse(b"<t:NoThue xmlns:t=\"urn:thue\"><t:soTien>1e5</t:soTien></t:NoThue>").unwrap();
        assert!(read_body(&body, &node, true).is_err());
        for good in ["-0.5", "+7", "3.", ".25", "0012"] {
            assert!(is_decimal(good), "{good}");
        }
    }
}
