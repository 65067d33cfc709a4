//! Where an r1 call goes, read from its path: `/r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/rest]`,
//! refused when any segment is a dot segment however it is written.

use crate::model::SubsystemId;

/// Where a request goes: the provider subsystem, the service code and the rest of the path.
pub(crate) struct Target {
    pub(crate) provider: SubsystemId,
    pub(crate) service: String,
    pub(crate) rest: String,
}

/// The parts of `/r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/rest]` as they stand in the path:
/// the provider (its four parts with their `/`), the service code, and the rest with its
/// leading `/` (empty when none). None when a part is missing or any segment is a dot segment
/// (`.` or `..`, which the upstream would resolve against the service's base path), written
/// plainly or percent-encoded (`%2e%2e`, which RFC 3986 makes the same), or hidden behind an
/// encoded slash or backslash (`..%2F`, which some servers decode before resolving).
pub(crate) fn split_target(path: &str) -> Option<(&str, &str, &str)> {
    let after = path.strip_prefix("/r1/")?;
    if after.split('/').any(dot_segment) {
        return None;
    }
    let provider_end = after.match_indices('/').nth(3)?.0;
    let (provider, after) = (&after[..provider_end], &after[provider_end + 1..]);
    let (service, rest) = after.find('/').map_or((after, ""), |i| after.split_at(i));
    if service.is_empty() {
        return None;
    }
    Some((provider, service, rest))
}

/// Whether a path segment must be refused: it is, or once decoded holds, a `.` or `..`
/// segment (also with `;parameters`, which Java servers strip before resolving); it has a raw
/// backslash (which URL parsers take for a slash); or its decoding is not UTF-8, holds a NUL,
/// or is still percent-encoded dots or separators (a second decoding upstream would make them).
fn dot_segment(seg: &str) -> bool {
    if seg.contains('\\') {
        return true;
    }
    if !seg.contains(['.', '%', ';']) {
        return false;
    }
    let Ok(decoded) = percent_encoding::percent_decode_str(seg).decode_utf8() else { return true };
    if decoded.contains('\0') {
        return true;
    }
    let lower = decoded.to_ascii_lowercase();
    if ["%2e", "%2f", "%5c"].iter().any(|e| lower.contains(e)) {
        return true;
    }
    decoded.split(['/', '\\']).any(|p| matches!(p.split(';').next(), Some("." | "..")))
}

pub(crate) fn parse_target(path: &str) -> Option<Target> {
    let (provider, service, rest) = split_target(path)?;
    let ids: Vec<&str> = provider.split('/').collect();
    let provider = SubsystemId::from_parts(&ids)?;
    let service = percent_encoding::percent_decode_str(service).decode_utf8().ok()?.into_owned();
    if !crate::model::part_ok(&service) {
        return None;
    }
    Some(Target { provider, service, rest: rest.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::{parse_target, split_target};

    #[test]
    fn r1_paths_split_into_provider_service_and_rest() {
        assert_eq!(
            split_target("/r1/VN/GOV/000.00.13.H99/tuphap/persons/persons/1"),
            Some(("VN/GOV/000.00.13.H99/tuphap", "persons", "/persons/1"))
        );
        assert_eq!(split_target("/r1/VN/GOV/M/S/svc"), Some(("VN/GOV/M/S", "svc", "")));
        assert_eq!(split_target("/r1/VN/GOV/M/S/svc/"), Some(("VN/GOV/M/S", "svc", "/")));
        // Dots and encoded slashes that make no dot segment pass.
        assert_eq!(split_target("/r1/VN/GOV/M/S/svc/a.b/...x/%2e.%2e/a%2Fb"), Some(("VN/GOV/M/S", "svc", "/a.b/...x/%2e.%2e/a%2Fb")));
        for bad in [
            "/r1/VN/GOV/M/S",
            "/r1/VN/GOV/M/S/",
            "/r2/VN/GOV/M/S/svc",
            "/r1/VN/GOV/M/S/svc/a/../b",
            "/r1/VN/GOV/M/S/svc/./b",
            "/r1/VN/GOV/M/S/svc/a/%2e%2e/b",
            "/r1/VN/GOV/M/S/svc/a/%2E./b",
            "/r1/VN/GOV/M/S/svc/a/.%2e",
            "/r1/VN/GOV/M/S/svc/%2e",
            "/r1/VN/GOV/M/S/svc/a/..%2Fb",
            "/r1/VN/GOV/M/S/svc/a%2F..%2F..%2Fadmin",
            "/r1/VN/GOV/M/S/svc/a%5C..%5Cadmin",
            "/r1/VN/GOV/../GOV/M/S/svc",
            "/r1/VN/GOV/M/%2e%2e/svc/x",
            "/r1/VN/GOV/M/S/svc/persons/x\\..\\..\\admin",
            "/r1/VN/GOV/M/S/svc/persons/..;/..;/manager",
            "/r1/VN/GOV/M/S/svc/persons/%2e%2e;x/y",
            "/r1/VN/GOV/M/S/svc/a/%252e%252e/b",
            "/r1/VN/GOV/M/S/svc/a/%c0%ae%c0%ae/b",
            "/r1/VN/GOV/M/S/svc/a/..%00/b",
        ] {
            assert_eq!(split_target(bad), None, "{bad}");
        }
        let t = parse_target("/r1/VN/GOV/000.00.13.H99/h%E1%BB%99%20t%E1%BB%8Bch/persons/1").expect("a target");
        assert_eq!((t.provider.subsystem.as_str(), t.service.as_str(), t.rest.as_str()), ("hộ tịch", "persons", "/1"));
        assert!(parse_target("/r1/VN//M/S/svc").is_none(), "an empty part");
        assert!(parse_target("/r1/VN/GOV/M/S/a%2Fb").is_none(), "a service code with a slash");
    }
}
