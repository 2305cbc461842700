//! Small validators for the string formats Kubernetes, Argo and Prometheus
//! define. Each returns `Err(`[`Invalid`]`)`, whose `Display` words the reason to
//! follow the value in a message ("`Web` may contain only …").

use std::fmt;

/// Why a string is not of its format, one variant per reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    Empty,
    TooLong {
        len: usize,
        limit: usize,
    },
    /// Characters outside the alphabet, which is named.
    Alphabet(&'static str),
    /// A first or last character that must be a letter or digit.
    Edges,
    /// A first character that must be a lowercase letter.
    FirstLetter,
    Whitespace,
    DigestWithoutAlgorithm,
    Digest,
    Tag(String),
    Registry(String),
    RepositoryPart(String),
    /// An image with neither a tag nor a digest.
    Unpinned,
    /// A PromQL duration: no number where one must be.
    DurationNumber,
    DurationDigits(String),
    DurationOrder(String),
    /// A fraction (`1.5m`): whole numbers per unit only.
    DurationFraction,
    DurationNoUnit,
    DurationUnit(String),
    DurationZero,
    /// What PromQL's own parser says.
    Promql(String),
    /// Not of the regular expression, which is shown.
    Pattern(&'static str),
    NotAbsolute,
    UrlCharacter(char),
    NginxCharacter(char),
    /// What the regular-expression compiler says (its last line).
    Regex(String),
    /// A regex a backtracking engine can take exponential time on (why).
    Backtracking(String),
    Quantity,
    /// A sequence Kubernetes refuses in a prefix path (`//`, `/..`).
    PathSequence(&'static str),
    /// A host's label longer than DNS takes (its length).
    HostLabel(usize),
    /// A rule of the format, worded ("must be a relative path").
    Rule(&'static str),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: &str = "ms, s, m, h, d, w or y";
        match self {
            Invalid::Empty => f.write_str("must not be empty"),
            Invalid::TooLong { len, limit } => {
                write!(f, "is {len} characters; the limit is {limit}")
            }
            Invalid::Alphabet(alphabet) => write!(f, "may contain only {alphabet}"),
            Invalid::Edges => f.write_str("must start and end with a letter or digit"),
            Invalid::FirstLetter => f.write_str("must start with a lowercase letter"),
            Invalid::Whitespace => f.write_str("must not contain whitespace"),
            Invalid::DigestWithoutAlgorithm => f.write_str("digest must look like sha256:<hex>"),
            Invalid::Digest => f.write_str("digest must look like sha256:<64 hex digits>"),
            Invalid::Tag(tag) => write!(
                f,
                "tag `{tag}` may contain only letters, digits, '_', '.' and '-' (at most 128)"
            ),
            Invalid::Registry(registry) => write!(f, "registry `{registry}` is not a host[:port]"),
            Invalid::RepositoryPart(part) => write!(
                f,
                "repository path component `{part}` may contain only lowercase letters, digits and separators"
            ),
            Invalid::Unpinned => f.write_str(
                "has neither a tag nor a digest; pin the version (`:1.2.3` or `@sha256:…`)",
            ),
            Invalid::DurationNumber => {
                write!(f, "expected a number followed by a unit ({UNITS})")
            }
            Invalid::DurationDigits(digits) => write!(f, "`{digits}` is more than six digits"),
            Invalid::DurationOrder(unit) => write!(
                f,
                "`{unit}` comes after a smaller unit; write units from the largest down"
            ),
            Invalid::DurationNoUnit => write!(f, "is missing a unit ({UNITS})"),
            Invalid::DurationFraction => write!(
                f,
                "has a fraction: PromQL takes a whole number per unit (write `90s` for 1.5m)"
            ),
            Invalid::DurationUnit(unit) => write!(f, "`{unit}` is not a unit; use {UNITS}"),
            Invalid::DurationZero => f.write_str("must be longer than zero"),
            Invalid::Promql(why) => f.write_str(why),
            Invalid::Pattern(pattern) => write!(f, "must match {pattern}"),
            Invalid::NotAbsolute => f.write_str("must start with '/'"),
            Invalid::UrlCharacter(c) => write!(
                f,
                "contains {c:?}, which is not allowed in a URL path; percent-encode it"
            ),
            Invalid::NginxCharacter(c) => write!(
                f,
                "contains {c:?}; write it as `\\x{:02X}` in the regular expression (nginx matches the decoded path, and oamc keeps blanks and control characters out of nginx.conf)",
                u32::from(*c)
            ),
            Invalid::Regex(why) => {
                write!(f, "is not a regular expression nginx can read: {why}")
            }
            Invalid::Backtracking(why) => {
                write!(f, "would stall the shared ingress controller: it {why}")
            }
            Invalid::Quantity => f.write_str("is not a Kubernetes quantity (e.g. 500m, 256Mi, 2)"),
            Invalid::Rule(rule) => f.write_str(rule),
            Invalid::PathSequence(seq) => write!(
                f,
                "holds `{seq}`, which Kubernetes refuses in a Prefix path (an empty or relative segment, or `/` written as `%2F`)"
            ),
            Invalid::HostLabel(len) => {
                write!(f, "has a label of {len} characters; DNS takes at most 63")
            }
        }
    }
}

/// RFC 1123 label: what Kubernetes requires of most object names (and containers).
pub fn dns1123_label(s: &str) -> Result<(), Invalid> {
    if s.len() > 63 {
        return Err(Invalid::TooLong {
            len: s.len(),
            limit: 63,
        });
    }
    label_characters(s)
}

/// A label's characters, at any length: lowercase letters, digits and `-`,
/// alphanumeric at both ends.
fn label_characters(s: &str) -> Result<(), Invalid> {
    if s.is_empty() {
        return Err(Invalid::Empty);
    }
    let bytes = s.as_bytes();
    let ok_char = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-';
    if !bytes.iter().all(|&c| ok_char(c)) {
        return Err(Invalid::Alphabet("lowercase letters, digits and '-'"));
    }
    if !bytes[0].is_ascii_alphanumeric() || !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
        return Err(Invalid::Edges);
    }
    Ok(())
}

/// RFC 1035 label: what a Service name must be (starts with a letter).
pub fn dns1035_label(s: &str) -> Result<(), Invalid> {
    dns1123_label(s)?;
    if !s.as_bytes()[0].is_ascii_lowercase() {
        return Err(Invalid::FirstLetter);
    }
    Ok(())
}

/// RFC 1123 subdomain as Kubernetes checks it (apimachinery
/// `IsDNS1123Subdomain`): dot-separated labels, at most 253 characters in
/// all, with no limit per label (a 64-character name is one).
pub fn dns1123_subdomain(s: &str) -> Result<(), Invalid> {
    if s.len() > 253 {
        return Err(Invalid::TooLong {
            len: s.len(),
            limit: 253,
        });
    }
    s.split('.').try_for_each(label_characters)
}

/// A key of a Secret's or a ConfigMap's data (apimachinery `IsConfigMapKey`):
/// letters, digits, `-`, `_` and `.`, at most 253, not `.` or `..`.
pub fn config_map_key(s: &str) -> Result<(), Invalid> {
    if s.is_empty() {
        return Err(Invalid::Empty);
    }
    if s.len() > 253 {
        return Err(Invalid::TooLong {
            len: s.len(),
            limit: 253,
        });
    }
    let ok = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
    if !s.bytes().all(ok) || s == "." || s == ".." {
        return Err(Invalid::Alphabet(
            "letters, digits, '-', '_' and '.' (not `.` or `..`)",
        ));
    }
    Ok(())
}

/// A host name a client can resolve: a subdomain whose labels are each at
/// most 63 characters (RFC 1035 §2.3.4; the API server does not count them).
pub fn host_name(s: &str) -> Result<(), Invalid> {
    dns1123_subdomain(s)?;
    match s.split('.').map(str::len).find(|len| *len > 63) {
        Some(len) => Err(Invalid::HostLabel(len)),
        None => Ok(()),
    }
}

/// An OCI image reference: `[registry[:port]/]path[:tag][@algo:digest]`.
pub fn image_reference(s: &str) -> Result<(), Invalid> {
    if s.is_empty() {
        return Err(Invalid::Empty);
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::Whitespace);
    }
    let (name_tag, digest) = match s.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let (algo, hex) = d.split_once(':').ok_or(Invalid::DigestWithoutAlgorithm)?;
        let algo_ok = !algo.is_empty()
            && algo
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"+._-".contains(&c));
        if !algo_ok || hex.len() < 32 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(Invalid::Digest);
        }
    }
    // A ':' after the last '/' starts the tag; one before it is a registry port.
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_tag[last_slash..].find(':') {
        Some(i) => (
            &name_tag[..last_slash + i],
            Some(&name_tag[last_slash + i + 1..]),
        ),
        None => (name_tag, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && tag.as_bytes()[0] != b'.'
            && tag.as_bytes()[0] != b'-'
            && tag
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c));
        if !ok {
            return Err(Invalid::Tag(tag.to_owned()));
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    let first = parts[0];
    let has_registry =
        parts.len() > 1 && (first.contains('.') || first.contains(':') || first == "localhost");
    if has_registry {
        let host = first.split(':').next().unwrap_or("");
        let port_ok = first
            .split_once(':')
            .is_none_or(|(_, p)| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-');
        if !host_ok || !port_ok {
            return Err(Invalid::Registry(first.to_owned()));
        }
        parts.remove(0);
    }
    for part in parts {
        let ok = !part.is_empty()
            && part
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(&c))
            && part.as_bytes()[0].is_ascii_alphanumeric()
            && part.as_bytes()[part.len() - 1].is_ascii_alphanumeric();
        if !ok {
            return Err(Invalid::RepositoryPart(part.to_owned()));
        }
    }
    if tag.is_none() && digest.is_none() {
        return Err(Invalid::Unpinned);
    }
    Ok(())
}

