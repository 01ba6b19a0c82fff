//! `HMAC-SHA1`, SignatureVersion 1.0: the legacy RPC signature over every query and form parameter,
//! sent as the `Signature` query parameter.

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use super::SigningKey;
use crate::encode::{percent_encode, percent_encode_into};

/// `SignatureMethod` value.
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";
/// `SignatureVersion` value.
pub const SIGNATURE_VERSION: &str = "1.0";

/// The result of signing: query parameters to add, and each intermediate step for inspection.
#[derive(Clone, PartialEq, Eq)]
pub struct V1Signature {
    /// Query parameters to add: `AccessKeyId`, `SignatureMethod`, `SignatureVersion`, `SignatureNonce`,
    /// `Timestamp`, `SecurityToken` (STS only) and `Signature`.
    pub params: Vec<(String, String)>,
    /// The canonicalized query string (every parameter but `Signature`, sorted and encoded).
    pub canonicalized_query: String,
    /// The string that was signed.
    pub string_to_sign: String,
    /// The signature, base64.
    pub signature: String,
}

impl fmt::Debug for V1Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.params.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("V1Signature")
            .field("params", &names)
            .field("signature", &crate::redact::REDACTED)
            .finish_non_exhaustive()
    }
}

/// Signs a request whose parameters (query and form together, decoded, `Action`/`Version`/`Format`
/// included) are `params`, with `key`, at `timestamp` with `nonce`.
pub fn sign(
    method: &str,
    params: &[(String, String)],
    key: &SigningKey<'_>,
    timestamp: &str,
    nonce: &str,
) -> V1Signature {
    let mut added = vec![
        ("AccessKeyId".to_owned(), key.access_key_id.to_owned()),
        ("SignatureMethod".to_owned(), SIGNATURE_METHOD.to_owned()),
        ("SignatureVersion".to_owned(), SIGNATURE_VERSION.to_owned()),
        ("SignatureNonce".to_owned(), nonce.to_owned()),
        ("Timestamp".to_owned(), timestamp.to_owned()),
    ];
    if let Some(token) = key.security_token.filter(|t| !t.is_empty()) {
        added.push(("SecurityToken".to_owned(), token.to_owned()));
    }
    let canonicalized_query = canonicalized_query(params.iter().chain(added.iter()));
    let string_to_sign = string_to_sign(method, &canonicalized_query);
    let signature = signature(key.access_key_secret, &string_to_sign);
    added.push(("Signature".to_owned(), signature.clone()));
    V1Signature { params: added, canonicalized_query, string_to_sign, signature }
}

/// Every parameter except `Signature`, sorted by name, `name=value` RFC 3986-encoded, joined by `&`.
pub fn canonicalized_query<'p>(params: impl IntoIterator<Item = &'p (String, String)>) -> String {
    let mut sorted: Vec<&(String, String)> = params.into_iter().filter(|(k, _)| k != "Signature").collect();
    sorted.sort();
    let mut out = String::new();
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        percent_encode_into(&mut out, k);
        out.push('=');
        percent_encode_into(&mut out, v);
    }
    out
}

/// `METHOD&%2F&` + the encoded canonicalized query.
pub fn string_to_sign(method: &str, canonicalized_query: &str) -> String {
    format!("{}&%2F&{}", method.to_ascii_uppercase(), percent_encode(canonicalized_query))
}

/// Base64 HMAC-SHA1 of the string to sign, keyed with `secret&`.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = keyed(secret);
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The signature [`signature`] gives for the string to sign of `params` (`Signature` itself left out),
/// computed without building the canonicalized query or the string to sign. Encoding twice can make a
/// parameter five times its size; a verifier that takes requests from anyone hashes the encoded bytes as
/// they are produced instead, and holds no more than the parameters themselves.
pub fn signature_of<'p>(method: &str, params: impl IntoIterator<Item = &'p (String, String)>, secret: &str) -> String {
    let mut sorted: Vec<&(String, String)> = params.into_iter().filter(|(k, _)| k != "Signature").collect();
    sorted.sort();
    let mut mac = keyed(secret);
    mac.update(method.to_ascii_uppercase().as_bytes());
    mac.update(b"&%2F&");
    let mut out = TwiceEncoded { mac, buffer: Vec::with_capacity(TwiceEncoded::CHUNK) };
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.raw(b"%26");
        }
        out.encode(k);
        out.raw(b"%3D");
        out.encode(v);
    }
    base64::engine::general_purpose::STANDARD.encode(out.finish().finalize().into_bytes())
}

/// HMAC-SHA1 keyed with `secret&`.
fn keyed(secret: &str) -> Hmac<Sha1> {
    let mut key = String::with_capacity(secret.len() + 1);
    key.push_str(secret);
    key.push('&');
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    <Hmac<Sha1> as KeyInit>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key length")
}

/// Feeds a MAC text percent-encoded twice, a chunk at a time. Encoded once, a reserved byte is `%XX`;
/// encoded again, its `%` becomes `%25` and the hex digits stay: `%25XX`.
struct TwiceEncoded {
    mac: Hmac<Sha1>,
    buffer: Vec<u8>,
}

impl TwiceEncoded {
    const CHUNK: usize = 8192;

    fn encode(&mut self, text: &str) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for &b in text.as_bytes() {
            if crate::encode::is_unreserved(b) {
                self.raw(&[b]);
            } else {
                self.raw(&[b'%', b'2', b'5', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
            }
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= Self::CHUNK {
            self.mac.update(&self.buffer);
            self.buffer.clear();
        }
    }

    fn finish(mut self) -> Hmac<Sha1> {
        self.mac.update(&self.buffer);
        self.mac
    }
}
