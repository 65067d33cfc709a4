//! A WSDL 1.1 description read into what the bridge needs of it: per SOAP binding (1.1 or 1.2),
//! each operation's action and the shape of its request and response bodies, from the XML
//! Schema in the description's `types`. Document/literal and RPC/literal bindings are read;
//! RPC/encoded is refused (WS-I Basic Profile left it behind). Schemas the description imports
//! from elsewhere are not fetched: a type it does not define is named as missing.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::xml::{Node, local, namespace, parse};

const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
const SOAP11: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
const SOAP12: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
const XSD: &str = "http://www.w3.org/2001/XMLSchema";
/// Types nested deeper than this are taken as free content.
const MAX_TYPE_DEPTH: usize = 16;
/// The most fields a description may give all its operations together.
const MAX_FIELDS: usize = 10_000;

/// An operation of the service, as one SOAP binding offers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Operation {
    pub name: String,
    /// The SOAPAction (1.1) or the `action` parameter (1.2); may be empty.
    #[serde(default)]
    pub action: String,
    pub input: Body,
    /// None for a one-way operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Body>,
}

/// What a SOAP body holds for one message: one element and its content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Body {
    /// The element's local name.
    pub element: String,
    /// The element's namespace.
    pub namespace: String,
    /// The content's fields in the schema's order; none when the schema leaves it free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<Field>>,
}

/// One element inside a body, as a JSON field. An attribute of the element is a field named
/// `@` and the attribute's name, and the text of an element that has attributes too (XML
/// Schema's simple content) is the field `#text`: the names Json.NET gives them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Field {
    pub name: String,
    /// The element's namespace: its schema's target namespace when the schema qualifies its
    /// elements (`elementFormDefault`, `form`, or a `ref` to a global element); empty when not.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// `string`, `integer`, `number` (a double), `decimal` (exact, as text in JSON), `boolean`,
    /// `object` (with `fields`) or `any`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `minOccurs` is not 0.
    #[serde(default)]
    pub required: bool,
    /// `maxOccurs` above 1: a JSON array.
    #[serde(default)]
    pub repeated: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub fields: Vec<Field>,
}

/// What a WSDL description offers: its target namespace, the operations of each SOAP version
/// it has a binding for, and the address its service names.
#[derive(Debug, Clone, PartialEq)]
pub struct Contract {
    pub namespace: String,
    pub bindings: Vec<(String, Vec<Operation>)>,
    pub location: Option<String>,
}

impl Contract {
    /// The operations of the binding for this SOAP version.
    pub fn operations(&self, version: &str) -> Option<&[Operation]> {
        self.bindings.iter().find(|(v, _)| v == version).map(|(_, ops)| ops.as_slice())
    }
}

#[derive(Clone, Copy)]
struct Ctx<'a> {
    ns: &'a str,
    qualified: bool,
    /// `attributeFormDefault`: local attributes in the target namespace too.
    attributes_qualified: bool,
}

/// The schemas of the description, indexed by `{namespace}name`.
struct Schemas<'a> {
    elements: HashMap<String, (&'a Node, Ctx<'a>)>,
    types: HashMap<String, (&'a Node, Ctx<'a>)>,
    /// Global attributes and attribute groups.
    attributes: HashMap<String, (&'a Node, Ctx<'a>)>,
    attribute_groups: HashMap<String, (&'a Node, Ctx<'a>)>,
    /// The named types being read, outermost first: a type met again inside itself is free
    /// content there.
    within: RefCell<Vec<String>>,
    /// Fields made so far, against `MAX_FIELDS`.
    made: Cell<usize>,
}

/// Built-in XML Schema types as JSON kinds.
fn builtin(name: &str) -> &'static str {
    match name {
        "int" | "integer" | "long" | "short" | "byte" | "unsignedInt" | "unsignedLong" | "unsignedShort" | "unsignedByte"
        | "nonNegativeInteger" | "positiveInteger" | "nonPositiveInteger" | "negativeInteger" => "integer",
        // Exact decimals (amounts of money, most of all) stay exact: text on the JSON side.
        "decimal" => "decimal",
        "float" | "double" => "number",
        "boolean" => "boolean",
        "anyType" => "any",
        _ => "string",
    }
}

