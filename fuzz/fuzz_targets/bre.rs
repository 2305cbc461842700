//! The functional gate's expected text comes from the repository: any text is
//! read or refused by `oamc gates`, never a panic, and matching any answer
//! stays within the matcher's size budget.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (pattern, body) = data.split_at(split);
    if let Ok(pattern) = std::str::from_utf8(pattern)
        && let Ok(bre) = oamc::live::bre::Bre::new(pattern)
    {
        let _ = bre.matches_a_line(body);
    }
});
