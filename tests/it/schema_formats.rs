//! The committed schema's patterns accept exactly what oamc's rules accept:
//! each `x-oamc-format` pattern, run by the same engine that checks
//! Applications (jsonschema), against the rule in `oamc::check::syntax`, on
//! hand-picked edge cases and on random strings built from the characters
//! that matter. An editor that shows green where oamc says red (or the
//! reverse) fails here.

use oamc::check::{duration, syntax};
use oamc::schema::format_keywords;
use proptest::prelude::*;
use serde_json::json;

/// Whether oamc's rule accepts the text.
type Rule = fn(&str) -> bool;

/// Each format and its rule. For durations the rule is the spelling: how
/// long a duration may be (Go's 292 years, Argo's 2^31 seconds) is a
/// number a pattern cannot count, refused by oamc alone.
const FORMATS: &[(&str, Rule)] = &[
    ("duration", |s| {
        duration::spelling(duration::Kind::Go, s).is_ok()
    }),
    ("pause", |s| {
        duration::spelling(duration::Kind::Pause, s).is_ok()
    }),
    ("kargo-interval", |s| {
        duration::spelling(duration::Kind::Kargo, s).is_ok()
    }),
    ("dns1123-label", |s| syntax::dns1123_label(s).is_ok()),
    ("dns1123-subdomain", |s| {
        syntax::dns1123_subdomain(s).is_ok()
    }),
    ("image", |s| syntax::image_reference(s).is_ok()),
    ("promql-duration", |s| syntax::promql_duration(s).is_ok()),
    ("metric-name", |s| syntax::metric_name(s).is_ok()),
    ("url-path", |s| syntax::url_path(s).is_ok()),
    ("app-path", |s| syntax::app_path(s).is_ok()),
];

fn validator(format: &str) -> jsonschema::Validator {
    let (pattern, max_length) = format_keywords(format).expect("a known format");
    let mut schema = json!({"type": "string", "pattern": pattern});
    if let Some(max) = max_length {
        schema["maxLength"] = json!(max);
    }
    jsonschema::validator_for(&schema).expect("the pattern compiles")
}

fn agree(format: &str, rule: Rule, v: &jsonschema::Validator, s: &str) -> Result<(), String> {
    let by_rule = rule(s);
    let by_schema = v.is_valid(&json!(s));
    if by_rule == by_schema {
        Ok(())
    } else {
        Err(format!(
            "{format}: {s:?} is {} by oamc's rule but {} by the schema's pattern",
            if by_rule { "accepted" } else { "refused" },
            if by_schema { "accepted" } else { "refused" }
        ))
    }
}

const EDGES: &[&str] = &[
    "",
    "a",
    "A",
    "-",
    "a-",
    "-a",
    "a.b",
    "a..b",
    ".",
    "20s",
    "1h30m",
    "20",
    "s",
    "20 s",
    "1.5s",
    "20ms",
    "0s",
    "nginx",
    "nginx:1.27",
    "nginx:",
    "nginx:.x",
    "nginx:-x",
    "nginx:_x",
    "Nginx:1",
    "library/nginx:1",
    "ghcr.io/acme/app:1.0",
    "ghcr.io/acme/app",
    "localhost/app:1",
    "localhost:5000/app:1",
    "localhost:5000",
    "host:5000/a/b:c",
    ":5000/app:1",
    "a_b.c/app:1",
    "a_b/app:1",
    "My.Registry.io/app:1",
    "my.org/App:1",
    "app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "app:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "app@sha256:0123",
    "app@SHA256:0123456789abcdef0123456789abcdef",
    "app@:0123456789abcdef0123456789abcdef",
    "a/-b:1",
    "a/b-:1",
    "a//b:1",
    "a/b/:1",
    "registry.example.com:5000/load/artillery-with-plugins:1.2",
    "x.y:z/app:1",
    "x.y:/app:1",
    "a:1:2",
    "a b:1",
    "ümlaut:1",
    "shop.example.com",
    "a.-b",
    "a-.b",
    "/",
    "/shop",
    "/a b",
    "shop",
    "/a?b",
    "/a#b",
    "/%20",
    "/~x/y;z",
    "1m",
    "1m30s",
    "30s1m",
    "1ms",
    "1d",
    "1w",
    "1y",
    "0",
    "1.5m",
    "5M",
    "up",
    "_up",
    ":up",
    "1up",
    "up-down",
    "up:down",
    "ÿ",
    "99999999999999999999999y",
    "999999y999999w999999d999999h999999m999999s999999ms",
    "1000000s",
    "1h1h",
    "1m1h",
    "500ms",
    "1.5h",
    "5.s",
    ".5s",
    "+5s",
    "-5s",
    "-0",
    "+0",
    "12\u{b5}s",
    "12\u{3bc}s",
    "10ns",
    "3us",
    "1.h",
    ".",
    "+",
    "2147483648",
];

#[test]
fn each_pattern_agrees_with_its_rule_on_the_edges() {
    let long_label = "a".repeat(63);
    let too_long_label = "a".repeat(64);
    let long_subdomain = format!("{long_label}.{long_label}.{long_label}.{}", "b".repeat(61));
    let too_long_subdomain = format!("{long_subdomain}x");
    let long_tag = format!("app:{}", "t".repeat(128));
    let too_long_tag = format!("app:{}", "t".repeat(129));
    let mut cases: Vec<&str> = EDGES.to_vec();
    for s in [
        &long_label,
        &too_long_label,
        &long_subdomain,
        &too_long_subdomain,
        &long_tag,
        &too_long_tag,
    ] {
        cases.push(s);
    }
    let mut wrong = Vec::new();
    for (format, rule) in FORMATS {
        let v = validator(format);
        for s in &cases {
            if let Err(e) = agree(format, *rule, &v, s) {
                wrong.push(e);
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

static VALIDATORS: std::sync::LazyLock<Vec<jsonschema::Validator>> =
    std::sync::LazyLock::new(|| FORMATS.iter().map(|(f, _)| validator(f)).collect());

/// Strings from the characters each format cares about, in any order.
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("a"),
            Just("z"),
            Just("0"),
            Just("9"),
            Just("A"),
            Just("-"),
            Just("."),
            Just("_"),
            Just(":"),
            Just("/"),
            Just("@"),
            Just("s"),
            Just("m"),
            Just("h"),
            Just("localhost"),
            Just("sha256:"),
            Just("0123456789abcdef0123456789abcdef"),
            Just(" "),
            Just("+"),
            Just("ms"),
            Just("d"),
            Just("w"),
            Just("y"),
            Just("%"),
            Just("~"),
            Just("'"),
            Just("{"),
            Just("?"),
            Just("#"),
            Just("1"),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]
    #[test]
    fn each_pattern_agrees_with_its_rule_on_random_strings(s in text()) {
        for ((format, rule), v) in FORMATS.iter().zip(VALIDATORS.iter()) {
            if let Err(e) = agree(format, *rule, v, &s) {
                return Err(TestCaseError::fail(e));
            }
        }
    }
}
