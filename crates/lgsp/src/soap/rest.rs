//! A JSON service's operations as its SOAP clients see them (`soap_to_rest`), read from its
//! OpenAPI description (3.x, or Swagger 2.0) in JSON or YAML (`crate::yaml`). The bridge calls
//! `{upstream_url}/{operation}` with POST, so each `POST /{operation}` path is an operation:
//! its request element is the operation's name, its answer element the name and `Response`,
//! both in the mapping's namespace, and their fields come from the JSON schemas of the request
//! body and of the successful answer. The gateway then holds SOAP requests to those fields,
//! sends numbers, booleans and lists to the service as JSON types (not all as text), and hands
//! SOAP clients a WSDL made from them (`described::wsdl`).
//!
//! Schemas are read as the bridge converts: an object's properties are child elements in the
//! order written; an array is its item repeated; `integer`, `number`, `boolean` and `string`
//! (`format: decimal` as an exact decimal) are typed; `allOf` merges its parts to any depth,
//! `required` counting over the whole (and `allOf` around one scalar type is that scalar);
//! `oneOf`, `anyOf`, untyped schemas, objects without properties and arrays of arrays are free
//! content. Request bodies, answers, parameters and path items given by `$ref` are followed.
//! An object that allows other properties (`additionalProperties` true or a schema) leaves
//! room for them (the field `*`). References are followed within the document only.

use std::collections::HashSet;

use serde_json::Value;

use super::valid_name;
use super::wsdl::{ANY, Body, Field, Operation};

/// References followed one after another before a schema is taken as broken.
const MAX_REF_CHAIN: usize = 32;
/// Schemas nested deeper than this are free content.
const MAX_DEPTH: usize = 16;
/// The most fields a description may give all its operations together.
const MAX_FIELDS: usize = 10_000;

/// The operations SOAP clients may call on a JSON service, from its OpenAPI description.
pub fn operations(openapi: &str, namespace: &str) -> Result<Vec<Operation>, String> {
    let doc: Value = if openapi.trim_start().starts_with('{') {
        serde_json::from_str(openapi).map_err(|e| format!("OpenAPI: {e}"))?
    } else {
        crate::yaml::to_json(openapi).map_err(|e| format!("OpenAPI: {e}"))?
    };
    let paths = doc.get("paths").and_then(Value::as_object).ok_or("OpenAPI: the description has no paths")?;
    let mut reader = Reader { doc: &doc, made: 0, within: Vec::new() };
    let mut ops = Vec::new();
    for (path, item) in paths {
        let Some(name) = path.strip_prefix('/').filter(|n| valid_name(n)) else { continue };
        let at = format!("POST {path}");
        let within = |e: String| format!("OpenAPI, {at}: {e}");
        let item = reader.resolve(item).map_err(within)?.0;
        let Some(post) = item.get("post") else { continue };
        let request = reader.request_schema(post, item).map_err(within)?;
        let answer = reader.answer_schema(post).map_err(within)?;
        let input = reader.body(name, request, namespace, &at)?;
        let output = reader.body(&format!("{name}Response"), answer, namespace, &at)?;
        ops.push(Operation {
            name: name.to_owned(),
            action: format!("{}/{name}", namespace.trim_end_matches('/')),
            input,
            output: Some(output),
        });
    }
    if ops.is_empty() {
        return Err("OpenAPI: no POST /{operation} path for SOAP clients to call (the bridge posts to {upstream_url}/{operation})".into());
    }
    // Each message's element is global in the namespace: `X` and `XResponse` may not meet twice.
    let mut elements: Vec<&str> =
        ops.iter().flat_map(|o| [o.input.element.as_str(), o.output.as_ref().map_or("", |b| &b.element)]).collect();
    elements.sort_unstable();
    if let Some(w) = elements.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("OpenAPI: the operation {} and the answer of another have the same element name", w[0]));
    }
    Ok(ops)
}

/// The schema of the JSON content of a request body or answer (OpenAPI 3): `application/json`,
/// else the first JSON type.
fn json_content(v: &Value) -> Option<&Value> {
    let content = v.get("content").and_then(Value::as_object)?;
    content
        .get("application/json")
        .or_else(|| content.iter().find(|(k, _)| k.contains("json")).map(|(_, c)| c))
        .and_then(|c| c.get("schema"))
}

/// A schema's type: None when it names none, empty when it allows several. OpenAPI 3.1 writes
/// a value that may be null as a list of types with `null` among them.
fn type_of(s: &Value) -> Option<&str> {
    match s.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(ts)) => {
            let named: Vec<&str> = ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect();
            Some(if named.len() == 1 { named[0] } else { "" })
        }
        _ => None,
    }
}

