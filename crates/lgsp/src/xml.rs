//! Reading XML safely into a small tree, for SOAP messages and WSDL descriptions: no DTD at all
//! (a document with a `DOCTYPE`, the door to entity expansion and external entities, is
//! refused), only the five entities XML defines and character references, bounded nesting.
//! Element names keep their namespace; attribute values that are qualified names (`type`,
//! `element`, ...) are resolved against the namespaces in scope, as `{namespace}local`.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{QName, ResolveResult};

/// Deepest nesting accepted, in both directions.
pub(crate) const MAX_DEPTH: usize = 64;
/// The most attributes (namespace declarations included) one element may have.
const MAX_ATTRS: usize = 256;
/// The most elements a document may have.
const MAX_NODES: usize = 500_000;

/// The attributes whose values are qualified names, resolved as `{namespace}local`, on the
/// elements of a description (in the namespaces of `DESCRIBING`); anywhere else (a message's
/// own `type` attribute, say) they are text like any other.
const QNAME_ATTRS: [&str; 7] = ["type", "base", "element", "ref", "message", "binding", "itemType"];
const DESCRIBING: [&str; 4] = [
    "http://www.w3.org/2001/XMLSchema",
    "http://schemas.xmlsoap.org/wsdl/",
    "http://schemas.xmlsoap.org/wsdl/soap/",
    "http://schemas.xmlsoap.org/wsdl/soap12/",
];

/// XML Schema's instance namespace.
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// An element read from XML: namespace, local name, attributes, text, children in order.
#[derive(Debug, Default)]
pub(crate) struct Node {
    pub(crate) ns: String,
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) text: String,
    pub(crate) children: Vec<Node>,
}

impl Node {
    pub(crate) fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The children with this local name.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub(crate) fn first(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// The local part of a `{namespace}local` (or plain) name.
pub(crate) fn local(qname: &str) -> &str {
    qname.rsplit_once('}').map_or(qname, |(_, l)| l)
}

/// The namespace part of a `{namespace}local` name ("" when none).
pub(crate) fn namespace(qname: &str) -> &str {
    qname.strip_prefix('{').and_then(|s| s.split_once('}')).map_or("", |(ns, _)| ns)
}

fn bound(r: &ResolveResult) -> String {
    match r {
        ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
        _ => String::new(),
    }
}

fn open(r: &NsReader<&[u8]>, ns: String, e: &BytesStart) -> Result<Node, String> {
    let describing = DESCRIBING.contains(&ns.as_str());
    let mut node = Node { ns, name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(), ..Default::default() };
    // Duplicates are found here, with a set: quick-xml's own check compares every attribute
    // with every other.
    let mut keys = std::collections::HashSet::new();
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|e| format!("malformed attribute: {e}"))?;
        if keys.len() >= MAX_ATTRS {
            return Err(format!("more than {MAX_ATTRS} attributes on one element"));
        }
        if !keys.insert(a.key.as_ref().to_vec()) {
            return Err(format!("the attribute {} appears twice", String::from_utf8_lossy(a.key.as_ref())));
        }
        let key = a.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        let value = a.unescape_value().map_err(|e| format!("attribute value: {e}"))?.into_owned();
        let mut name = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        // XML Schema's instance attributes (`xsi:nil`, `xsi:type`, ...) are the XML's own, kept
        // apart from an element's attributes of the same local name.
        if bound(&r.resolve_attribute(a.key).0) == XSI {
            name.insert_str(0, "xsi:");
        }
        let value = if describing && QNAME_ATTRS.contains(&name.as_str()) {
            let (ns, l) = r.resolve_element(QName(value.as_bytes()));
            format!("{{{}}}{}", bound(&ns), String::from_utf8_lossy(l.as_ref()))
        } else {
            value
        };
        node.attrs.push((name, value));
    }
    Ok(node)
}

/// Parses XML safely into a tree: no DTD, only the predefined entities, bounded depth. Gives the
/// root element.
pub(crate) fn parse(xml: &[u8]) -> Result<Node, String> {
    let mut r = NsReader::from_reader(xml);
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut nodes = 0usize;
    loop {
        let (ns, event) = r.read_resolved_event().map_err(|e| format!("malformed XML: {e}"))?;
        if matches!(event, Event::Start(_) | Event::Empty(_)) {
            nodes += 1;
            if nodes > MAX_NODES {
                return Err(format!("more than {MAX_NODES} elements"));
            }
        }
        let ns = match &ns {
            ResolveResult::Unknown(p) => return Err(format!("the prefix «{}» is not declared", String::from_utf8_lossy(p))),
            other => bound(other),
        };
        match event {
            Event::DocType(_) => return Err("a DOCTYPE is not accepted (entities could expand or reach outside)".into()),
            Event::Start(e) => {
                if stack.len() > MAX_DEPTH {
                    return Err("nested too deep".into());
                }
                let n = open(&r, ns, &e)?;
                stack.push(n);
            }
            Event::Empty(e) => {
                let n = open(&r, ns, &e)?;
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
        if stack.len() > MAX_DEPTH + 1 {
            return Err("nested too deep".into());
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
