//! Schema + semantic checks on arbitrary input: diagnostics, never a panic,
//! and in every format no line GitHub's runner reads as a command but the
//! `github` format's own (issue 45).
#![no_main]
use oamc::diagnostic::Format;
use std::sync::{Arc, OnceLock};

static CHECKER: OnceLock<oamc::driver::Checker> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let checker = CHECKER.get_or_init(|| oamc::driver::Checker::new(Default::default()));
    let file = Arc::new(oamc::diagnostic::SourceFile { name: "fuzz.yaml".into(), text: text.into() });
    let report = checker.check_file(&file);
    let names = [file.name.clone()];
    for format in [Format::Human, Format::Json, Format::Github, Format::Sarif, Format::Junit] {
        let out = oamc::diagnostic::render_report(&report.diagnostics, &names, format, false);
        for line in out.split(['\r', '\n']) {
            let own = format == Format::Github
                && (line.starts_with("::error file=") || line.starts_with("::warning file="));
            assert!(own || !oamc::text::is_command_line(line), "{format:?}: {line:?}");
        }
    }
});
