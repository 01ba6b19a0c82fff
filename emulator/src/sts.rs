//! STS 2015-04-01 as credential providers call it: `AssumeRole` (signed by a key the emulator accepts),
//! `AssumeRoleWithOIDC` (unsigned; the token must be the one in the configured file) and
//! `GetCallerIdentity`. Each role assumed gets a new temporary key that the emulator's other endpoints then
//! accept until it expires.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::Response;
use serde_json::{Value, json};

use crate::auth::{AccessKey, MAX_LIFETIME, Verified};
use crate::reply::{self, Body};
use crate::server::Shared;

/// The STS API version.
pub const VERSION: &str = "2015-04-01";

/// The account the emulator plays.
const ACCOUNT: &str = "1234567890123456";

/// Operations that take no signature.
pub const ANONYMOUS: &[&str] = &["AssumeRoleWithOIDC"];

/// How the emulator plays STS.
#[derive(Debug, Clone, Default)]
pub struct StsSettings {
    /// How long issued keys last; the request's `DurationSeconds` (default 3,600) when unset.
    pub duration: Option<Duration>,
    /// The file holding the one OIDC token `AssumeRoleWithOIDC` accepts (read at each request).
    pub oidc_token_file: Option<PathBuf>,
}

/// Answers an STS request that passed the signature checks (or needs none).
pub fn call(
    shared: &Shared,
    settings: &StsSettings,
    request_id: &str,
    verified: &Verified,
    params: &[(String, String)],
) -> Response<Body> {
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty());
    let outcome = match verified.action.as_str() {
        "AssumeRole" => assume_role(shared, settings, verified, &get),
        "AssumeRoleWithOIDC" => assume_role_with_oidc(shared, settings, &get),
        "GetCallerIdentity" => Ok(caller_identity(verified)),
        other => Err((404, "InvalidAction.NotFound", format!("Specified api `{other}` is not found."))),
    };
    match outcome {
        Ok(mut body) => {
            body["RequestId"] = Value::String(request_id.to_owned());
            reply::document(request_id, &body)
        }
        Err((status, code, message)) => reply::error(status, request_id, code, &message),
    }
}

type Refusal = (u16, &'static str, String);

fn required<'a>(get: &dyn Fn(&str) -> Option<&'a str>, name: &str) -> Result<&'a str, Refusal> {
    get(name).ok_or_else(|| {
        (
            400,
            "MissingParameter",
            format!("The input parameter `{name}` that is mandatory for processing this request is not supplied."),
        )
    })
}

/// The role's ARN, checked, and the session's lifetime.
fn role_and_lifetime<'a>(
    settings: &StsSettings,
    get: &dyn Fn(&str) -> Option<&'a str>,
) -> Result<(&'a str, Duration), Refusal> {
    let role = required(get, "RoleArn")?;
    if !role.starts_with("acs:ram::") || !role.contains(":role/") {
        return Err((
            400,
            "InvalidParameter.RoleArn",
            format!("`{}` is not a role ARN (acs:ram::ACCOUNT:role/NAME).", crate::params::shown(role)),
        ));
    }
    let requested = match get("DurationSeconds") {
        Some(text) => text
            .parse::<u64>()
            .map_err(|_| (400, "InvalidParameter.DurationSeconds", "DurationSeconds is not a number.".to_owned()))?,
        None => 3600,
    };
    if !(900..=MAX_LIFETIME.as_secs()).contains(&requested) {
        let message = format!("DurationSeconds is 900 to {}.", MAX_LIFETIME.as_secs());
        return Err((400, "InvalidParameter.DurationSeconds", message));
    }
    Ok((role, settings.duration.unwrap_or(Duration::from_secs(requested))))
}

fn assume_role<'a>(
    shared: &Shared,
    settings: &StsSettings,
    verified: &Verified,
    get: &dyn Fn(&str) -> Option<&'a str>,
) -> Result<Value, Refusal> {
    if verified.key_id.is_none() {
        return Err((400, "IncompleteSignature", "AssumeRole must be signed.".to_owned()));
    }
    let (role, lifetime) = role_and_lifetime(settings, get)?;
    let session = required(get, "RoleSessionName")?;
    Ok(issued(shared, role, session, lifetime))
}

fn assume_role_with_oidc<'a>(
    shared: &Shared,
    settings: &StsSettings,
    get: &dyn Fn(&str) -> Option<&'a str>,
) -> Result<Value, Refusal> {
    required(get, "OIDCProviderArn")?;
    let (role, lifetime) = role_and_lifetime(settings, get)?;
    let token = required(get, "OIDCToken")?;
    let Some(file) = &settings.oidc_token_file else {
        return Err((
            400,
            "AuthenticationFail.OIDCToken.Invalid",
            "The emulator accepts no OIDC token (it was started without an OIDC token file).".to_owned(),
        ));
    };
    let expected = std::fs::read_to_string(file)
        .map_err(|e| (500, "InternalError", format!("The emulator cannot read its OIDC token file: {e}")))?;
    if token.trim() != expected.trim() {
        return Err((
            400,
            "AuthenticationFail.OIDCToken.Invalid",
            "The OIDC token is not the one the identity provider issued.".to_owned(),
        ));
    }
    Ok(issued(shared, role, get("RoleSessionName").unwrap_or("oidc-session"), lifetime))
}

/// A new temporary key for `role`, recorded as accepted, as STS answers it.
fn issued(shared: &Shared, role: &str, session: &str, lifetime: Duration) -> Value {
    let key: AccessKey = shared.verifier.issue(&mut shared.rng.lock().unwrap_or_else(|e| e.into_inner()), lifetime);
    shared.counters.sts_issued.fetch_add(1, Ordering::Relaxed);
    let expiration = key.expires.map(acsgen::sign::format_timestamp).unwrap_or_default();
    json!({
        "AssumedRoleUser": {"Arn": format!("{role}/{session}"), "AssumedRoleId": format!("{}:{session}", &key.id[4..])},
        "Credentials": {"AccessKeyId": key.id, "AccessKeySecret": key.secret, "SecurityToken": key.token, "Expiration": expiration},
    })
}

fn caller_identity(verified: &Verified) -> Value {
    let id = verified.key_id.clone().unwrap_or_default();
    let (kind, arn) = match id.strip_prefix("STS.") {
        Some(_) => ("AssumedRoleUser", format!("acs:ram::{ACCOUNT}:assumed-role/emulated/{id}")),
        None => ("RAMUser", format!("acs:ram::{ACCOUNT}:user/{id}")),
    };
    json!({"AccountId": ACCOUNT, "UserId": id, "PrincipalId": id, "Arn": arn, "IdentityType": kind})
}
