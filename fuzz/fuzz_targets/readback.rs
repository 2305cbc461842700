//! The fast reader against serde-saphyr: on any text, it either leaves the
//! answer to serde-saphyr or gives exactly serde-saphyr's, both as plain
//! values (how rendered output is read) and as the spanned tree's values (how
//! input with something to report is read).
//! Each fast reader is held alone: the line reader (rendered text) and the
//! event reader (input, and rendered text outside the line reader's shape).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let answers = [
        oamc::readback::read_block_subset(text).map(|v| vec![v]),
        oamc::readback::read_events(text),
        oamc::readback::read_plain_subset(text),
    ];
    for fast in answers.iter().flatten() {
        let plain = oamc::dom::parse_values(text).ok();
        assert_eq!(Some(fast), plain.as_ref(), "{text:?}");
        let spanned = oamc::dom::parse_stream(text)
            .ok()
            .map(|docs| docs.iter().map(oamc::dom::Node::to_json).collect::<Vec<_>>());
        assert_eq!(Some(fast), spanned.as_ref(), "{text:?}");
    }
});
