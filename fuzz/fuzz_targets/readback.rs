//! The fast reader against serde-saphyr: on any text, it either leaves the
//! answer to serde-saphyr or gives exactly serde-saphyr's, both as plain
//! values (how rendered output is read) and as the spanned tree's values (how
//! input with something to report is read).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Some(fast) = oamc::readback::read_plain_subset(text)
    {
        let plain = oamc::dom::parse_values(text).ok();
        assert_eq!(Some(&fast), plain.as_ref(), "{text:?}");
        let spanned = oamc::dom::parse_stream(text)
            .ok()
            .map(|docs| docs.iter().map(oamc::dom::Node::to_json).collect::<Vec<_>>());
        assert_eq!(Some(&fast), spanned.as_ref(), "{text:?}");
    }
});
