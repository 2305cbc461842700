//! Kubernetes resource quantities, read the way the API server reads them:
//! JSON's `Quantity.UnmarshalJSON` trims white space (Go's `strings.TrimSpace`)
//! and calls `ParseQuantity` (apimachinery v0.33 `pkg/api/resource/quantity.go`:
//! `ParseQuantity`, `parseQuantityString`; `suffix.go`: `interpret`). A port of
//! the grammar, not a pattern, so that its corners agree: `5n`, `.5`, `1.`,
//! `1.G`, `+` and `m` (both zero) are quantities, `1e`, `0.1mi`, `-3.01e-` are
//! not. Held to apimachinery's own test tables (`tests/vectors/`).

use super::syntax::Invalid;
use std::cmp::Ordering;

/// A quantity's value in nano-units (10⁻⁹), rounded up in magnitude as
/// `ParseQuantity` rounds ("if you want some resources, you should get some
/// resources"), binary quantities capped at 2⁶³−1 as it caps them, and held
/// within i128 (far past anything a cluster schedules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity {
    nanos: i128,
}

impl Quantity {
    pub const ZERO: Quantity = Quantity { nanos: 0 };

    /// The value in units, as a float (for `diff`'s comparison of sizes).
    pub fn as_f64(self) -> f64 {
        self.nanos as f64 / 1e9
    }

    /// Whether the value is a whole number of units (`MilliValue() % 1000 == 0`
    /// for the quantities Kubernetes counts: extended resources).
    pub fn is_whole(self) -> bool {
        self.nanos % NANOS_PER_UNIT == 0
    }

    /// Whether this is a whole multiple of `unit` (a huge page's size).
    pub fn is_multiple_of(self, unit: Quantity) -> bool {
        unit.nanos != 0 && self.nanos % unit.nanos == 0
    }

    pub fn cmp_value(self, other: Quantity) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

const NANOS_PER_UNIT: i128 = 1_000_000_000;

/// The number's parts as `parseQuantityString` splits them: the sign, the
/// number as written (with its sign: what the slow path hands `inf.Dec`),
/// the numerator without leading zeros (`"0"` when none is left), the
/// digits after the point, and the suffix.
struct Parts<'a> {
    positive: bool,
    value: &'a str,
    num: &'a str,
    denom: &'a str,
    suffix: &'a str,
}

