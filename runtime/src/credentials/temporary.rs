//! The answer the ECS metadata service and a credentials URI give: `Code` (`Success`), `AccessKeyId`,
//! `AccessKeySecret`, `SecurityToken`, `Expiration`. Errors name what is missing, never a value.

use serde_json::Value;

use super::{Credentials, CredentialsError};
use crate::sign::parse_timestamp;

/// Reads `body`, the answer of `source` to `provider`.
pub(crate) fn read(provider: &'static str, source: &str, body: &str) -> Result<Credentials, CredentialsError> {
    let fail = |what: &str| CredentialsError::Fetch { provider, message: format!("{source}: {what}") };
    let answer: Value = serde_json::from_str(body)
        .map_err(|e| fail(&format!("the answer is not JSON (line {}, column {})", e.line(), e.column())))?;
    if let Some(code) = answer.get("Code").map(|c| c.as_str().unwrap_or("(not text)")).filter(|c| *c != "Success") {
        return Err(fail(&format!("the answer's Code is `{code}`, not `Success`")));
    }
    let field = |name: &str| {
        let text = answer.get(name).and_then(Value::as_str).filter(|v| !v.is_empty());
        text.map(str::to_owned).ok_or_else(|| fail(&format!("the answer has no {name}")))
    };
    let (id, secret) = (field("AccessKeyId")?, field("AccessKeySecret")?);
    let (token, expiration) = (field("SecurityToken")?, field("Expiration")?);
    let expires_at = parse_timestamp(&expiration).map_err(|e| fail(&format!("Expiration: {e}")))?;
    Ok(Credentials::sts(id, secret, token).with_expiry(expires_at).with_provider(provider))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_and_errors_show_no_value() {
        let good = r#"{"Code":"Success","AccessKeyId":"STS.a","AccessKeySecret":"the-secret","SecurityToken":"the-token","Expiration":"2030-01-01T00:00:00Z"}"#;
        let creds = read("ECS RAM role", "role r", good).unwrap();
        assert_eq!((creds.access_key_id(), creds.provider()), ("STS.a", "ECS RAM role"));
        assert!(creds.expires_at().is_some());
        for (body, says) in [
            (r#"{"Code":"Failed","AccessKeySecret":"the-secret"}"#, "Code is `Failed`"),
            (r#"{"AccessKeyId":"a","AccessKeySecret":"the-secret","Expiration":"x"}"#, "no SecurityToken"),
            ("the-secret is not json", "not JSON"),
        ] {
            let error = read("p", "src", body).unwrap_err().to_string();
            assert!(error.contains(says) && !error.contains("the-secret"), "{error}");
        }
    }
}
