//! Small validators for the string formats Kubernetes, Argo and Prometheus
//! define. Each returns `Err(reason)` so rules can put the reason in a message.

/// RFC 1123 label: what Kubernetes requires of most object names (and containers).
pub fn dns1123_label(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.len() > 63 {
        return Err(format!("is {} characters; the limit is 63", s.len()));
    }
    let bytes = s.as_bytes();
    let ok_char = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-';
    if !bytes.iter().all(|&c| ok_char(c)) {
        return Err("may contain only lowercase letters, digits and '-'".into());
    }
    if !bytes[0].is_ascii_alphanumeric() || !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
        return Err("must start and end with a letter or digit".into());
    }
    Ok(())
}

/// RFC 1035 label: what a Service name must be (starts with a letter).
pub fn dns1035_label(s: &str) -> Result<(), String> {
    dns1123_label(s)?;
    if !s.as_bytes()[0].is_ascii_lowercase() {
        return Err("must start with a lowercase letter".into());
    }
    Ok(())
}

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub fn dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.len() > 253 {
        return Err(format!("is {} characters; the limit is 253", s.len()));
    }
    s.split('.').try_for_each(dns1123_label)
}

/// An OCI image reference: `[registry[:port]/]path[:tag][@algo:digest]`.
pub fn image_reference(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain whitespace".into());
    }
    let (name_tag, digest) = match s.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let (algo, hex) = d
            .split_once(':')
            .ok_or("digest must look like sha256:<hex>")?;
        let algo_ok = !algo.is_empty()
            && algo
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"+._-".contains(&c));
        if !algo_ok || hex.len() < 32 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err("digest must look like sha256:<64 hex digits>".into());
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
            return Err(format!(
                "tag `{tag}` may contain only letters, digits, '_', '.' and '-' (at most 128)"
            ));
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
            return Err(format!("registry `{first}` is not a host[:port]"));
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
            return Err(format!(
                "repository path component `{part}` may contain only lowercase letters, digits and separators"
            ));
        }
    }
    if tag.is_none() && digest.is_none() {
        return Err(
            "has neither a tag nor a digest; pin the version (`:1.2.3` or `@sha256:…`)".into(),
        );
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

/// A PromQL duration as used in a range selector (`30s`, `5m`, `1h30m`):
/// units from the largest down (`y w d h m s ms`), each at most once, not
/// zero in total, at most six digits per unit. The parser would also take a bare or negative number
/// (`-0`), which makes no range; the written form is required.
pub fn promql_duration(s: &str) -> Result<(), String> {
    const UNITS: [&str; 7] = ["y", "w", "d", "h", "m", "s", "ms"];
    let mut rest = s;
    let mut next_unit = 0;
    if rest.is_empty() {
        return Err("must not be empty".into());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err("expected a number followed by a unit (ms, s, m, h, d, w or y)".into());
        }
        // Six digits per unit reach far beyond any range and never overflow.
        if digits > 6 {
            return Err(format!("`{}` is more than six digits", &rest[..digits]));
        }
        let unit_len = rest[digits..]
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        let unit = &rest[digits..digits + unit_len];
        match UNITS[next_unit..].iter().position(|u| *u == unit) {
            Some(i) => next_unit += i + 1,
            None if UNITS.contains(&unit) => {
                return Err(format!(
                    "`{unit}` comes after a smaller unit; write units from the largest down"
                ));
            }
            None if unit.is_empty() => {
                return Err("is missing a unit (ms, s, m, h, d, w or y)".into());
            }
            None => {
                return Err(format!(
                    "`{unit}` is not a unit; use ms, s, m, h, d, w or y"
                ));
            }
        }
        rest = &rest[digits + unit_len..];
    }
    if !s.bytes().any(|c| (b'1'..=b'9').contains(&c)) {
        return Err("must be longer than zero".into());
    }
    promql_parser::util::duration::parse_duration(s)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A Prometheus label name (no `:`, unlike a metric name).
pub fn label_name(s: &str) -> Result<(), String> {
    let mut bytes = s.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_');
    if !first_ok || !bytes.all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        return Err("must match [a-zA-Z_][a-zA-Z0-9_]*".into());
    }
    Ok(())
}

