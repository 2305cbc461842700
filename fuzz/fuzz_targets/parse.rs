//! YAML → spanned DOM → JSON projection: any bytes, no panic, within budgets.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(docs) = oamc::dom::parse_stream(text)
    {
        for doc in &docs {
            let _ = doc.to_json();
        }
    }
});
