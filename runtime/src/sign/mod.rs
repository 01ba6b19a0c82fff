//! Request signing, sans-I/O: a description of the request, credentials, a time and a nonce go in; the
//! headers (V3) or query parameters (V1) to add come out. Nothing here reads a clock, draws randomness or
//! touches the network, so every step can be checked against the vendor's worked examples.

pub mod v1;
pub mod v3;

use std::time::SystemTime;

use crate::protocol::{HttpRequest, Protocol};

/// Which signature scheme a client uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureVersion {
    /// `ACS3-HMAC-SHA256` in the `Authorization` header: the default of every current official SDK.
    #[default]
    V3,
    /// `HMAC-SHA1`, `SignatureVersion=1.0`, in query parameters: the legacy RPC scheme, still accepted.
    V1,
}

impl std::str::FromStr for SignatureVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "v3" | "acs3-hmac-sha256" => Ok(Self::V3),
            "v1" | "v2" | "hmac-sha1" => Ok(Self::V1),
            other => Err(format!("unknown signature version `{other}` (expected v3 or v1)")),
        }
    }
}

/// Formats a time as the protocol wants it: `yyyy-MM-ddTHH:mm:ssZ`, UTC.
pub fn format_timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// Parses a `yyyy-MM-ddTHH:mm:ssZ` timestamp.
pub fn parse_timestamp(text: &str) -> Result<SystemTime, String> {
    humantime::parse_rfc3339(text).map_err(|e| format!("invalid timestamp `{text}`: {e}"))
}

/// What the signer needs to know about the HTTP request. Query values are decoded text.
#[derive(Clone, Copy, Debug)]
pub struct SignableRequest<'a> {
    /// HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The path as sent, percent-encoded: `/` for RPC-style APIs. It is the canonical URI as it is.
    pub path: &'a str,
    /// Query parameters (name, decoded value), in any order.
    pub query: &'a [(String, String)],
    /// Headers to be sent (name, value), including `host`, `x-acs-action`, `x-acs-version` and, with a body,
    /// `content-type`. Names in any case.
    pub headers: &'a [(String, String)],
    /// The exact body bytes to be sent.
    pub body: &'a [u8],
}

/// What a signer adds to a request: headers and query parameters.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Additions {
    /// Headers to add (V3: the time, nonce, body hash, token and `Authorization`).
    pub headers: Vec<(String, String)>,
    /// Query parameters to add, decoded (V1: the protocol's and the signature's).
    pub query: Vec<(String, String)>,
}

impl std::fmt::Debug for Additions {
    // Signatures and tokens stay out: names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |pairs: &[(String, String)]| pairs.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        f.debug_struct("Additions").field("headers", &names(&self.headers)).field("query", &names(&self.query)).finish()
    }
}

/// A request that the chosen signature version cannot sign.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SignError(String);

/// Signs `request` with `version` and `key` (`None`: an anonymous operation, which gets the protocol's
/// time and nonce and no signature), at `timestamp` with `nonce`.
pub fn sign(
    version: SignatureVersion,
    request: &HttpRequest,
    key: Option<&SigningKey<'_>>,
    timestamp: &str,
    nonce: &str,
) -> Result<Additions, SignError> {
    match version {
        SignatureVersion::V3 => Ok(sign_v3(request, key, timestamp, nonce)),
        SignatureVersion::V1 => sign_v1(request, key, timestamp, nonce),
    }
}

fn sign_v3(request: &HttpRequest, key: Option<&SigningKey<'_>>, timestamp: &str, nonce: &str) -> Additions {
    let body = request.body.bytes();
    let headers = match key {
        Some(key) => {
            let signable = SignableRequest {
                method: request.method.as_str(),
                path: &request.path,
                query: &request.query,
                headers: &request.headers,
                body: &body,
            };
            v3::sign(&signable, key, timestamp, nonce).headers
        }
        None => v3::unsigned_headers(&body, timestamp, nonce),
    };
    Additions { headers, query: Vec::new() }
}

fn sign_v1(
    request: &HttpRequest,
    key: Option<&SigningKey<'_>>,
    timestamp: &str,
    nonce: &str,
) -> Result<Additions, SignError> {
    if let Protocol::Roa { .. } = request.protocol {
        return Err(SignError(format!(
            "{}: the V1 signature signs RPC-style requests only; ROA-style operations need V3 (the default)",
            request.action
        )));
    }
    let mut query = vec![
        ("Action".to_owned(), request.action.to_owned()),
        ("Version".to_owned(), request.version.to_owned()),
        ("Format".to_owned(), "json".to_owned()),
    ];
    match key {
        Some(key) => {
            let signed: Vec<(String, String)> =
                query.iter().chain(&request.query).cloned().chain(request.body.form_pairs()).collect();
            query.extend(v1::sign(request.method.as_str(), &signed, key, timestamp, nonce).params);
        }
        None => {
            query.push(("Timestamp".into(), timestamp.to_owned()));
            query.push(("SignatureNonce".into(), nonce.to_owned()));
        }
    }
    Ok(Additions { headers: Vec::new(), query })
}

/// The signing identity: access key ID, secret and, for STS credentials, the security token.
#[derive(Clone, Copy)]
pub struct SigningKey<'a> {
    /// The access key ID.
    pub access_key_id: &'a str,
    /// The access key secret.
    pub access_key_secret: &'a str,
    /// The STS security token, when the key is temporary.
    pub security_token: Option<&'a str>,
}

impl std::fmt::Debug for SigningKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &crate::redact::REDACTED)
            .field("security_token", &self.security_token.map(|_| crate::redact::REDACTED))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_in_protocol_format() {
        let t = parse_timestamp("2023-10-26T10:22:32Z").unwrap();
        assert_eq!(format_timestamp(t), "2023-10-26T10:22:32Z");
    }

    #[test]
    fn signing_key_debug_hides_secret_and_token() {
        let key = SigningKey { access_key_id: "id", access_key_secret: "s3cr3t", security_token: Some("tok3n") };
        let text = format!("{key:?}");
        assert!(!text.contains("s3cr3t") && !text.contains("tok3n"), "{text}");
    }
}