/// A Prometheus metric name.
pub fn metric_name(s: &str) -> Result<(), String> {
    let mut bytes = s.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b':');
    if !first_ok || !bytes.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':') {
        return Err("must match [a-zA-Z_:][a-zA-Z0-9_:]*".into());
    }
    Ok(())
}

/// An absolute URL path made of RFC 3986 path characters.
pub fn url_path(s: &str) -> Result<(), String> {
    if !s.starts_with('/') {
        return Err("must start with '/'".into());
    }
    let bad = s
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%/".contains(c)));
    match bad {
        Some(c) => Err(format!(
            "contains {c:?}, which is not allowed in a URL path; percent-encode it"
        )),
        None => Ok(()),
    }
}

/// A component's `appPath`: a URL path, or empty, which upstream reads as the
/// root (`http://<svc>:<port>` then `/`: the same URL as `/`).
pub fn app_path(s: &str) -> Result<(), String> {
    if s.is_empty() { Ok(()) } else { url_path(s) }
}

/// A path of the nginx ingress trait, which turns on
/// `nginx.ingress.kubernetes.io/use-regex`: ingress-nginx reads it as a
/// regular expression (`/api/v[0-9]+`). Absolute (the Ingress API's rule for
/// `ImplementationSpecific`), without blanks or control characters (they end
/// an nginx `location`), and a regular expression that compiles.
pub fn nginx_path(s: &str) -> Result<(), String> {
    if !s.starts_with('/') {
        return Err("must start with '/'".into());
    }
    if let Some(c) = s
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || *c == '{' || *c == '}' || *c == ';')
    {
        return Err(format!(
            "contains {c:?}, which nginx cannot take in a location path"
        ));
    }
    regex::RegexBuilder::new(s)
        .size_limit(1 << 20)
        .build()
        .map(|_| ())
        .map_err(|e| {
            format!(
                "is not a regular expression nginx can read: {}",
                e.to_string().lines().last().unwrap_or("invalid")
            )
        })
}

/// A Kubernetes quantity: a decimal number with an optional binary (`Ki` …
/// `Ei`), decimal (`m`, `k`, `M` … `E`) or exponent (`e3`) suffix.
pub fn quantity(s: &str) -> Result<(), String> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let number_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(number_end);
    let digits_ok = !number.is_empty() && number != "." && number.matches('.').count() <= 1;
    let suffix_ok = matches!(
        suffix,
        "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "m" | "k" | "M" | "G" | "T" | "P" | "E"
    ) || suffix
        .strip_prefix(['e', 'E'])
        .map(|e| e.strip_prefix(['+', '-']).unwrap_or(e))
        .is_some_and(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()));
    if digits_ok && suffix_ok {
        Ok(())
    } else {
        Err("is not a Kubernetes quantity (e.g. 500m, 256Mi, 2)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        for ok in ["500m", "256Mi", "2", "1.5", "1e3", "0.5Gi", "+1k"] {
            assert!(quantity(ok).is_ok(), "{ok}");
        }
        for bad in ["fifty", "", "m", "1.2.3", "5 m", "1e", "1Kb", "."] {
            assert!(quantity(bad).is_err(), "{bad}");
        }
    }

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
    }

    /// A repository's ingress path compiles within a bounded size: a regex
    /// that would expand to gigabytes is refused, not built.
    #[test]
    fn nginx_paths_compile_within_a_bound() {
        assert!(nginx_path("/api/v[0-9]+").is_ok());
        assert!(nginx_path("/api/v[0-9+").is_err());
        assert!(nginx_path("/a b").is_err());
        // Braces never reach the compiler (nginx refuses them); 20,000 Unicode
        // classes are 40 KB of text past the compiler's 1 MiB.
        assert!(nginx_path("/(a{1000}){1000}").is_err());
        let huge = nginx_path(&format!("/{}", "\\w".repeat(20_000))).unwrap_err();
        assert!(huge.contains("not a regular expression"), "{huge}");
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
    }
}