/// A field's kind and, for objects, its fields.
type Shape = (&'static str, Vec<Field>);

/// The field that holds the text of an element with attributes.
pub const TEXT: &str = "#text";
/// The field standing for an `xs:any`: where elements the schema leaves open go, each a JSON
/// field of its own name beside the named ones.
pub const ANY: &str = "*";
/// The field standing for an `xs:anyAttribute`: attributes the schema does not name are
/// taken, each a JSON field `@name`.
pub const ANY_ATTRIBUTE: &str = "@*";

/// The field an `xs:any` (or a reference to XML Schema's own `schema` element, as in the
/// DataSets ASP.NET services answer with) stands for: free content in `namespace`.
fn open_field(name: &str, namespace: String, required: bool, repeated: bool) -> Field {
    Field { name: name.into(), namespace, kind: "any".into(), required, repeated, fields: Vec::new() }
}

/// One of the kinds a field can have, as the static text `Shape` holds.
fn static_kind(kind: &str) -> &'static str {
    ["string", "integer", "number", "decimal", "boolean"].into_iter().find(|k| *k == kind).unwrap_or("string")
}

impl<'a> Schemas<'a> {
    fn new(root: &'a Node) -> Schemas<'a> {
        let mut s = Schemas {
            elements: HashMap::new(),
            types: HashMap::new(),
            attributes: HashMap::new(),
            attribute_groups: HashMap::new(),
            within: RefCell::default(),
            made: Cell::new(0),
        };
        for types in root.all("types") {
            for schema in types.all("schema").filter(|n| n.ns == XSD) {
                let ctx = Ctx {
                    ns: schema.attr("targetNamespace").unwrap_or(""),
                    qualified: schema.attr("elementFormDefault") == Some("qualified"),
                    attributes_qualified: schema.attr("attributeFormDefault") == Some("qualified"),
                };
                for n in &schema.children {
                    let Some(name) = n.attr("name") else { continue };
                    let key = format!("{{{}}}{name}", ctx.ns);
                    match n.name.as_str() {
                        "element" => {
                            s.elements.insert(key, (n, ctx));
                        }
                        "complexType" | "simpleType" => {
                            s.types.insert(key, (n, ctx));
                        }
                        "attribute" => {
                            s.attributes.insert(key, (n, ctx));
                        }
                        "attributeGroup" => {
                            s.attribute_groups.insert(key, (n, ctx));
                        }
                        _ => {}
                    }
                }
            }
        }
        s
    }

    /// Counts a step of reading types, against the same budget as the fields: a description
    /// whose types refer to each other many times over is refused, not expanded.
    fn step(&self) -> Result<(), String> {
        self.made.set(self.made.get() + 1);
        if self.made.get() > MAX_FIELDS {
            return Err(format!("the schema gives more than {MAX_FIELDS} fields and types; too large to bridge"));
        }
        Ok(())
    }

    /// The content of a named type.
    fn named(&self, qname: &str, depth: usize) -> Result<Shape, String> {
        self.step()?;
        if namespace(qname) == XSD {
            return Ok((builtin(local(qname)), Vec::new()));
        }
        let (n, ctx) = self.types.get(qname).ok_or_else(|| format!("the type {} is not defined in the WSDL", local(qname)))?;
        if self.within.borrow().iter().any(|t| t == qname) {
            return Ok(("any", Vec::new()));
        }
        self.within.borrow_mut().push(qname.to_owned());
        let shape = self.typed(n, *ctx, depth);
        self.within.borrow_mut().pop();
        shape
    }

    /// The content of a `complexType` or `simpleType`.
    fn typed(&self, n: &Node, ctx: Ctx, depth: usize) -> Result<Shape, String> {
        if depth > MAX_TYPE_DEPTH {
            return Ok(("any", Vec::new()));
        }
        if n.name == "simpleType" {
            return Ok(match n.first("restriction").and_then(|r| r.attr("base")) {
                Some(base) => (self.named(base, depth + 1)?.0, Vec::new()),
                None => ("string", Vec::new()),
            });
        }
        let mut fields = Vec::new();
        for c in &n.children {
            match c.name.as_str() {
                "sequence" | "all" | "choice" => self.particles(c, ctx, c.name == "choice", depth, &mut fields)?,
                "attribute" | "attributeGroup" | "anyAttribute" => self.attribute(c, ctx, depth, &mut fields)?,
                "complexContent" => {
                    for d in c.children.iter().filter(|d| matches!(d.name.as_str(), "extension" | "restriction")) {
                        if d.name == "extension"
                            && let Some(base) = d.attr("base")
                        {
                            fields.extend(self.named(base, depth + 1)?.1);
                        }
                        for g in &d.children {
                            match g.name.as_str() {
                                "sequence" | "all" | "choice" => self.particles(g, ctx, g.name == "choice", depth, &mut fields)?,
                                "attribute" | "attributeGroup" | "anyAttribute" => self.attribute(g, ctx, depth, &mut fields)?,
                                _ => {}
                            }
                        }
                    }
                }
                "simpleContent" => {
                    let Some(d) = c.children.iter().find(|d| matches!(d.name.as_str(), "extension" | "restriction")) else {
                        return Ok(("string", Vec::new()));
                    };
                    let (kind, mut inherited) = match d.attr("base") {
                        Some(base) => self.named(base, depth + 1)?,
                        None => ("string", Vec::new()),
                    };
                    // A base with simple content and attributes of its own gives its text's kind
                    // and those attributes.
                    let kind = match inherited.iter().position(|f| f.name == TEXT) {
                        Some(i) => static_kind(&inherited.remove(i).kind),
                        None if kind == "object" => "string",
                        None => kind,
                    };
                    let mut attributes: Vec<Field> = inherited.into_iter().filter(|f| f.name.starts_with('@')).collect();
                    for a in d.children.iter().filter(|a| matches!(a.name.as_str(), "attribute" | "attributeGroup" | "anyAttribute")) {
                        self.attribute(a, ctx, depth, &mut attributes)?;
                    }
                    if attributes.is_empty() {
                        return Ok((kind, Vec::new()));
                    }
                    attributes.push(Field {
                        name: TEXT.into(),
                        namespace: String::new(),
                        kind: kind.into(),
                        required: false,
                        repeated: false,
                        fields: Vec::new(),
                    });
                    return Ok(("object", attributes));
                }
                _ => {}
            }
        }
        Ok(("object", fields))
    }

    /// An `attribute` (or the attributes of an `attributeGroup`) as fields named `@name`,
    /// appended to `out`. Attributes that are not simple values are text. An `anyAttribute`
    /// is the field `@*`, once.
    fn attribute(&self, a: &Node, ctx: Ctx, depth: usize, out: &mut Vec<Field>) -> Result<(), String> {
        self.step()?;
        if a.name == "anyAttribute" {
            if !out.iter().any(|f| f.name == ANY_ATTRIBUTE) {
                out.push(Field { kind: "string".into(), ..open_field(ANY_ATTRIBUTE, String::new(), false, false) });
            }
            return Ok(());
        }
        if a.name == "attributeGroup" {
            let Some(r) = a.attr("ref") else { return Ok(()) };
            let (g, gctx) =
                self.attribute_groups.get(r).ok_or_else(|| format!("the attribute group {} is not defined in the WSDL", local(r)))?;
            if depth > MAX_TYPE_DEPTH {
                return Err(format!("the attribute group {} refers to itself", local(r)));
            }
            for c in g.children.iter().filter(|c| matches!(c.name.as_str(), "attribute" | "attributeGroup" | "anyAttribute")) {
                self.attribute(c, *gctx, depth + 1, out)?;
            }
            return Ok(());
        }
        if a.attr("use") == Some("prohibited") {
            return Ok(());
        }
        let required = a.attr("use") == Some("required");
        let (decl, dctx, name, namespace) = match a.attr("ref") {
            Some(r) => {
                let (g, gctx) = self.attributes.get(r).ok_or_else(|| format!("the attribute {} is not defined in the WSDL", local(r)))?;
                (*g, *gctx, local(r).to_owned(), gctx.ns.to_owned())
            }
            None => {
                let name = a.attr("name").ok_or("an attribute without a name")?.to_owned();
                let qualified = match a.attr("form") {
                    Some(form) => form == "qualified",
                    None => ctx.attributes_qualified,
                };
                (a, ctx, name, if qualified { ctx.ns.to_owned() } else { String::new() })
            }
        };
        let kind = match (decl.attr("type"), decl.first("simpleType")) {
            (Some(t), _) => self.named(t, depth + 1)?.0,
            (None, Some(t)) => self.typed(t, dctx, depth + 1)?.0,
            (None, None) => "string",
        };
        let kind = if matches!(kind, "object" | "any") { "string" } else { kind };
        out.push(Field { name: format!("@{name}"), namespace, kind: kind.into(), required, repeated: false, fields: Vec::new() });
        Ok(())
    }

    /// The elements of a `sequence`, `all` or `choice`, appended to `out`.
    fn particles(&self, group: &Node, ctx: Ctx, optional: bool, depth: usize, out: &mut Vec<Field>) -> Result<(), String> {
        let optional = optional || group.attr("minOccurs") == Some("0");
        for c in &group.children {
            match c.name.as_str() {
                "element" => out.push(self.field(c, ctx, optional, depth)?),
                "any" => {
                    self.step()?;
                    // Written in the one namespace it names, if it names one; else unqualified.
                    let namespace = match c.attr("namespace").unwrap_or("##any") {
                        "##targetNamespace" => ctx.ns.to_owned(),
                        "##any" | "##other" | "##local" => String::new(),
                        list if !list.contains(char::is_whitespace) => list.to_owned(),
                        _ => String::new(),
                    };
                    let required = !optional && c.attr("minOccurs") != Some("0");
                    if !out.iter().any(|f| f.name == ANY) {
                        out.push(open_field(ANY, namespace, required, true));
                    }
                }
                "sequence" | "all" | "choice" => self.particles(c, ctx, optional || c.name == "choice", depth, out)?,
                "group" => return Err("xs:group is not supported; write its elements out".into()),
                _ => {}
            }
        }
        Ok(())
    }

    /// A local element (or a reference to a global one) as a field.
    fn field(&self, e: &Node, ctx: Ctx, optional: bool, depth: usize) -> Result<Field, String> {
        self.step()?;
        let required = !optional && e.attr("minOccurs") != Some("0");
        let repeated = e.attr("maxOccurs").is_some_and(|m| m == "unbounded" || m.parse::<u64>().is_ok_and(|n| n > 1));
        let (name, namespace, (kind, fields)) = if let Some(r) = e.attr("ref") {
            if r == format!("{{{XSD}}}schema") {
                // An inline schema, as an ASP.NET DataSet sends before its data.
                return Ok(open_field("schema", XSD.into(), required, repeated));
            }
            let (g, gctx) = self.elements.get(r).ok_or_else(|| format!("the element {} is not defined in the WSDL", local(r)))?;
            (local(r).to_owned(), gctx.ns.to_owned(), self.content(g, *gctx, depth + 1)?)
        } else {
            let name = e.attr("name").ok_or("an element without a name")?.to_owned();
            let qualified = match e.attr("form") {
                Some(form) => form == "qualified",
                None => ctx.qualified,
            };
            (name, if qualified { ctx.ns.to_owned() } else { String::new() }, self.content(e, ctx, depth + 1)?)
        };
        Ok(Field { name, namespace, kind: kind.into(), required, repeated, fields })
    }

    /// An element's content: its named type, or the type written inside it.
    fn content(&self, e: &Node, ctx: Ctx, depth: usize) -> Result<Shape, String> {
        if let Some(t) = e.attr("type") {
            return self.named(t, depth);
        }
        match e.children.iter().find(|c| matches!(c.name.as_str(), "complexType" | "simpleType")) {
            Some(t) => self.typed(t, ctx, depth),
            None => Ok(("any", Vec::new())),
        }
    }

    /// The body a global element describes.
    fn body(&self, qname: &str) -> Result<Body, String> {
        let (e, ctx) = self.elements.get(qname).ok_or_else(|| format!("the element {} is not defined in the WSDL", local(qname)))?;
        let (kind, fields) = self.content(e, *ctx, 0)?;
        Ok(Body { element: local(qname).to_owned(), namespace: ctx.ns.to_owned(), fields: (kind == "object").then_some(fields) })
    }
}

/// The top-level definition of this kind (`message`, `portType`) with this name.
fn defined<'a>(root: &'a Node, kind: &str, qname: &str) -> Result<&'a Node, String> {
    root.children
        .iter()
        .find(|n| n.name == kind && n.attr("name") == Some(local(qname)))
        .ok_or_else(|| format!("the {kind} {} is not defined in the WSDL", local(qname)))
}

