//! Schema + semantic checks on arbitrary input: diagnostics, never a panic.
#![no_main]
use std::sync::{Arc, OnceLock};

static CHECKER: OnceLock<oamc::driver::Checker> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let checker = CHECKER.get_or_init(|| oamc::driver::Checker::new(Default::default()));
    let file = Arc::new(oamc::diagnostic::SourceFile { name: "fuzz.yaml".into(), text: text.into() });
    let report = checker.check_file(&file);
    for d in &report.diagnostics {
        let _ = oamc::diagnostic::render(d, oamc::diagnostic::Format::Human, false);
    }
});
