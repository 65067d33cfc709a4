//! Identifiers of the X-Road model: a member is `INSTANCE/CLASS/MEMBER`, its subsystem adds
//! `/SUBSYSTEM`, a service adds `/SERVICE`. In headers each part is percent-encoded.

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Characters encoded in identifier parts: separators and anything that is not plain text.
const PART: &AsciiSet = &CONTROLS.add(b'/').add(b'%').add(b' ').add(b'?').add(b'#').add(b';').add(b'\\').add(b'"');

/// A subsystem: the client or provider side of an exchange.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct SubsystemId {
    pub instance: String,
    pub member_class: String,
    pub member: String,
    pub subsystem: String,
}

fn valid_part(p: &str) -> bool {
    !p.is_empty() && p.chars().count() <= 100 && !p.chars().any(|c| c.is_control() || matches!(c, '/' | '\\' | ';' | '%' | ':'))
}

fn decode(p: &str) -> Option<String> {
    percent_decode_str(p).decode_utf8().ok().map(|s| s.into_owned()).filter(|s| valid_part(s))
}

impl SubsystemId {
    /// Parses `INSTANCE/CLASS/MEMBER/SUBSYSTEM` (parts percent-encoded).
    pub fn parse(s: &str) -> Option<SubsystemId> {
        let parts: Vec<&str> = s.trim().split('/').collect();
        if parts.len() != 4 {
            return None;
        }
        Self::from_parts(&parts)
    }

    /// From four raw path or header parts, percent-decoded and checked.
    pub fn from_parts(parts: &[&str]) -> Option<SubsystemId> {
        Some(SubsystemId {
            instance: decode(parts.first()?)?,
            member_class: decode(parts.get(1)?)?,
            member: decode(parts.get(2)?)?,
            subsystem: decode(parts.get(3)?)?,
        })
    }

    /// A service code (or any part) percent-encoded as one path segment.
    pub fn encode_part(part: &str) -> String {
        utf8_percent_encode(part, PART).to_string()
    }

    /// The header form, parts percent-encoded.
    pub fn encoded(&self) -> String {
        [&self.instance, &self.member_class, &self.member, &self.subsystem]
            .iter()
            .map(|p| utf8_percent_encode(p, PART).to_string())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The readable form, used as the key of log and monitoring records.
    pub fn text(&self) -> String {
        format!("{}/{}/{}/{}", self.instance, self.member_class, self.member, self.subsystem)
    }
}

impl std::fmt::Display for SubsystemId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

/// Checks one identifier part given by an administrator.
pub fn part_ok(p: &str) -> bool {
    valid_part(p) && p != "." && p != ".." && !p.chars().any(|c| c.is_whitespace() || matches!(c, '?' | '#'))
}

/// What [`part_ok`] asks of a code, as the registry's forms say it.
pub const PART_RULE: &str = "bắt buộc, tối đa 100 ký tự, không có khoảng trắng, / \\ ; % : ? #, không là . hay .. (required; at most 100 characters; no spaces, / \\ ; % : ? #; not . or ..)";

/// The life of a service in the registry.
pub const STATES: [&str; 5] = ["draft", "testing", "published", "deprecated", "retired"];

/// The moves an administrator may make between states.
pub fn transition_allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("draft", "testing")
            | ("testing", "draft")
            | ("testing", "published")
            | ("published", "deprecated")
            | ("deprecated", "published")
            | ("published", "retired")
            | ("deprecated", "retired")
            | ("draft", "retired")
            | ("testing", "retired")
    )
}

/// States in which clients with access may call the service.
pub fn callable(state: &str) -> bool {
    matches!(state, "published" | "deprecated")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip_with_encoded_parts() {
        let id = SubsystemId::parse("VN/GOV/000.00.13.H99/mot%20cua").unwrap();
        assert_eq!(id.subsystem, "mot cua");
        assert_eq!(id.encoded(), "VN/GOV/000.00.13.H99/mot%20cua");
        assert_eq!(SubsystemId::parse(&id.encoded()), Some(id));
        for bad in ["", "VN/GOV/X", "VN/GOV/X/Y/Z", "VN//X/Y", "VN/GOV/X/a%2Fb", "VN/GOV/X/%ZZ", "VN/GOV/X/a%0Ab"] {
            assert_eq!(SubsystemId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_lifecycle_moves_forward_and_retires_for_good() {
        assert!(transition_allowed("draft", "testing") && transition_allowed("testing", "published"));
        assert!(transition_allowed("published", "deprecated") && transition_allowed("deprecated", "retired"));
        assert!(!transition_allowed("retired", "published") && !transition_allowed("draft", "published"));
        assert!(callable("published") && callable("deprecated") && !callable("testing") && !callable("retired"));
    }
}
