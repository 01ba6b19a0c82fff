//! Scripted answers: a test queues, for an action, the answers its next calls get — a body, or an error
//! in the vendor's shape (throttling with `x-acs-retry-after` included) — and the emulator plays them in
//! order before its own behaviour, which resumes once the queue is empty.
//!
//! `POST /__emulator/stubs` takes the JSON form:
//!
//! ```json
//! {"action": "DescribeInstances", "version": "2014-05-26",
//!  "responses": [{"status": 429, "code": "Throttling", "message": "Slow down.", "retry_after_ms": 50},
//!                {"body": {"Instances": {"Instance": []}, "NextToken": ""}}]}
//! ```
//!
//! `version` is optional (any version); a response is a `body` (status 200 unless given) or a `code`
//! (status 400 unless given) with an optional `message`; `retry_after_ms` adds the header to either.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::Value;

/// One scripted answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Scripted {
    /// This JSON body (its `RequestId` set to the request's when it is an object without one).
    Body {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: Value,
        /// Adds `x-acs-retry-after` (milliseconds).
        retry_after_ms: Option<u64>,
    },
    /// An error in the vendor's shape.
    Error {
        /// The HTTP status.
        status: u16,
        /// The vendor's error code (`Throttling`, `InvalidParameter`, …).
        code: String,
        /// The message.
        message: String,
        /// Adds `x-acs-retry-after` (milliseconds).
        retry_after_ms: Option<u64>,
    },
}

impl Scripted {
    /// An error with HTTP `status` and the vendor's `code`.
    pub fn error(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Scripted::Error { status, code: code.into(), message: message.into(), retry_after_ms: None }
    }

    /// Throttling as the service answers it: HTTP 400 `Throttling`, asking to retry after `retry_after_ms`.
    pub fn throttling(retry_after_ms: u64) -> Self {
        let message = "Request was denied due to request throttling.".to_owned();
        Scripted::Error { status: 400, code: "Throttling".to_owned(), message, retry_after_ms: Some(retry_after_ms) }
    }

    /// A success with this body.
    pub fn body(body: Value) -> Self {
        Scripted::Body { status: 200, body, retry_after_ms: None }
    }

    /// Reads one response of the JSON form; `at` names it in errors.
    fn from_json(value: &Value, at: &str) -> Result<Self, String> {
        let Value::Object(members) = value else { return Err(format!("{at} is not an object")) };
        if let Some(unknown) =
            members.keys().find(|k| !["status", "body", "code", "message", "retry_after_ms"].contains(&k.as_str()))
        {
            return Err(format!("{at} has `{unknown}`; a response has status, body, code, message, retry_after_ms"));
        }
        let number = |name: &str| match members.get(name) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| format!("{at}.{name} is not a whole number")),
        };
        let status = number("status")?;
        if status.is_some_and(|s| !(200..=599).contains(&s)) {
            return Err(format!("{at}.status is not an HTTP status"));
        }
        let retry_after_ms = number("retry_after_ms")?;
        match (members.get("body"), members.get("code")) {
            (Some(body), None) => {
                Ok(Scripted::Body { status: status.unwrap_or(200) as u16, body: body.clone(), retry_after_ms })
            }
            (None, Some(Value::String(code))) if !code.is_empty() => {
                let message = match members.get("message") {
                    None => String::new(),
                    Some(Value::String(m)) => m.clone(),
                    Some(_) => return Err(format!("{at}.message is not a string")),
                };
                Ok(Scripted::Error {
                    status: status.unwrap_or(400) as u16,
                    code: code.clone(),
                    message,
                    retry_after_ms,
                })
            }
            (None, Some(_)) => Err(format!("{at}.code is not a non-empty string")),
            _ => Err(format!("{at} needs either `body` or `code`")),
        }
    }
}

/// A queue of answers for one action.
#[derive(Debug)]
struct Stub {
    action: String,
    version: Option<String>,
    answers: VecDeque<Scripted>,
}

