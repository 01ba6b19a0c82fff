//! Signature checks, as the service makes them: V3 (`ACS3-HMAC-SHA256`) and V1 (`HMAC-SHA1`), STS security
//! tokens, the 15-minute time window and nonce reuse. Signatures are recomputed with the runtime's signer;
//! the official Python SDK's interop tests make sure both sides agree with an independent one.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use acsgen::sign::{self, v1, v3};
use sha2::{Digest, Sha256};

/// How far a request's time may be from the emulator's.
pub const TIME_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The longest a temporary key may last (STS's own maximum, 12 hours).
pub const MAX_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// A key the emulator accepts.
#[derive(Clone)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
    /// When set, requests must carry this STS security token.
    pub token: Option<String>,
    /// When a temporary key stops working.
    pub expires: Option<SystemTime>,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey").field("id", &self.id).field("sts", &self.token.is_some()).finish_non_exhaustive()
    }
}

/// A request as the checks see it. Header names are lowercase; query and form values are decoded.
pub struct Incoming<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub form: &'a [(String, String)],
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl Incoming<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A request that passed: what it asks for, who signed it, and how.
#[derive(Debug)]
pub struct Verified {
    pub action: String,
    pub version: String,
    /// The key that signed it; `None` for an anonymous request.
    pub key_id: Option<String>,
    /// V1, whose protocol parameters travel among the operation's.
    pub v1: bool,
}

impl Verified {
    /// The operation's own parameters, out of all the request's (V1's signature parameters left out).
    pub fn operation_params(&self, mut params: Vec<(String, String)>) -> Vec<(String, String)> {
        if self.v1 {
            params.retain(|(name, _)| !V1_PROTOCOL.contains(&name.as_str()));
        }
        params
    }
}

/// Why a request was refused: HTTP status, the vendor's code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

fn reject(status: u16, code: &'static str, message: impl Into<String>) -> Rejection {
    Rejection { status, code, message: message.into() }
}

/// The V1 parameters that belong to the protocol, not to the operation.
const V1_PROTOCOL: &[&str] = &[
    "Action",
    "Version",
    "Format",
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "SignatureType",
    "Timestamp",
    "SecurityToken",
];