/// The image reference without its tag and digest (the repository a Warehouse watches).
pub fn image_repository(s: &str) -> &str {
    let name_tag = s.split('@').next().unwrap_or(s);
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    match name_tag[last_slash..].find(':') {
        Some(i) => &name_tag[..last_slash + i],
        None => name_tag,
    }
}

/// The tag of an image reference, if it has one (`None` for `repo@digest`).
pub fn image_tag(s: &str) -> Option<&str> {
    let name_tag = s.split('@').next().unwrap_or(s);
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    name_tag[last_slash..]
        .find(':')
        .map(|i| &name_tag[last_slash + i + 1..])
}

/// A PromQL duration as used in a range selector (`30s`, `5m`, `1h30m`):
/// units from the largest down (`y w d h m s ms`), each at most once, not
/// zero in total, at most six digits per unit. The parser would also take a bare or negative number
/// (`-0`), which makes no range; the written form is required.
pub fn promql_duration(s: &str) -> Result<(), Invalid> {
    const UNITS: [&str; 7] = ["y", "w", "d", "h", "m", "s", "ms"];
    let mut rest = s;
    let mut next_unit = 0;
    if rest.is_empty() {
        return Err(Invalid::Empty);
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(Invalid::DurationNumber);
        }
        // Six digits per unit reach far beyond any range and never overflow.
        if digits > 6 {
            return Err(Invalid::DurationDigits(rest[..digits].to_owned()));
        }
        let unit_len = rest[digits..]
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        let unit = &rest[digits..digits + unit_len];
        match UNITS[next_unit..].iter().position(|u| *u == unit) {
            Some(i) => next_unit += i + 1,
            None if UNITS.contains(&unit) => {
                return Err(Invalid::DurationOrder(unit.to_owned()));
            }
            // `1.5m`: PromQL takes whole numbers per unit.
            None if unit.is_empty() && rest[digits..].starts_with('.') => {
                return Err(Invalid::DurationFraction);
            }
            None if unit.is_empty() => {
                return Err(Invalid::DurationNoUnit);
            }
            None => {
                return Err(Invalid::DurationUnit(unit.to_owned()));
            }
        }
        rest = &rest[digits + unit_len..];
    }
    if !s.bytes().any(|c| (b'1'..=b'9').contains(&c)) {
        return Err(Invalid::DurationZero);
    }
    promql_parser::util::duration::parse_duration(s)
        .map(|_| ())
        .map_err(|e| Invalid::Promql(e.to_string()))
}