/// The queued answers.
#[derive(Debug, Default)]
pub struct Stubs {
    queued: Mutex<Vec<Stub>>,
}

impl Stubs {
    /// Queues `answers` for `action` (of `version`, or any), after any already queued for it.
    pub fn push(&self, action: &str, version: Option<&str>, answers: Vec<Scripted>) {
        let mut queued = self.queued.lock().unwrap_or_else(|e| e.into_inner());
        queued.push(Stub { action: action.to_owned(), version: version.map(str::to_owned), answers: answers.into() });
    }

    /// Queues what a `POST /__emulator/stubs` body asks; how many answers, or what is wrong with it.
    pub fn push_json(&self, body: &[u8]) -> Result<usize, String> {
        let value: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let action = value.get("action").and_then(Value::as_str).filter(|a| !a.is_empty());
        let action = action.ok_or("`action` must be a non-empty string")?;
        let version = match value.get("version") {
            None => None,
            Some(Value::String(v)) => Some(v.as_str()),
            Some(_) => return Err("`version` must be a string".to_owned()),
        };
        let list = value.get("responses").and_then(Value::as_array).ok_or("`responses` must be a list")?;
        let answers = list
            .iter()
            .enumerate()
            .map(|(i, r)| Scripted::from_json(r, &format!("responses[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let n = answers.len();
        self.push(action, version, answers);
        Ok(n)
    }

    /// The next scripted answer for this call, taken off its queue.
    pub fn next(&self, action: &str, version: &str) -> Option<Scripted> {
        let mut queued = self.queued.lock().unwrap_or_else(|e| e.into_inner());
        let fits =
            |s: &Stub| s.action == action && s.version.as_deref().is_none_or(|v| v == version) && !s.answers.is_empty();
        let answer = queued.iter_mut().find(|s| fits(s))?.answers.pop_front();
        queued.retain(|s| !s.answers.is_empty());
        answer
    }

    /// How many answers are still queued, per action.
    pub fn pending(&self) -> Vec<(String, usize)> {
        let queued = self.queued.lock().unwrap_or_else(|e| e.into_inner());
        queued.iter().map(|s| (s.action.clone(), s.answers.len())).collect()
    }

    /// Drops every queued answer.
    pub fn clear(&self) {
        self.queued.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_play_in_order_then_stop() {
        let stubs = Stubs::default();
        let body = br#"{"action":"Describe","responses":[{"status":429,"code":"Throttling","retry_after_ms":50},{"body":{"A":1}}]}"#;
        assert_eq!(stubs.push_json(body), Ok(2));
        let first = stubs.next("Describe", "2014-05-26").unwrap();
        assert_eq!(
            first,
            Scripted::Error {
                status: 429,
                code: "Throttling".into(),
                message: String::new(),
                retry_after_ms: Some(50)
            }
        );
        assert_eq!(stubs.next("Other", "2014-05-26"), None);
        assert_eq!(stubs.next("Describe", "x").unwrap(), Scripted::body(serde_json::json!({"A": 1})));
        assert_eq!(stubs.next("Describe", "x"), None);
        assert!(stubs.pending().is_empty());
    }

    #[test]
    fn a_wrong_script_says_what_is_wrong() {
        let stubs = Stubs::default();
        let cases: [(&[u8], &str); 5] = [
            (b"{", "the body is not JSON"),
            (br#"{"responses":[]}"#, "`action` must be a non-empty string"),
            (br#"{"action":"A","responses":[{"status":99,"code":"X"}]}"#, "responses[0].status is not an HTTP status"),
            (br#"{"action":"A","responses":[{"status":400}]}"#, "responses[0] needs either `body` or `code`"),
            (br#"{"action":"A","responses":[{"cod":"X"}]}"#, "responses[0] has `cod`"),
        ];
        for (body, expected) in cases {
            let error = stubs.push_json(body).unwrap_err();
            assert!(error.starts_with(expected), "{error}");
        }
        assert!(stubs.pending().is_empty(), "a refused script queues nothing");
    }
}
