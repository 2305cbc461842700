//! The fast reader of rendered output against serde-saphyr: on any text, it
//! either leaves the answer to serde-saphyr or gives exactly serde-saphyr's.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Some(fast) = oamc::readback::read_plain_subset(text)
    {
        assert_eq!(Some(fast), oamc::dom::parse_values(text).ok(), "{text:?}");
    }
});