/// Checks signatures against the configured keys and the temporary ones it issued, and remembers nonces.
pub struct Verifier {
    keys: Vec<AccessKey>,
    issued: Mutex<HashMap<String, AccessKey>>,
    nonces: Mutex<HashMap<String, SystemTime>>,
    clock_offset: i64,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Verifier {
    pub fn new(keys: Vec<AccessKey>, clock_offset: i64) -> Self {
        Self { keys, issued: Mutex::new(HashMap::new()), nonces: Mutex::new(HashMap::new()), clock_offset }
    }

    pub fn keys(&self) -> &[AccessKey] {
        &self.keys
    }

    /// A new temporary key, accepted until `lifetime` (at most [`MAX_LIFETIME`]) from now.
    pub fn issue(&self, rng: &mut fastrand::Rng, lifetime: Duration) -> AccessKey {
        let lifetime = lifetime.min(MAX_LIFETIME);
        let word = |rng: &mut fastrand::Rng, n: usize| (0..n).map(|_| rng.alphanumeric()).collect::<String>();
        let key = AccessKey {
            id: format!("STS.{}", word(rng, 24)),
            secret: word(rng, 30),
            token: Some(word(rng, 64)),
            expires: Some(self.now() + lifetime),
        };
        let mut issued = locked(&self.issued);
        let now = self.now();
        issued.retain(|_, k| k.expires.is_some_and(|at| at + TIME_WINDOW > now));
        issued.insert(key.id.clone(), key.clone());
        key
    }

    fn now(&self) -> SystemTime {
        let now = SystemTime::now();
        let offset = Duration::from_secs(self.clock_offset.unsigned_abs());
        if self.clock_offset >= 0 { now + offset } else { now - offset }
    }

    /// The key `id`, configured or issued and not expired.
    fn key(&self, id: &str) -> Result<AccessKey, Rejection> {
        let key = self.keys.iter().find(|k| k.id == id).cloned().or_else(|| locked(&self.issued).get(id).cloned());
        let key =
            key.ok_or_else(|| reject(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."))?;
        if key.expires.is_some_and(|at| at <= self.now()) {
            return Err(reject(400, "InvalidSecurityToken.Expired", "The security token you provided has expired."));
        }
        Ok(key)
    }

    /// An unsigned request for an operation of `version` that takes no signature (STS
    /// `AssumeRoleWithOIDC`): what it asks for, if it is one.
    pub fn anonymous(request: &Incoming<'_>, version: &str, actions: &[&str]) -> Option<Verified> {
        if request.header("authorization").is_some() {
            return None;
        }
        let query = |name: &str| request.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let v1 = query("Action").is_some();
        let action = query("Action").or_else(|| request.header("x-acs-action").map(str::to_owned))?;
        let (wanted, version) =
            (version, query("Version").or_else(|| request.header("x-acs-version").map(str::to_owned))?);
        let signed = query("Signature").is_some() || query("AccessKeyId").is_some();
        let anonymous = actions.contains(&action.as_str()) && version == wanted && !signed;
        anonymous.then_some(Verified { action, version, key_id: None, v1 })
    }

    fn check_token(key: &AccessKey, token: Option<&str>) -> Result<(), Rejection> {
        match (&key.token, token) {
            (Some(expected), Some(given)) if expected == given => Ok(()),
            (Some(_), None) => Err(reject(
                400,
                "MissingSecurityToken",
                "This access key is temporary: the request must carry its security token.",
            )),
            (Some(_), Some(_)) => Err(reject(
                400,
                "InvalidSecurityToken.MismatchWithAccessKey",
                "The security token does not belong to this access key.",
            )),
            (None, Some(_)) => {
                Err(reject(400, "InvalidSecurityToken.Malformed", "A security token came with a long-term access key."))
            }
            (None, None) => Ok(()),
        }
    }

    fn check_time(&self, text: &str) -> Result<(), Rejection> {
        let time = sign::parse_timestamp(text).map_err(|_| {
            reject(
                400,
                "InvalidTimeStamp.Format",
                format!("Specified time stamp `{text}` is not in the yyyy-MM-ddTHH:mm:ssZ format."),
            )
        })?;
        let now = self.now();
        let skew = now.duration_since(time).or_else(|e| Ok::<_, ()>(e.duration())).unwrap_or_default();
        if skew > TIME_WINDOW {
            return Err(reject(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."));
        }
        Ok(())
    }

    /// Records a nonce; a nonce seen within the time window is refused.
    fn use_nonce(&self, key_id: &str, nonce: &str) -> Result<(), Rejection> {
        let now = SystemTime::now();
        let mut nonces = locked(&self.nonces);
        if nonces.len() >= 65_536 {
            nonces.retain(|_, seen| now.duration_since(*seen).unwrap_or_default() < TIME_WINDOW * 2);
        }
        match nonces.insert(format!("{key_id}\n{nonce}"), now) {
            Some(seen) if now.duration_since(seen).unwrap_or_default() < TIME_WINDOW * 2 => {
                Err(reject(400, "SignatureNonceUsed", "Specified signature nonce was used already."))
            }
            _ => Ok(()),
        }
    }

    /// Checks `request`; V3 when it has an `Authorization` header, else V1.
    pub fn verify(&self, request: &Incoming<'_>) -> Result<Verified, Rejection> {
        match request.header("authorization") {
            Some(auth) => self.verify_v3(request, auth),
            None => self.verify_v1(request),
        }
    }

    fn verify_v3(&self, request: &Incoming<'_>, auth: &str) -> Result<Verified, Rejection> {
        let parsed = v3::parse_authorization(auth).ok_or_else(|| {
            reject(
                400,
                "IncompleteSignature",
                "The Authorization header is not `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`.",
            )
        })?;
        let signed: Vec<&str> = parsed.signed_headers.split(';').collect();
        for required in
            ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"]
        {
            if !signed.contains(&required) {
                return Err(reject(400, "IncompleteSignature", format!("The header `{required}` must be signed.")));
            }
        }
        for (name, _) in request.headers {
            let must = name.starts_with("x-acs-") || name == "content-type";
            if must && !signed.contains(&name.as_str()) {
                return Err(reject(400, "IncompleteSignature", format!("The header `{name}` is sent but not signed.")));
            }
        }
        for name in &signed {
            if request.header(name).is_none() {
                return Err(reject(400, "IncompleteSignature", format!("The signed header `{name}` is missing.")));
            }
        }
        let key = self.key(parsed.access_key_id)?;
        let date = request.header("x-acs-date").unwrap_or_default();
        self.check_time(date)?;
        let claimed = request.header("x-acs-content-sha256").unwrap_or_default();
        let (canonical_headers, signed_list) = v3::canonical_headers(request.headers, |name| signed.contains(&name));
        let canonical = v3::canonical_request(
            request.method,
            request.path,
            &v3::canonical_query(request.query),
            &canonical_headers,
            &signed_list,
            claimed,
        );
        let expected = v3::signature(&key.secret, &v3::string_to_sign(&canonical));
        if expected != parsed.signature {
            return Err(reject(
                400,
                "SignatureDoesNotMatch",
                "The request signature does not conform to Aliyun standards.",
            ));
        }
        if claimed != hex::encode(Sha256::digest(request.body)) {
            return Err(reject(
                400,
                "InvalidParameter.ContentSha256",
                "x-acs-content-sha256 is not the SHA-256 of the body.",
            ));
        }
        Self::check_token(&key, request.header("x-acs-security-token"))?;
        self.use_nonce(&key.id, request.header("x-acs-signature-nonce").unwrap_or_default())?;
        Ok(Verified {
            action: request.header("x-acs-action").unwrap_or_default().to_owned(),
            version: request.header("x-acs-version").unwrap_or_default().to_owned(),
            key_id: Some(key.id),
            v1: false,
        })
    }

    fn verify_v1(&self, request: &Incoming<'_>) -> Result<Verified, Rejection> {
        let all: Vec<&(String, String)> = request.query.iter().chain(request.form).collect();
        let get = |name: &str| all.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let Some(signature) = get("Signature") else {
            return Err(reject(
                400,
                "IncompleteSignature",
                "The request is not signed: no Authorization header and no Signature parameter.",
            ));
        };
        for required in ["AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"] {
            if get(required).is_none() {
                return Err(reject(
                    400,
                    "MissingParameter",
                    format!("The parameter `{required}` is required with a V1 signature."),
                ));
            }
        }
        if get("SignatureMethod") != Some(v1::SIGNATURE_METHOD)
            || get("SignatureVersion") != Some(v1::SIGNATURE_VERSION)
        {
            return Err(reject(400, "InvalidParameter", "SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0."));
        }
        let key = self.key(get("AccessKeyId").unwrap_or_default())?;
        self.check_time(get("Timestamp").unwrap_or_default())?;
        // Streamed: the strings to sign of a large request would be several times its size.
        let expected = v1::signature_of(request.method, all.iter().copied(), &key.secret);
        if expected != signature {
            return Err(reject(
                400,
                "SignatureDoesNotMatch",
                "The request signature does not conform to Aliyun standards.",
            ));
        }
        Self::check_token(&key, get("SecurityToken"))?;
        self.use_nonce(&key.id, get("SignatureNonce").unwrap_or_default())?;
        let (Some(action), Some(version)) = (get("Action"), get("Version")) else {
            return Err(reject(400, "MissingParameter", "The parameters `Action` and `Version` are required."));
        };
        Ok(Verified { action: action.to_owned(), version: version.to_owned(), key_id: Some(key.id), v1: true })
    }
}