/// A Prometheus label name (no `:`, unlike a metric name).
pub fn label_name(s: &str) -> Result<(), Invalid> {
    let mut bytes = s.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_');
    if !first_ok || !bytes.all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        return Err(Invalid::Pattern("[a-zA-Z_][a-zA-Z0-9_]*"));
    }
    Ok(())
}

/// A Prometheus metric name.
pub fn metric_name(s: &str) -> Result<(), Invalid> {
    let mut bytes = s.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b':');
    if !first_ok || !bytes.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':') {
        return Err(Invalid::Pattern("[a-zA-Z_:][a-zA-Z0-9_:]*"));
    }
    Ok(())
}

/// An absolute URL path made of RFC 3986 path characters.
pub fn url_path(s: &str) -> Result<(), Invalid> {
    if !s.starts_with('/') {
        return Err(Invalid::NotAbsolute);
    }
    let bad = s
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%/".contains(c)));
    match bad {
        Some(c) => Err(Invalid::UrlCharacter(c)),
        None => Ok(()),
    }
}

/// An Ingress path of `pathType: Prefix` (or `Exact`): a URL path without
/// the sequences the API server refuses there (kubernetes v1.33
/// `pkg/apis/networking/validation/validation.go`, `validateHTTPIngressPath`:
/// `invalidPathSequences`, `invalidPathSuffixes`).
pub fn ingress_prefix_path(s: &str) -> Result<(), Invalid> {
    url_path(s)?;
    if let Some(seq) = ["//", "/./", "/../", "%2f", "%2F"]
        .into_iter()
        .find(|seq| s.contains(seq))
    {
        return Err(Invalid::PathSequence(seq));
    }
    match ["/..", "/."].into_iter().find(|end| s.ends_with(end)) {
        Some(end) => Err(Invalid::PathSequence(end)),
        None => Ok(()),
    }
}

