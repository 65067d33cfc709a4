//! YAML read into JSON values, for the OpenAPI descriptions services register in YAML. Only
//! what JSON can hold is read: one document of mappings with scalar keys, sequences and scalars
//! (plain ones typed by YAML 1.2's core schema: null, booleans, integers, floats, else text;
//! `!!str` keeps one text). A key given twice in one mapping is refused.
//! Aliases are refused rather than expanded, so a few lines of anchors cannot grow into a huge
//! document; nesting and the number of nodes are bounded too.

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// Deeper nesting is refused.
const MAX_DEPTH: usize = 128;
/// More nodes than this are refused.
const MAX_NODES: usize = 1_000_000;

/// A container being read.
enum Open {
    List(Vec<Value>),
    /// A mapping and, between a key and its value, the key.
    Mapping(Map<String, Value>, Option<String>),
}

/// The one document of `text` as JSON.
pub fn to_json(text: &str) -> Result<Value, String> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut done: Option<Value> = None;
    let mut nodes = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| format!("YAML: {e}"))?;
        let at = || format!("line {}", mark.line());
        let value = match event {
            Event::StreamEnd => break,
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => continue,
            Event::DocumentStart if done.is_some() => return Err(format!("YAML: a second document at {}; one is read", at())),
            Event::DocumentStart => continue,
            Event::Alias(_) => return Err(format!("YAML: an alias at {}; write the value out (aliases are not expanded)", at())),
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if matches!(stack.last(), Some(Open::Mapping(_, None))) {
                    return Err(format!("YAML: a key that is not a scalar at {}", at()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("YAML: nested deeper than {MAX_DEPTH} at {}", at()));
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::List(Vec::new())
                } else {
                    Open::Mapping(Map::new(), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::List(items)) => Value::Array(items),
                Some(Open::Mapping(m, _)) => Value::Object(m),
                None => return Err(format!("YAML: an end without a start at {}", at())),
            },
            Event::Scalar(text, style, _, tag) => {
                // A mapping's key is its text as written (`200:` is the key "200"), once.
                if let Some(Open::Mapping(m, key @ None)) = stack.last_mut() {
                    if m.contains_key(&text) {
                        return Err(format!("YAML: the key «{text}» twice in one mapping at {}", at()));
                    }
                    *key = Some(text);
                    continue;
                }
                // `!!str` keeps a plain scalar text.
                let text_tag = tag.is_some_and(|t| (t.handle == "!!" || t.handle.ends_with("tag:yaml.org,2002:")) && t.suffix == "str");
                if text_tag { Value::String(text) } else { scalar(text, style) }
            }
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(format!("YAML: more than {MAX_NODES} values"));
        }
        match stack.last_mut() {
            Some(Open::List(items)) => items.push(value),
            Some(Open::Mapping(m, key)) => {
                if let Some(k) = key.take() {
                    m.insert(k, value);
                }
            }
            None => done = Some(value),
        }
    }
    done.ok_or_else(|| "YAML: the text holds no document".into())
}

/// A scalar's value: quoted and block scalars are text; plain ones are typed.
fn scalar(text: String, style: TScalarStyle) -> Value {
    if style != TScalarStyle::Plain {
        return Value::String(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['+', '-']).unwrap_or(&text);
    let integer = |s: &str, radix: u32| {
        (!s.is_empty() && s.chars().all(|c| c.is_digit(radix))).then(|| i64::from_str_radix(s, radix).ok().map(Value::from)).flatten()
    };
    let typed = if let Some(hex) = text.strip_prefix("0x") {
        integer(hex, 16)
    } else if let Some(octal) = text.strip_prefix("0o") {
        integer(octal, 8)
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<i64>().map(Value::from).or_else(|_| text.parse::<u64>().map(Value::from)).ok()
    } else if float_like(digits) {
        text.parse::<f64>().ok().and_then(Number::from_f64).map(Value::Number)
    } else {
        None
    };
    typed.unwrap_or(Value::String(text))
}

/// Digits with a point or an exponent (`.5`, `1.`, `2.5e-3`), as the core schema's floats are
/// written; infinities and NaN have no JSON form and stay text.
fn float_like(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = (!whole.is_empty() || !fraction.is_empty()) && digits(whole) && digits(fraction);
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && (mantissa.contains('.') || exponent.is_some()) && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_openapi_description_in_yaml_reads_as_its_json() {
        let text = r#"
openapi: 3.0.3
info: {title: "Công dân", version: '1'}
paths:
  /TraCuu:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [soDinhDanh]
              properties:
                soDinhDanh: {type: string, example: "001090012345"}
                namSinh: {type: integer, minimum: 1900, maximum: 2.1e3}
      responses:
        200:
          description: |
            Kết quả
            tra cứu
        default: ~
x-empty:
x-numbers: [0x1F, 0o17, -7, +3, .5, 1., 18446744073709551615, .inf, 1e, 12a, "12", null, True, 0x-1F, !!str 0x1F]
"#;
        let v = to_json(text).unwrap();
        assert_eq!(v["info"], json!({"title": "Công dân", "version": "1"}));
        let schema = &v["paths"]["/TraCuu"]["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(schema["required"], json!(["soDinhDanh"]));
        assert_eq!(schema["properties"]["namSinh"], json!({"type": "integer", "minimum": 1900, "maximum": 2100.0}));
        assert_eq!(schema["properties"]["soDinhDanh"]["example"], "001090012345", "quoted digits stay text");
        let responses = &v["paths"]["/TraCuu"]["post"]["responses"];
        assert_eq!(responses["200"]["description"], "Kết quả\ntra cứu\n", "a numeric key is its text");
        assert_eq!(responses["default"], Value::Null);
        assert_eq!(v["x-empty"], Value::Null);
        assert_eq!(
            v["x-numbers"],
            json!([31, 15, -7, 3, 0.5, 1.0, 18446744073709551615u64, ".inf", "1e", "12a", "12", null, true, "0x-1F", "0x1F"])
        );
    }

    #[test]
    fn what_json_cannot_hold_or_could_explode_is_refused() {
        let bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n";
        for (text, word) in [
            (bomb.to_owned(), "alias"),
            ("a: 1\n---\nb: 2\n".to_owned(), "second document"),
            ("a: 1\nb: 2\na: 3\n".to_owned(), "twice"),
            ("? [a, b]\n: 1\n".to_owned(), "not a scalar"),
            ("a: [1, 2\n".to_owned(), "YAML"),
            ("".to_owned(), "no document"),
            (format!("{}1{}", "[".repeat(200), "]".repeat(200)), "deeper"),
        ] {
            let e = to_json(&text).unwrap_err();
            assert!(e.contains(word), "{word}: {e}");
        }
    }
}
