//! `ACS3-HMAC-SHA256`, the V3 signature: canonical request → string to sign → HMAC-SHA256 with the raw
//! secret, carried in the `Authorization` header.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::{SignableRequest, SigningKey};
use crate::encode::percent_encode;

/// The algorithm name that opens the string to sign and the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// `x-acs-content-sha256` of an empty body.
pub const EMPTY_BODY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The result of signing: headers to add, and each intermediate step for inspection.
#[derive(Clone, PartialEq, Eq)]
pub struct V3Signature {
    /// Headers to add to the request: `x-acs-date`, `x-acs-signature-nonce`, `x-acs-content-sha256`,
    /// `x-acs-security-token` (STS only) and `Authorization`.
    pub headers: Vec<(String, String)>,
    /// The canonical request that was hashed.
    pub canonical_request: String,
    /// The string that was signed.
    pub string_to_sign: String,
    /// The signature, lowercase hex.
    pub signature: String,
}

impl fmt::Debug for V3Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("V3Signature")
            .field("headers", &names)
            .field("signature", &crate::redact::REDACTED)
            .finish_non_exhaustive()
    }
}

/// Lowercase hex SHA-256 of `bytes`: the `HashedRequestPayload`.
pub fn hash_payload(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Signs `request` with `key` at `timestamp` (`yyyy-MM-ddTHH:mm:ssZ`) with `nonce`.
pub fn sign(request: &SignableRequest<'_>, key: &SigningKey<'_>, timestamp: &str, nonce: &str) -> V3Signature {
    let payload_hash = hash_payload(request.body);
    let mut added = vec![
        ("x-acs-date".to_owned(), timestamp.to_owned()),
        ("x-acs-signature-nonce".to_owned(), nonce.to_owned()),
        ("x-acs-content-sha256".to_owned(), payload_hash.clone()),
    ];
    if let Some(token) = key.security_token.filter(|t| !t.is_empty()) {
        added.push(("x-acs-security-token".to_owned(), token.to_owned()));
    }
    let all = request.headers.iter().chain(added.iter());
    let (canonical_headers, signed_headers) = canonical_headers(all, is_signed_by_default);
    let canonical_request = canonical_request(
        request.method,
        request.path,
        &canonical_query(request.query),
        &canonical_headers,
        &signed_headers,
        &payload_hash,
    );
    let string_to_sign = string_to_sign(&canonical_request);
    let signature = signature(key.access_key_secret, &string_to_sign);
    added.push((
        "authorization".to_owned(),
        format!("{ALGORITHM} Credential={},SignedHeaders={signed_headers},Signature={signature}", key.access_key_id),
    ));
    V3Signature { headers: added, canonical_request, string_to_sign, signature }
}

/// The headers an anonymous request carries in place of a signature: the time, a nonce and the body's
/// hash, as a signed one would, and no `Authorization`.
pub fn unsigned_headers(body: &[u8], timestamp: &str, nonce: &str) -> Vec<(String, String)> {
    vec![
        ("x-acs-date".to_owned(), timestamp.to_owned()),
        ("x-acs-signature-nonce".to_owned(), nonce.to_owned()),
        ("x-acs-content-sha256".to_owned(), hash_payload(body)),
    ]
}

/// The headers this signer always signs: `host`, `content-type` and every `x-acs-*`.
pub fn is_signed_by_default(lowercase_name: &str) -> bool {
    lowercase_name == "host" || lowercase_name == "content-type" || lowercase_name.starts_with("x-acs-")
}

/// Query parameters sorted by encoded name (then value), each `name=value` RFC 3986-encoded, joined by `&`.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> =
        query.iter().map(|(k, v)| (percent_encode(k), percent_encode(v))).collect();
    encoded.sort_unstable();
    let mut out = String::with_capacity(encoded.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (i, (k, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Canonical headers (`name:value\n` per header, names lowercased, values trimmed, sorted, repeated
/// headers joined by `,`) and the `SignedHeaders` list, over the headers `include` accepts.
pub fn canonical_headers<'h>(
    headers: impl IntoIterator<Item = &'h (String, String)>,
    include: impl Fn(&str) -> bool,
) -> (String, String) {
    let mut picked: Vec<(String, &str)> =
        headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v.trim())).filter(|(k, _)| include(k)).collect();
    picked.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    let mut canonical = String::new();
    let mut names: Vec<&str> = Vec::new();
    for (i, (name, value)) in picked.iter().enumerate() {
        if i > 0 && picked[i - 1].0 == *name {
            canonical.pop();
            canonical.push(',');
        } else {
            canonical.push_str(name);
            canonical.push(':');
            names.push(name);
        }
        canonical.push_str(value);
        canonical.push('\n');
    }
    (canonical, names.join(";"))
}

/// The canonical request: method, URI (`path`, encoded as sent), query, headers, signed headers and
/// payload hash.
pub fn canonical_request(
    method: &str,
    path: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    // The path is already encoded as it goes on the request line: that is the canonical URI.
    let uri = if path.is_empty() { "/" } else { path };
    format!(
        "{}\n{uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}",
        method.to_ascii_uppercase()
    )
}

/// `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request.
pub fn string_to_sign(canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{}", hash_payload(canonical_request.as_bytes()))
}

/// Lowercase hex HMAC-SHA256 of the string to sign, keyed with the raw secret.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The parts of an `Authorization: ACS3-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// The access key ID after `Credential=`.
    pub access_key_id: &'a str,
    /// The `;`-separated names after `SignedHeaders=`.
    pub signed_headers: &'a str,
    /// The hex signature after `Signature=`.
    pub signature: &'a str,
}

/// Parses an `Authorization` header value; `None` when it is not a well-formed V3 authorization.
pub fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix(ALGORITHM)?.trim_start();
    let (mut id, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => id = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => sig = Some(v),
            _ => {}
        }
    }
    Some(Authorization { access_key_id: id?, signed_headers: signed?, signature: sig? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_payload_hash() {
        assert_eq!(hash_payload(b""), EMPTY_BODY_SHA256);
    }

    #[test]
    fn repeated_headers_are_joined_and_others_filtered() {
        let headers = vec![
            ("X-Acs-B".to_owned(), " 2 ".to_owned()),
            ("x-acs-b".to_owned(), "1".to_owned()),
            ("User-Agent".to_owned(), "ignored".to_owned()),
            ("host".to_owned(), "h".to_owned()),
        ];
        let (canonical, signed) = canonical_headers(&headers, is_signed_by_default);
        assert_eq!(canonical, "host:h\nx-acs-b:1,2\n");
        assert_eq!(signed, "host;x-acs-b");
    }

    #[test]
    fn authorization_parses_back() {
        let auth =
            parse_authorization("ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host;x-acs-date,Signature=ab").unwrap();
        assert_eq!(auth, Authorization { access_key_id: "id", signed_headers: "host;x-acs-date", signature: "ab" });
        assert!(parse_authorization("HMAC Credential=id").is_none());
        assert!(parse_authorization("ACS3-HMAC-SHA256 Credential=id,Signature=x").is_none());
    }

    #[test]
    fn sts_token_header_is_signed() {
        let headers = vec![("host".to_owned(), "example".to_owned())];
        let request = SignableRequest { method: "POST", path: "/", query: &[], headers: &headers, body: b"" };
        let key = SigningKey { access_key_id: "id", access_key_secret: "s", security_token: Some("tok") };
        let signed = sign(&request, &key, "2023-10-26T10:22:32Z", "n");
        assert!(signed.canonical_request.contains("x-acs-security-token:tok\n"));
        assert!(signed.headers.iter().any(|(k, v)| k == "x-acs-security-token" && v == "tok"));
    }
}