/// A component's `appPath`: a URL path, or empty, which upstream reads as the
/// root (`http://<svc>:<port>` then `/`: the same URL as `/`).
pub fn app_path(s: &str) -> Result<(), Invalid> {
    if s.is_empty() { Ok(()) } else { url_path(s) }
}

/// A path of the nginx ingress trait, which turns on
/// `nginx.ingress.kubernetes.io/use-regex`: ingress-nginx reads it as a
/// regular expression (`/api/v[0-9]+`). Absolute (the Ingress API's rule for
/// `ImplementationSpecific`), without blanks or control characters (not in
/// a URI path), a regular expression that compiles, and none a
/// backtracking engine can take exponential time on ([`super::backtracking`]).
pub fn nginx_path(s: &str) -> Result<(), Invalid> {
    if !s.starts_with('/') {
        return Err(Invalid::NotAbsolute);
    }
    // ingress-nginx writes the path quoted (`~* "^<path>"`, with `\` and
    // `"` escaped: `template.go`, `buildLocation` and `sanitizeQuotedRegex`),
    // where nginx takes `{`, `}` and `;` as part of the expression (its
    // `location` docs: such a regex must be quoted, and is). nginx matches
    // the decoded path, so a blank can match (`%20`); it is asked for as
    // `\x20`, which keeps the line in nginx.conf free of blanks.
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::NginxCharacter(c));
    }
    regex::RegexBuilder::new(s)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            Invalid::Regex(e.to_string().lines().last().unwrap_or("invalid").to_owned())
        })?;
    match super::backtracking::catastrophic(s) {
        Some(why) => Err(Invalid::Backtracking(why)),
        None => Ok(()),
    }
}

/// A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain
/// (apimachinery `pkg/util/validation/validation.go`, `IsQualifiedName`).
pub fn qualified_name(key: &str) -> Result<(), Invalid> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        if name.contains('/') {
            return Err(Invalid::Rule("a key has at most one '/'"));
        }
        dns1123_subdomain(p).map_err(|why| match why {
            Invalid::Empty => Invalid::Rule("the prefix before '/' must not be empty"),
            _ => Invalid::Rule("the prefix before '/' must be a lowercase DNS subdomain"),
        })?;
    }
    if label_syntax(name) {
        Ok(())
    } else {
        Err(Invalid::Rule(
            "names are 1-63 letters, digits, '-', '_' or '.', starting and ending alphanumeric",
        ))
    }
}

/// A label value: empty, or a label name (`IsValidLabelValue`).
pub fn label_value(v: &str) -> Result<(), Invalid> {
    if v.is_empty() || label_syntax(v) {
        Ok(())
    } else {
        Err(Invalid::Rule(
            "must be at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric",
        ))
    }
}

/// Kubernetes' label grammar (names and values): at most 63 of letters,
/// digits, `-`, `_`, `.`, starting and ending alphanumeric; non-empty.
fn label_syntax(s: &str) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
}