/// Reads a WSDL 1.1 description (safely: no DTD, no entities but XML's own).
pub fn read(text: &str) -> Result<Contract, String> {
    let root = parse(text.as_bytes())?;
    if root.name == "description" {
        return Err("WSDL 2.0 is not supported; give a WSDL 1.1 description".into());
    }
    if root.name != "definitions" {
        return Err(format!("the root element is {}: this is not a WSDL 1.1 description (definitions)", root.name));
    }
    if root.ns != WSDL {
        return Err(format!("the definitions element is not in the WSDL 1.1 namespace {WSDL}"));
    }
    let tns = root.attr("targetNamespace").unwrap_or("").to_owned();
    let schemas = Schemas::new(&root);
    let named = |kind: &str, qname: &str| defined(&root, kind, qname);
    let mut bindings: Vec<(String, Vec<Operation>)> = Vec::new();
    let mut location = None;
    for b in root.all("binding").filter(|b| b.ns == WSDL) {
        let Some(soap) = b.children.iter().find(|c| c.name == "binding" && (c.ns == SOAP11 || c.ns == SOAP12)) else { continue };
        let version = if soap.ns == SOAP12 { "1.2" } else { "1.1" };
        if bindings.iter().any(|(v, _)| v == version) {
            continue;
        }
        let port_type = named("portType", b.attr("type").ok_or("a binding without a type")?)?;
        let mut ops = Vec::new();
        for o in b.all("operation").filter(|o| o.ns == WSDL) {
            let name = o.attr("name").ok_or("an operation without a name")?;
            let soap_op = o.children.iter().find(|c| c.name == "operation" && c.ns == soap.ns);
            let style = soap_op.and_then(|s| s.attr("style")).or(soap.attr("style")).unwrap_or("document");
            let encoded = o.children.iter().flat_map(|io| io.children.iter()).any(|c| c.name == "body" && c.attr("use") == Some("encoded"));
            if encoded {
                return Err(format!("the operation {name} is encoded (use=\"encoded\"); only literal bindings are supported"));
            }
            let abstract_op = port_type
                .all("operation")
                .find(|p| p.attr("name") == Some(name))
                .ok_or_else(|| format!("the operation {name} is not in its port type"))?;
            let message = |io: &str| -> Result<Option<&Node>, String> {
                match abstract_op.first(io).and_then(|i| i.attr("message")) {
                    Some(m) => named("message", m).map(Some),
                    None => Ok(None),
                }
            };
            let body_ns = |io: &str| o.first(io).and_then(|i| i.first("body")).and_then(|b| b.attr("namespace")).unwrap_or(&tns).to_owned();
            let body = |msg: &Node, io: &str, wrapper: String| -> Result<Body, String> {
                let parts: Vec<&Node> = msg.all("part").collect();
                if style == "rpc" {
                    let mut fields = Vec::new();
                    for p in parts {
                        let part = p.attr("name").ok_or("a part without a name")?.to_owned();
                        let (kind, inner) = match (p.attr("type"), p.attr("element")) {
                            (Some(t), _) => schemas.named(t, 0)?,
                            (None, Some(e)) => {
                                let b = schemas.body(e)?;
                                if b.fields.is_some() { ("object", b.fields.unwrap_or_default()) } else { ("any", Vec::new()) }
                            }
                            _ => ("any", Vec::new()),
                        };
                        let namespace = String::new();
                        fields.push(Field { name: part, namespace, kind: kind.into(), required: true, repeated: false, fields: inner });
                    }
                    return Ok(Body { element: wrapper, namespace: body_ns(io), fields: Some(fields) });
                }
                match parts.as_slice() {
                    [p] => schemas.body(p.attr("element").ok_or_else(|| {
                        format!("the message {} of a document binding needs a part with an element", msg.attr("name").unwrap_or(""))
                    })?),
                    [] => Ok(Body { element: wrapper, namespace: body_ns(io), fields: Some(Vec::new()) }),
                    _ => Err(format!("the message {} has several parts; one is supported", msg.attr("name").unwrap_or(""))),
                }
            };
            let input = message("input")?.ok_or_else(|| format!("the operation {name} has no input"))?;
            let input = body(input, "input", name.to_owned())?;
            let output = match message("output")? {
                Some(m) => Some(body(m, "output", format!("{name}Response"))?),
                None => None,
            };
            let action = soap_op.and_then(|s| s.attr("soapAction")).unwrap_or("").to_owned();
            ops.push(Operation { name: name.to_owned(), action, input, output });
        }
        if location.is_none() {
            let bname = b.attr("name").unwrap_or("");
            location = root
                .all("service")
                .flat_map(|s| s.all("port"))
                .filter(|p| p.attr("binding").map(local) == Some(bname))
                .find_map(|p| p.children.iter().find(|a| a.name == "address").and_then(|a| a.attr("location")))
                .map(str::to_owned);
        }
        bindings.push((version.to_owned(), ops));
    }
    if bindings.is_empty() {
        return Err("the WSDL has no SOAP 1.1 or 1.2 binding".into());
    }
    if bindings.iter().all(|(_, ops)| ops.is_empty()) {
        return Err("the WSDL's bindings have no operations".into());
    }
    Ok(Contract { namespace: tns, bindings, location })
}

#[cfg(test)]
mod tests;
