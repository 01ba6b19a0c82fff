//! A request's parameters — its query and a form body — decoded once, strictly, before anything else
//! looks at them: at most [`MAX_PARAMETERS`] of them, counted before any is decoded (so a body of millions
//! of `a&` costs nothing but its bytes); every name and value valid UTF-8 once percent-decoded; no name
//! given twice. Each refusal is the service's `InvalidParameter`, naming what is wrong by its first
//! [`SHOWN`] characters.

use std::collections::HashSet;

/// The most parameters a request may have (the service's operations take a few dozen).
pub const MAX_PARAMETERS: usize = 1000;

/// Decodes the `&`-separated pairs of `encoded` onto `into`, where the query's (or another part's)
/// already are; at most [`MAX_PARAMETERS`] in all.
pub fn decode(encoded: &[u8], into: &mut Vec<(String, String)>) -> Result<(), String> {
    // Counted without allocating anything: a hostile body's millions of pieces cost a pass over it.
    let pieces = encoded.split(|b| *b == b'&').filter(|p| !p.is_empty()).count();
    if into.len() + pieces > MAX_PARAMETERS {
        return Err(format!("The request has more than {MAX_PARAMETERS} parameters."));
    }
    for piece in encoded.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match piece.iter().position(|b| *b == b'=') {
            Some(at) => (&piece[..at], &piece[at + 1..]),
            None => (piece, &[][..]),
        };
        let name = text(name).map_err(|shown| format!("The parameter name `{shown}` is not valid UTF-8."))?;
        let value = text(value).map_err(|_| format!("The parameter `{}` is not valid UTF-8.", shown(&name)))?;
        into.push((name, value));
    }
    Ok(())
}

/// Refuses a name given twice (in the query, the body, or one in each).
pub fn unique(params: &[(String, String)]) -> Result<(), String> {
    let mut seen = HashSet::with_capacity(params.len());
    match params.iter().find(|(name, _)| !seen.insert(name.as_str())) {
        Some((name, _)) => Err(format!("The parameter `{}` is given more than once.", shown(name))),
        None => Ok(()),
    }
}

/// How many characters of a name a refusal shows: a request may send a name of megabytes.
pub const SHOWN: usize = 64;

/// The first [`SHOWN`] characters of `name`, with `…` when there are more.
pub fn shown(name: &str) -> String {
    cut(name, SHOWN)
}

/// The first `chars` characters of `text`, with `…` when there are more.
pub fn cut(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// One form-encoded part (`+` for a space), decoded; the start of what it was, shown lossily, when it is
/// not UTF-8.
fn text(encoded: &[u8]) -> Result<String, String> {
    let spaced: Vec<u8> = encoded.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
    match percent_encoding::percent_decode(&spaced).decode_utf8() {
        Ok(text) => Ok(text.into_owned()),
        Err(_) => Err(shown(&String::from_utf8_lossy(&encoded[..encoded.len().min(4 * SHOWN)]))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(encoded: &str) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        decode(encoded.as_bytes(), &mut out).map(|()| out)
    }

    #[test]
    fn pairs_are_decoded_as_forms_write_them() {
        let pairs = decoded("a=1&b=x+y%2Bz&c&&d=%E4%B8%AD").unwrap();
        let expected = [("a", "1"), ("b", "x y+z"), ("c", ""), ("d", "中")];
        assert_eq!(pairs, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
    }

    #[test]
    fn what_the_service_refuses_is_refused() {
        assert_eq!(decoded("a=%FF%FE").unwrap_err(), "The parameter `a` is not valid UTF-8.");
        assert!(decoded("%FF=1").unwrap_err().starts_with("The parameter name `%FF`"));
        let long = format!("%FF{}=1", "a".repeat(1000));
        assert_eq!(
            decoded(&long).unwrap_err(),
            format!("The parameter name `%FF{}…` is not valid UTF-8.", "a".repeat(61))
        );
        let many = "a&".repeat(MAX_PARAMETERS + 1);
        assert_eq!(decoded(&many).unwrap_err(), "The request has more than 1000 parameters.");
        assert!(decoded(&"a=1&".repeat(MAX_PARAMETERS)).is_ok(), "exactly the limit");
        let pairs = decoded("x=1&y=2&x=3").unwrap();
        assert_eq!(unique(&pairs).unwrap_err(), "The parameter `x` is given more than once.");
    }
}