/// An environment variable's name under Kubernetes v1.33's relaxed rule
/// (`RelaxedEnvironmentVariableValidation`, on by default since v1.32):
/// printable ASCII but `=`, not empty (apimachinery `IsRelaxedEnvVarName`).
pub fn env_var_name(s: &str) -> Result<(), Invalid> {
    if s.is_empty() {
        return Err(Invalid::Empty);
    }
    if s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'=') {
        Ok(())
    } else {
        Err(Invalid::Rule(
            "may contain only printable ASCII characters other than '='",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        for ok in [
            "nginx:1.27",
            "httpd:alpine",
            "ghcr.io/acme/shop:v1.2.3",
            "localhost:5000/shop:dev",
            "123456789012.dkr.ecr.us-west-2.amazonaws.com/peeks/java:abc123",
            "ghcr.io/acme/shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(image_reference(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "nginx",
            "Nginx:1",
            "nginx:",
            "nginx:1 2",
            "a//b:1",
            "x@sha256:zz",
            "<image>",
        ] {
            assert!(image_reference(bad).is_err(), "{bad}");
        }
        assert_eq!(
            image_repository("ghcr.io:443/a/b:1@sha256:00"),
            "ghcr.io:443/a/b"
        );
        assert_eq!(
            image_repository("localhost:5000/shop"),
            "localhost:5000/shop"
        );
    }

    #[test]
    fn durations() {
        assert!(promql_duration("5m").is_ok());
        assert!(promql_duration("5 minutes").is_err());
        // A fraction is said to be one, not a missing unit (issue 46).
        assert!(matches!(
            promql_duration("1.5m"),
            Err(Invalid::DurationFraction)
        ));
        assert!(matches!(
            promql_duration("90"),
            Err(Invalid::DurationNoUnit)
        ));
    }

    /// A repository's ingress path compiles within a bounded size: a regex
    /// that would expand to gigabytes is refused, not built.
    #[test]
    fn nginx_paths_compile_within_a_bound() {
        assert!(nginx_path("/api/v[0-9]+").is_ok());
        assert!(nginx_path("/api/v[0-9+").is_err());
        assert!(nginx_path("/a b").is_err());
        // A counted repetition is a regex nginx reads quoted (issue 46)...
        assert!(nginx_path("/api/v[0-9]{1,3}").is_ok());
        // ...within the compiler's size bound: a million states are not,
        // and 20,000 Unicode classes are 40 KB of text past its 1 MiB.
        assert!(nginx_path("/(a{1000}){1000}").is_err());
        let huge = nginx_path(&format!("/{}", "\\w".repeat(20_000))).unwrap_err();
        assert!(
            huge.to_string().contains("not a regular expression"),
            "{huge}"
        );
    }

    /// apimachinery's own tables for the names oamc copies into objects.
    #[test]
    fn apimachinerys_own_name_tables() {
        let all: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/vectors/apimachinery.json")).unwrap();
        type Rule = fn(&str) -> Result<(), Invalid>;
        let rules: [(&str, Rule); 6] = [
            ("IsDNS1123Label", dns1123_label),
            ("IsDNS1123Subdomain", dns1123_subdomain),
            ("IsDNS1035Label", dns1035_label),
            ("IsQualifiedName", qualified_name),
            ("IsValidLabelValue", label_value),
            ("IsRelaxedEnvVarName", env_var_name),
        ];
        for (name, rule) in rules {
            let table = &all["vectors"][name];
            for (key, ok) in [("valid", true), ("invalid", false)] {
                let values = table[key].as_array().unwrap();
                assert!(!values.is_empty(), "{name}.{key}");
                for v in values {
                    let s = v.as_str().unwrap();
                    assert_eq!(rule(s).is_ok(), ok, "{name}({s:?}) upstream: {key}");
                }
            }
        }
    }

    #[test]
    fn names() {
        assert!(dns1123_label("shop-1").is_ok());
        assert!(dns1123_label("Shop").is_err());
        assert!(dns1123_label(&"a".repeat(64)).is_err());
        assert!(dns1035_label("1shop").is_err());
        assert!(metric_name("http_requests_total").is_ok());
        assert!(metric_name("1bad").is_err());
        assert!(metric_name("up{job=\"x\"}").is_err());
        assert!(url_path("/java-app").is_ok());
        assert!(url_path("java").is_err());
        assert!(url_path("/a b").is_err());
        assert!(url_path("/{{x}}").is_err());
        for refused in [
            "/a//b", "/a/./b", "/a/../b", "/a%2Fb", "/a%2fb", "/a/..", "/a/.",
        ] {
            assert!(ingress_prefix_path(refused).is_err(), "{refused}");
        }
        for kept in ["/", "/a/", "/a.b", "/a/.well-known", "/a..b"] {
            assert!(ingress_prefix_path(kept).is_ok(), "{kept}");
        }
    }
}