fn parts(s: &str) -> Result<Parts<'_>, Invalid> {
    let b = s.as_bytes();
    let end = b.len();
    let mut pos = 0;
    let mut positive = true;
    match b.first() {
        Some(b'-') => {
            positive = false;
            pos += 1;
        }
        Some(b'+') => pos += 1,
        _ => {}
    }
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return Ok(Parts {
            positive,
            value: "0",
            num: "0",
            denom: "",
            suffix: "",
        });
    }
    let digits = |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let num_end = digits(pos);
    let num = if num_end == pos {
        "0"
    } else {
        &s[pos..num_end]
    };
    pos = num_end;
    let mut denom = "";
    if pos < end && b[pos] == b'.' {
        let denom_end = digits(pos + 1);
        denom = &s[pos + 1..denom_end];
        pos = denom_end;
    }
    let value = &s[..pos];
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < end && (b[pos] == b'-' || b[pos] == b'+') {
        pos += 1;
    }
    if digits(pos) != end {
        return Err(Invalid::Quantity);
    }
    Ok(Parts {
        positive,
        value,
        num,
        denom,
        suffix: &s[suffix_start..],
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    DecimalSi,
    BinarySi,
    DecimalExponent,
}

/// `suffixHandler.interpret`: the base, the exponent and the format.
fn interpret(suffix: &str) -> Option<(u32, i32, Format)> {
    let decimal = |e| Some((10, e, Format::DecimalSi));
    let binary = |e| Some((2, e, Format::BinarySi));
    match suffix {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ => {
            let exponent = suffix.strip_prefix(['e', 'E'])?;
            // Go's `int32(parsed)`: a wrapping conversion, as upstream's.
            let parsed: i64 = exponent.parse().ok()?;
            Some((10, parsed as i32, Format::DecimalExponent))
        }
    }
}

/// Go's `strings.TrimSpace` (Unicode white space, as `unicode.IsSpace`).
fn trim_space(s: &str) -> &str {
    s.trim_matches(char::is_whitespace)
}

/// A quantity as the API server reads it from JSON text.
pub fn parse(text: &str) -> Result<Quantity, Invalid> {
    parse_quantity(trim_space(text))
}

/// `ParseQuantity` itself: no white space around.
pub fn parse_quantity(s: &str) -> Result<Quantity, Invalid> {
    if s.is_empty() {
        return Err(Invalid::Quantity);
    }
    if s == "0" {
        return Ok(Quantity::ZERO);
    }
    let p = parts(s)?;
    let (base, exponent, format) = interpret(p.suffix).ok_or(Invalid::Quantity)?;
    // `ParseQuantity` takes a fast path when the digits fit an int64 at a
    // scale of at least nano; otherwise `inf.Dec.SetString(value)` reads the
    // number, which needs a digit (`e-12` alone has none: ErrNumeric).
    let digit_count = (p.num.len() + p.denom.len()) as i64;
    let precision = match format {
        Format::DecimalSi | Format::DecimalExponent => 18 - digit_count,
        Format::BinarySi if p.denom.is_empty() => {
            15 - p.num.len() as i64 - ((exponent as f32) * 3.0 / 10.0) as i64 - 1
        }
        Format::BinarySi => -1,
    };
    let scale = if base == 10 { exponent as i64 } else { 0 } - p.denom.len() as i64;
    let fast = precision >= 0 && scale >= -9;
    if !fast && !p.value.bytes().any(|b| b.is_ascii_digit()) {
        return Err(Invalid::Quantity);
    }
    let mut nanos = magnitude_nanos(p.num, p.denom, base, exponent);
    if format == Format::BinarySi {
        nanos = nanos.min(i128::from(i64::MAX) * NANOS_PER_UNIT);
    }
    Ok(Quantity {
        nanos: if p.positive { nanos } else { -nanos },
    })
}

/// `num.denom × base^exponent` in nano-units, rounded up, saturating.
fn magnitude_nanos(num: &str, denom: &str, base: u32, exponent: i32) -> i128 {
    let mut digits: i128 = 0;
    for b in num.bytes().chain(denom.bytes()) {
        digits = digits
            .saturating_mul(10)
            .saturating_add(i128::from(b - b'0'));
    }
    // Powers of ten still to apply: the nano scale, less the digits after
    // the point, plus a decimal exponent.
    let mut tens = 9 - denom.len() as i64;
    if base == 10 {
        tens += i64::from(exponent);
    } else {
        for _ in 0..exponent.max(0) {
            digits = digits.saturating_mul(2);
        }
    }
    if tens >= 0 {
        for _ in 0..tens.min(40) {
            digits = digits.saturating_mul(10);
        }
        digits
    } else {
        let mut kept = digits;
        let mut lost = false;
        for _ in 0..(-tens).min(40) {
            lost |= kept % 10 != 0;
            kept /= 10;
        }
        lost |= (-tens) > 40 && digits != 0;
        kept + i128::from(lost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// apimachinery's own tables (`TestQuantityParse`, `TestParseQuantityString`,
    /// `TestJSONWhitespace`): each valid input, also signed, reads as its
    /// value; each invalid one is refused.
    #[test]
    fn apimachinerys_own_quantity_tables() {
        let all: Value =
            serde_json::from_str(include_str!("../../tests/vectors/apimachinery.json")).unwrap();
        let v = &all["vectors"]["ParseQuantity"];
        let strings = |k: &str| -> Vec<String> { serde_json::from_value(v[k].clone()).unwrap() };
        let valid = strings("valid");
        assert!(valid.len() > 90, "{}", valid.len());
        for s in &valid {
            for signed in [s.clone(), format!("-{s}"), format!("+{s}")] {
                assert!(
                    parse_quantity(&signed).is_ok(),
                    "{signed:?} is valid upstream"
                );
            }
        }
        for s in v["valid_as_written"]["inputs"].as_array().unwrap() {
            let s = s.as_str().unwrap();
            assert!(parse_quantity(s).is_ok(), "{s:?} is valid upstream");
        }
        for s in strings("invalid") {
            assert!(parse_quantity(&s).is_err(), "{s:?} is invalid upstream");
        }
        for row in v["values"]["rows"].as_array().unwrap() {
            let (s, expected) = (row[0].as_str().unwrap(), row[1].as_str().unwrap());
            let expected: i128 = expected.parse().unwrap();
            assert_eq!(nanos(s), expected, "{s}");
            assert_eq!(nanos(&format!("-{s}")), -expected, "-{s}");
        }
        for row in all["vectors"]["QuantityUnmarshalJSON"]["valid"]
            .as_array()
            .unwrap()
        {
            let json = row[0].as_str().unwrap();
            let text = json.trim().trim_matches('"');
            assert_eq!(nanos(text), nanos(row[1].as_str().unwrap()), "{json}");
        }
    }

    fn nanos(s: &str) -> i128 {
        parse(s)
            .unwrap_or_else(|_| panic!("{s:?} is a quantity"))
            .nanos
    }

    #[test]
    fn quantities() {
        for ok in [
            "500m", "256Mi", "2", "1.5", "1e3", "0.5Gi", "+1k", "5n", "4u", ".5", "1.", "m", " 1",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        for bad in ["fifty", "", "1.2.3", "5 m", "1e", "1Kb", "e-12"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        for (text, value) in [
            ("20Gi", 20.0 * 1024f64.powi(3)),
            ("500m", 0.5),
            ("1e3", 1000.0),
            ("5Ei", 5.0 * 1024f64.powi(6)),
            ("1.5k", 1500.0),
            ("-2M", -2e6),
        ] {
            assert_eq!(parse(text).map(Quantity::as_f64), Ok(value), "{text}");
        }
    }

    #[test]
    fn values_round_up_to_a_nano_and_binary_caps() {
        assert_eq!(nanos("100m"), nanos("0.1"));
        assert_eq!(nanos("1Ki"), 1024 * NANOS_PER_UNIT);
        assert_eq!(nanos("3.001n"), 4);
        assert_eq!(nanos("-3.001n"), -4);
        assert_eq!(nanos("1e-300"), 1);
        assert_eq!(nanos("9Ei"), i128::from(i64::MAX) * NANOS_PER_UNIT);
        assert_eq!(nanos("1e300"), i128::MAX);
        assert_eq!(nanos(" 2 "), 2 * NANOS_PER_UNIT);
        // Repository text: a huge mantissa or exponent saturates, in time
        // linear in its length, and never overflows (Go's int32 wrap kept).
        assert_eq!(nanos(&"9".repeat(100_000)), i128::MAX);
        assert_eq!(nanos(&format!("0.{}1", "0".repeat(100_000))), 1);
        assert_eq!(nanos("1e99999999999"), i128::MAX);
        // 2^32 + 5 wraps to 5 in Go's int32(parsed): 1e5.
        assert_eq!(nanos("1e4294967301"), 100_000 * NANOS_PER_UNIT);
        assert!(
            parse("1e99999999999999999999").is_err(),
            "past int64: ParseInt fails"
        );
        assert!(parse("5Gi").unwrap().cmp_value(parse("5G").unwrap()) == Ordering::Greater);
    }
}
