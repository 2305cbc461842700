//! The whole compiler on arbitrary input: either diagnostics or a YAML stream
//! that parses back and holds no line GitHub's runner reads as a command,
//! never a panic.
#![no_main]
use std::sync::Arc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = Arc::new(oamc::diagnostic::SourceFile { name: "fuzz.yaml".into(), text: text.into() });
    let compilation = oamc::compile(&[file], &oamc::Options::default());
    if !compilation.has_errors() {
        let out = compilation.to_yaml();
        oamc::dom::parse_values(&out).expect("emitted YAML parses back");
        for line in out.split(['\r', '\n']) {
            assert!(!oamc::text::is_command_line(line), "a command line: {line:?}");
        }
    }
});
