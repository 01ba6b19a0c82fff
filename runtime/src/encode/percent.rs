//! Percent-encoding as Alibaba Cloud signs it (RFC 3986: only `A-Z a-z 0-9 - _ . ~` stay as they are)
//! and as the official SDKs write form bodies (the same set, with space as `+`).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Every byte except the RFC 3986 unreserved characters is encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// As [`UNRESERVED`], but space passes through so it can be written as `+`.
const FORM: &AsciiSet = &UNRESERVED.remove(b' ');

/// Appends the RFC 3986 encoding of `input` (space is `%20`, `*` is `%2A`, `~` stays): what signing uses.
pub fn percent_encode_into(out: &mut String, input: &str) {
    for chunk in utf8_percent_encode(input, UNRESERVED) {
        out.push_str(chunk);
    }
}

/// The RFC 3986 encoding of `input`.
pub fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    percent_encode_into(&mut out, input);
    out
}

/// Appends the `application/x-www-form-urlencoded` encoding of `input`: RFC 3986 with space as `+`.
pub fn form_encode_into(out: &mut String, input: &str) {
    for chunk in utf8_percent_encode(input, FORM) {
        if chunk.len() > 1 && chunk.as_bytes()[0] == b'%' {
            out.push_str(chunk);
        } else if chunk.contains(' ') {
            out.extend(chunk.chars().map(|c| if c == ' ' { '+' } else { c }));
        } else {
            out.push_str(chunk);
        }
    }
}

/// Decodes a percent-encoded string (`+` is kept as `+`); invalid UTF-8 is replaced.
pub fn percent_decode(input: &str) -> String {
    percent_encoding::percent_decode_str(input).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3986_set() {
        assert_eq!(percent_encode("a b*c~d-e_f.g"), "a%20b%2Ac~d-e_f.g");
        assert_eq!(percent_encode("2023-10-26T10:22:32Z"), "2023-10-26T10%3A22%3A32Z");
        assert_eq!(percent_encode("中"), "%E4%B8%AD");
        assert_eq!(percent_encode("/=&+"), "%2F%3D%26%2B");
    }

    #[test]
    fn form_set_writes_space_as_plus() {
        let mut out = String::new();
        form_encode_into(&mut out, r#"[{"a":"b c*"}] ~"#);
        assert_eq!(out, "%5B%7B%22a%22%3A%22b+c%2A%22%7D%5D+~");
    }
}