/// An object schema with its `allOf` parts merged.
#[derive(Default)]
struct Merged<'a> {
    properties: Vec<(&'a String, &'a Value)>,
    required: HashSet<&'a str>,
    open: bool,
    /// Parts that are scalar types.
    scalars: Vec<&'a Value>,
}

struct Reader<'a> {
    doc: &'a Value,
    /// Fields made so far, against `MAX_FIELDS`.
    made: usize,
    /// The references being read, outermost first: one met again inside itself is free content.
    within: Vec<String>,
}

/// A field's kind and, for objects, its fields.
type Shape = (&'static str, Vec<Field>);

impl<'a> Reader<'a> {
    /// The JSON schema of a POST's body: OpenAPI 3's `requestBody` (which a path item's
    /// `parameters` do not change), or Swagger 2.0's `in: body` parameter; references followed.
    fn request_schema(&self, post: &'a Value, item: &'a Value) -> Result<Option<&'a Value>, String> {
        if let Some(rb) = post.get("requestBody") {
            return Ok(json_content(self.resolve(rb)?.0));
        }
        for list in [post, item].into_iter().filter_map(|v| v.get("parameters").and_then(Value::as_array)) {
            for p in list {
                let p = self.resolve(p)?.0;
                if p.get("in").and_then(Value::as_str) == Some("body") {
                    return Ok(p.get("schema"));
                }
            }
        }
        Ok(None)
    }

    /// The JSON schema of the successful answer: `200`, else the first `2xx`, else `default`.
    fn answer_schema(&self, post: &'a Value) -> Result<Option<&'a Value>, String> {
        let Some(responses) = post.get("responses").and_then(Value::as_object) else { return Ok(None) };
        let answer = responses
            .get("200")
            .or_else(|| responses.iter().find(|(k, _)| k.starts_with('2')).map(|(_, v)| v))
            .or_else(|| responses.get("default"));
        let Some(answer) = answer else { return Ok(None) };
        let answer = self.resolve(answer)?.0;
        Ok(answer.get("schema").or_else(|| json_content(answer)))
    }

    /// The body element `element` with the fields `schema` gives it: none (free content) when
    /// there is no schema or it is not an object.
    fn body(&mut self, element: &str, schema: Option<&'a Value>, namespace: &str, at: &str) -> Result<Body, String> {
        let fields = match schema {
            Some(s) => match self.shape(s, 0).map_err(|e| format!("OpenAPI, {at}: {e}"))? {
                ("object", fields) => Some(fields),
                _ => None,
            },
            None => None,
        };
        Ok(Body { element: element.to_owned(), namespace: namespace.to_owned(), fields })
    }

    /// The schema a `$ref` points to (followed until there is none), with the reference.
    fn resolve(&self, mut s: &'a Value) -> Result<(&'a Value, Option<&'a str>), String> {
        let mut last = None;
        for _ in 0..MAX_REF_CHAIN {
            let Some(r) = s.get("$ref").and_then(Value::as_str) else { return Ok((s, last)) };
            let pointer = r.strip_prefix('#').ok_or_else(|| format!("the reference {r} is outside the description"))?;
            s = self.doc.pointer(pointer).ok_or_else(|| format!("the reference {r} points to nothing"))?;
            last = Some(r);
        }
        Err("references refer to each other without end".into())
    }

    fn step(&mut self) -> Result<(), String> {
        self.made += 1;
        if self.made > MAX_FIELDS {
            return Err(format!("the schemas give more than {MAX_FIELDS} fields; too large to bridge"));
        }
        Ok(())
    }

    /// What a schema is as a field's content.
    fn shape(&mut self, schema: &'a Value, depth: usize) -> Result<Shape, String> {
        self.step()?;
        let (s, reference) = self.resolve(schema)?;
        if depth > MAX_DEPTH || reference.is_some_and(|r| self.within.iter().any(|w| w == r)) {
            return Ok(("any", Vec::new()));
        }
        if let Some(r) = reference {
            self.within.push(r.to_owned());
        }
        let shape = self.unreferenced(s, depth);
        if reference.is_some() {
            self.within.pop();
        }
        shape
    }

    fn unreferenced(&mut self, s: &'a Value, depth: usize) -> Result<Shape, String> {
        let kind = type_of(s);
        let object_like = s.get("properties").is_some() || s.get("allOf").is_some();
        Ok(match kind {
            Some("integer") => ("integer", Vec::new()),
            Some("number") => ("number", Vec::new()),
            Some("boolean") => ("boolean", Vec::new()),
            Some("string") if s.get("format").and_then(Value::as_str) == Some("decimal") => ("decimal", Vec::new()),
            Some("string") => ("string", Vec::new()),
            Some("object") => self.object(s, depth)?,
            None if object_like => self.object(s, depth)?,
            _ => ("any", Vec::new()),
        })
    }

    /// An object's properties, with those of its `allOf` parts (followed to any depth), as
    /// fields; `required` counts over the whole object. A schema that is only `allOf` around
    /// one scalar type (a description added to it) is that scalar.
    fn object(&mut self, s: &'a Value, depth: usize) -> Result<Shape, String> {
        let mut merged = Merged::default();
        self.gather(s, depth, &mut merged)?;
        if merged.properties.is_empty() && !merged.open {
            return match merged.scalars.as_slice() {
                [one] => self.unreferenced(one, depth + 1),
                _ => Ok(("any", Vec::new())),
            };
        }
        let mut fields = Vec::new();
        for (name, p) in merged.properties {
            if !valid_name(name) {
                return Err(format!("the property «{name}» cannot be an XML element name"));
            }
            fields.push(self.field(name, p, merged.required.contains(name.as_str()), depth + 1)?);
        }
        if merged.open {
            fields.push(Field {
                name: ANY.into(),
                namespace: String::new(),
                kind: "any".into(),
                required: false,
                repeated: true,
                fields: Vec::new(),
            });
        }
        Ok(("object", fields))
    }

    /// Adds a schema's properties, required names and openness to `m`, then its `allOf` parts'.
    fn gather(&mut self, s: &'a Value, depth: usize, m: &mut Merged<'a>) -> Result<(), String> {
        self.step()?;
        if depth > MAX_DEPTH {
            return Ok(());
        }
        for (name, p) in s.get("properties").and_then(Value::as_object).into_iter().flatten() {
            self.step()?;
            match m.properties.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = p,
                None => m.properties.push((name, p)),
            }
        }
        for name in s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            self.step()?;
            m.required.insert(name);
        }
        m.open |= matches!(s.get("additionalProperties"), Some(Value::Bool(true) | Value::Object(_)));
        for part in s.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            let (p, reference) = self.resolve(part)?;
            if reference.is_some_and(|r| self.within.iter().any(|w| w == r)) {
                continue;
            }
            if matches!(type_of(p), Some(t) if t != "object") {
                m.scalars.push(p);
                continue;
            }
            if let Some(r) = reference {
                self.within.push(r.to_owned());
            }
            let gathered = self.gather(p, depth + 1, m);
            if reference.is_some() {
                self.within.pop();
            }
            gathered?;
        }
        Ok(())
    }

    /// A property as a field: an array is its item repeated.
    fn field(&mut self, name: &str, schema: &'a Value, required: bool, depth: usize) -> Result<Field, String> {
        let (s, _) = self.resolve(schema)?;
        let array = type_of(s) == Some("array");
        // The item's shape; a list of lists is free content (an array is no item's shape).
        let (kind, fields) = match (array, s.get("items")) {
            (true, Some(items)) => self.shape(items, depth)?,
            (true, None) => ("any", Vec::new()),
            (false, _) => self.shape(schema, depth)?,
        };
        Ok(Field { name: name.to_owned(), namespace: String::new(), kind: kind.into(), required, repeated: array, fields })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NS: &str = "urn:congdan";

    fn f(name: &str, kind: &str, required: bool, repeated: bool, fields: Vec<Field>) -> Field {
        Field { name: name.into(), namespace: String::new(), kind: kind.into(), required, repeated, fields }
    }

    fn doc() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "Công dân", "version": "1"},
            "paths": {
                "/TraCuu": {"post": {
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Hoi"}}}},
                    "responses": {"200": {"description": "ok", "content": {"application/json; charset=utf-8": {"schema": {"$ref": "#/components/schemas/CongDan"}}}}}
                }},
                "/persons/{id}": {"post": {"responses": {}}},
                "/DanhSach": {"get": {"responses": {}}},
                "/GhiNhan": {"post": {
                    "requestBody": {"content": {"application/json": {"schema": {"allOf": [
                        {"$ref": "#/components/schemas/Hoi"},
                        {"type": "object", "properties": {"ghiChu": {"type": "array", "items": {"type": "string"}}}, "additionalProperties": true}
                    ]}}}},
                    "responses": {"201": {"description": "created", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}}}
                }}
            },
            "components": {"schemas": {
                "Hoi": {"type": "object", "required": ["soDinhDanh"], "properties": {
                    "soDinhDanh": {"type": "string"}, "namSinh": {"type": "integer"}}},
                "CongDan": {"type": "object", "properties": {
                    "hoTen": {"type": "string"}, "lePhi": {"type": "string", "format": "decimal"}, "diem": {"type": ["number", "null"]},
                    "daDangKy": {"type": "boolean"}, "con": {"type": "array", "items": {"$ref": "#/components/schemas/CongDan"}},
                    "khac": {}, "luoi": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}}}
            }}
        })
    }

    #[test]
    fn each_post_operation_gets_its_fields_from_the_schemas() {
        let ops = operations(&doc().to_string(), NS).unwrap();
        let names: Vec<&str> = ops.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["TraCuu", "GhiNhan"], "paths with parameters or without POST are no operations");
        let hoi = vec![f("soDinhDanh", "string", true, false, vec![]), f("namSinh", "integer", false, false, vec![])];
        let tra = &ops[0];
        assert_eq!((tra.action.as_str(), tra.input.element.as_str(), tra.input.namespace.as_str()), ("urn:congdan/TraCuu", "TraCuu", NS));
        assert_eq!(tra.input.fields.as_ref(), Some(&hoi));
        let out = tra.output.as_ref().unwrap();
        assert_eq!(out.element, "TraCuuResponse");
        let fields = out.fields.as_ref().unwrap();
        let kinds: Vec<(&str, &str, bool)> = fields.iter().map(|x| (x.name.as_str(), x.kind.as_str(), x.repeated)).collect();
        assert_eq!(
            kinds,
            [
                ("hoTen", "string", false),
                ("lePhi", "decimal", false),
                ("diem", "number", false),
                ("daDangKy", "boolean", false),
                ("con", "any", true),
                ("khac", "any", false),
                ("luoi", "any", true)
            ]
        );
        // `con` is the schema inside itself: free content there, not expanded without end.

        // allOf merges; additionalProperties leaves room; an answer that is no object is free.
        let ghi = &ops[1];
        let mut expected = hoi.clone();
        expected.push(f("ghiChu", "string", false, true, vec![]));
        expected.push(f(ANY, "any", false, true, vec![]));
        assert_eq!(ghi.input.fields.as_ref(), Some(&expected));
        assert_eq!(ghi.output.as_ref().map(|b| (b.element.as_str(), b.fields.is_none())), Some(("GhiNhanResponse", true)));
    }

    #[test]
    fn parts_references_and_descriptions_of_scalars_are_followed() {
        let doc = json!({
            "openapi": "3.0.3",
            "paths": {"/Nop": {"post": {
                "requestBody": {"$ref": "#/components/requestBodies/HoSo"},
                "responses": {"200": {"$ref": "#/components/responses/BienNhan"}}
            }}},
            "components": {
                "requestBodies": {"HoSo": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/HoSo"}}}}},
                "responses": {"BienNhan": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "lePhi": {"allOf": [{"$ref": "#/components/schemas/Tien"}], "description": "Lệ phí"}}}}}}},
                "schemas": {
                    "Tien": {"type": "string", "format": "decimal"},
                    "Goc": {"type": "object", "required": ["ma"], "properties": {"ma": {"type": "string"}}},
                    "Giua": {"allOf": [{"$ref": "#/components/schemas/Goc"}, {"properties": {"ten": {"type": "string"}}}]},
                    "HoSo": {"allOf": [{"$ref": "#/components/schemas/Giua"}, {"required": ["ten"]}, {"properties": {"soTrang": {"type": "integer"}}}]}
                }
            }
        });
        let ops = operations(&doc.to_string(), NS).unwrap();
        assert_eq!(
            ops[0].input.fields.as_ref(),
            Some(&vec![
                f("ma", "string", true, false, vec![]),
                f("ten", "string", true, false, vec![]),
                f("soTrang", "integer", false, false, vec![])
            ]),
            "the grandparent's field, and a name required by a later part"
        );
        assert_eq!(ops[0].output.as_ref().unwrap().fields.as_ref(), Some(&vec![f("lePhi", "decimal", false, false, vec![])]));

        // Lists that would cost much without giving fields count against the budget too.
        let many: Vec<String> = (0..MAX_FIELDS + 1).map(|i| format!("f{i}")).collect();
        let big = json!({"paths": {"/X": {"post": {"requestBody": {"content": {"application/json": {"schema":
            {"type": "object", "required": many, "properties": {"a": {"type": "string"}}}}}}}}}});
        assert!(operations(&big.to_string(), NS).unwrap_err().contains("more than"));
    }

    #[test]
    fn the_wsdl_made_from_them_reads_back_the_same() {
        let operations = operations(&doc().to_string(), NS).unwrap();
        for version in ["1.1", "1.2"] {
            let m = crate::soap::SoapMapping {
                mode: "soap_to_rest".into(),
                version: version.into(),
                namespace: NS.into(),
                operations: operations.clone(),
            };
            let address = "https://lgsp.example/r1/VN/GOV/000.00.13.H99/tuphap/cong-dan?a&b";
            let text = crate::soap::described::wsdl("Công dân <&>", "cong dân/1", address, &m);
            let c = crate::soap::wsdl::read(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert_eq!((c.namespace.as_str(), c.bindings.len(), c.location.as_deref()), (NS, 1, Some(address)));
            // GhiNhan's open request has its required field moved before the wildcard, so that
            // no element matches both (Unique Particle Attribution); the rest reads back as made.
            let mut expected = operations.clone();
            let open = expected[1].input.fields.as_mut().unwrap();
            let required = open.remove(0);
            open.insert(2, required);
            assert_eq!(c.operations(version), Some(expected.as_slice()), "{text}");
            assert!(text.contains("<xs:element name=\"soDinhDanh\" type=\"xs:string\"/><xs:any"), "{text}");
            assert!(text.contains("Công dân &lt;&amp;&gt;") && text.contains("name=\"cong_dân_1\""), "{text}");
        }

        // With no required single element to stand before it, the open type is the wildcard alone.
        let m = crate::soap::SoapMapping {
            mode: "soap_to_rest".into(),
            version: "1.1".into(),
            namespace: NS.into(),
            operations: super::operations(
                &json!({"paths": {"/Mo": {"post": {"requestBody": {"content": {"application/json": {"schema":
                    {"type": "object", "additionalProperties": true, "properties": {"a": {"type": "string"}, "b": {"type": "array", "items": {"type": "string"}}}}}}}}}}})
                .to_string(),
                NS,
            )
            .unwrap(),
        };
        let text = crate::soap::described::wsdl("Mở", "mo", "http://lgsp.example/", &m);
        let c = crate::soap::wsdl::read(&text).unwrap();
        assert_eq!(c.operations("1.1").unwrap()[0].input.fields, Some(vec![f(ANY, "any", false, true, vec![])]), "{text}");
    }

    #[test]
    fn swagger_two_and_yaml_are_read_too() {
        let swagger = json!({
            "swagger": "2.0",
            "paths": {"/Nop": {"post": {
                "parameters": [{"in": "body", "name": "b", "schema": {"$ref": "#/definitions/HoSo"}}],
                "responses": {"200": {"description": "ok", "schema": {"type": "object", "properties": {"ma": {"type": "string"}}}}}
            }}},
            "definitions": {"HoSo": {"type": "object", "properties": {"soTrang": {"type": "integer"}}}}
        });
        let ops = operations(&swagger.to_string(), NS).unwrap();
        assert_eq!(ops[0].input.fields.as_ref().unwrap()[0], f("soTrang", "integer", false, false, vec![]));
        assert_eq!(ops[0].output.as_ref().unwrap().fields.as_ref().unwrap()[0], f("ma", "string", false, false, vec![]));
        let yaml = "openapi: 3.0.3\npaths:\n  /Nop:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {type: object, properties: {soTrang: {type: integer}}}\n";
        assert_eq!(operations(yaml, NS).unwrap()[0].input.fields.as_ref().unwrap()[0], f("soTrang", "integer", false, false, vec![]));
        assert!(operations("a: &x {}\npaths: *x\n", NS).unwrap_err().contains("alias"));
    }

    #[test]
    fn descriptions_the_bridge_cannot_use_are_refused_naming_why() {
        let with = |paths: Value| {
            json!({"openapi": "3.0.0", "paths": paths, "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}}}).to_string()
        };
        let schema = |s: Value| json!({"/X": {"post": {"requestBody": {"content": {"application/json": {"schema": s}}}}}});
        for (text, word) in [
            ("{not json".to_owned(), "OpenAPI"),
            (json!({"openapi": "3.0.0"}).to_string(), "no paths"),
            (with(json!({"/a": {"get": {}}})), "no POST"),
            (with(schema(json!({"type": "object", "properties": {"bad name": {"type": "string"}}}))), "«bad name»"),
            (with(schema(json!({"$ref": "https://example.org/s.json"}))), "outside"),
            (with(schema(json!({"$ref": "#/components/schemas/C"}))), "points to nothing"),
            (with(schema(json!({"$ref": "#/components/schemas/A"}))), "without end"),
            (with(json!({"/X": {"post": {}}, "/XResponse": {"post": {}}})), "XResponse"),
        ] {
            let e = operations(&text, NS).unwrap_err();
            assert!(e.contains(word), "{word}: {e}");
        }
    }
}
