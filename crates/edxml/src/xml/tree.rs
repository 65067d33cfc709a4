//! A tiny element tree for the skeleton (header, manifest, signature: a few KB) and a strict
//! child accessor that names element paths in its errors.

use crate::error::EdxmlError;
use crate::model::{DSIG_NS, EDXML_NS};

/// Namespace of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ns {
    Edxml,
    Dsig,
    Other(String),
    None,
}

impl Ns {
    pub fn from_uri(uri: &[u8]) -> Ns {
        if uri == EDXML_NS.as_bytes() {
            Ns::Edxml
        } else if uri == DSIG_NS.as_bytes() {
            Ns::Dsig
        } else {
            Ns::Other(String::from_utf8_lossy(uri).into_owned())
        }
    }
}

#[derive(Debug, Clone)]
pub struct Element {
    pub ns: Ns,
    /// Local name.
    pub name: String,
    /// Attributes other than namespace declarations, by qualified name.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Concatenated character data directly inside this element.
    pub text: String,
}

impl Element {
    pub fn is(&self, ns: &Ns, name: &str) -> bool {
        &self.ns == ns && self.name == name
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Human name for messages: `edXML:Foo`, `ds:Foo` or `{uri}Foo`.
    pub fn display_name(&self) -> String {
        match &self.ns {
            Ns::Edxml => self.name.clone(),
            Ns::Dsig => format!("ds:{}", self.name),
            Ns::Other(u) => format!("{{{u}}}{}", self.name),
            Ns::None => format!("{{}}{}", self.name),
        }
    }
}

/// Children of one edXML element, checked against the allowed names.
pub struct Kids<'a> {
    el: &'a Element,
    pub path: String,
}

impl<'a> Kids<'a> {
    /// Checks that `el` holds only the `allowed` edXML children (foreign-namespace children only
    /// when `foreign_ok`) and no stray text, and that single elements are not repeated
    /// (`repeatable` lists those that may be).
    pub fn new(el: &'a Element, path: String, allowed: &[&str], repeatable: &[&str], foreign_ok: bool) -> Result<Self, EdxmlError> {
        if !el.text.trim().is_empty() {
            return Err(EdxmlError::invalid(&path, "text is not allowed here, only child elements"));
        }
        for (i, c) in el.children.iter().enumerate() {
            match &c.ns {
                Ns::Edxml if allowed.contains(&c.name.as_str()) => {
                    if !repeatable.contains(&c.name.as_str()) && el.children[..i].iter().any(|p| p.is(&Ns::Edxml, &c.name)) {
                        return Err(EdxmlError::invalid(format!("{path}/{}", c.name), "element appears more than once"));
                    }
                }
                Ns::Edxml => {
                    return Err(EdxmlError::invalid(
                        format!("{path}/{}", c.name),
                        "unknown element in the edXML namespace (phần tử không có trong QCVN 102)",
                    ));
                }
                Ns::Other(_) if foreign_ok => {}
                _ => return Err(EdxmlError::invalid(format!("{path}/{}", c.display_name()), "element not allowed here")),
            }
        }
        Ok(Kids { el, path })
    }

    pub fn child_path(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }

    pub fn opt(&self, name: &str) -> Option<&'a Element> {
        self.el.children.iter().find(|c| c.is(&Ns::Edxml, name))
    }

    pub fn req(&self, name: &str) -> Result<&'a Element, EdxmlError> {
        self.opt(name).ok_or_else(|| EdxmlError::invalid(self.child_path(name), "required element is missing (thiếu phần tử bắt buộc)"))
    }

    pub fn all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a Element> + use<'a, 'n> {
        self.el.children.iter().filter(move |c| c.is(&Ns::Edxml, name))
    }

    /// Required, non-empty text of a leaf child.
    pub fn text(&self, name: &str) -> Result<String, EdxmlError> {
        let el = self.req(name)?;
        leaf_text(el, &self.child_path(name))?.ok_or_else(|| EdxmlError::invalid(self.child_path(name), "required value is empty"))
    }

    /// Text of an optional leaf child; empty counts as absent.
    pub fn opt_text(&self, name: &str) -> Result<Option<String>, EdxmlError> {
        match self.opt(name) {
            Some(el) => leaf_text(el, &self.child_path(name)),
            None => Ok(None),
        }
    }

    /// Required value parsed by `f`; `what` describes the expected form for the message.
    pub fn parsed<T>(&self, name: &str, what: &str, f: impl Fn(&str) -> Option<T>) -> Result<T, EdxmlError> {
        let t = self.text(name)?;
        f(&t).ok_or_else(|| EdxmlError::invalid(self.child_path(name), format!("{t:?} is not {what}")))
    }

    pub fn opt_parsed<T>(&self, name: &str, what: &str, f: impl Fn(&str) -> Option<T>) -> Result<Option<T>, EdxmlError> {
        match self.opt_text(name)? {
            Some(t) => f(&t).map(Some).ok_or_else(|| EdxmlError::invalid(self.child_path(name), format!("{t:?} is not {what}"))),
            None => Ok(None),
        }
    }
}

/// Trimmed text of an element that must not have children; `None` when empty.
pub fn leaf_text(el: &Element, path: &str) -> Result<Option<String>, EdxmlError> {
    if let Some(c) = el.children.first() {
        return Err(EdxmlError::invalid(format!("{path}/{}", c.display_name()), "element not allowed here, a text value is expected"));
    }
    let t = el.text.trim();
    Ok((!t.is_empty()).then(|| t.to_owned()))
}
