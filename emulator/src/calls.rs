//! The record of API calls, for tests to assert on (`GET /__emulator/calls`): each request's action,
//! version, method, path and parameters, and how it was answered. Bounded, so that neither a long import
//! run nor a flood of hostile requests grows the emulator: the newest [`KEPT`] calls within [`KEPT_BYTES`],
//! each with its first [`PARAMS`] parameters, names and values cut to [`VALUE_CHARS`] characters.

use std::collections::VecDeque;
use std::sync::Mutex;

use hyper::Response;
use serde_json::{Map, Value, json};

use crate::reply::{Body, ErrorCode};

/// How many calls are kept at most (the oldest go first).
pub const KEPT: usize = 10_000;
/// How many bytes of names and values the kept calls hold at most (the oldest go first).
pub const KEPT_BYTES: usize = 16 * 1024 * 1024;
/// How many parameters of a call are kept.
pub const PARAMS: usize = 64;
/// How many characters of a parameter's name or value are kept.
pub const VALUE_CHARS: usize = 256;

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The action, as signed (empty when a refused request named none).
    pub action: String,
    /// The API version, as signed.
    pub version: String,
    /// The HTTP method.
    pub method: String,
    /// The path as sent.
    pub path: String,
    /// Query, form and JSON body members, in arrival order: the first [`PARAMS`], names and values cut to
    /// [`VALUE_CHARS`] characters with `…`.
    pub params: Vec<(String, String)>,
    /// How many parameters the call had beyond those kept.
    pub more_params: usize,
    /// The answer's HTTP status (0 when the connection was dropped by a drill).
    pub status: u16,
    /// The error code answered, if any.
    pub code: Option<String>,
}

impl Call {
    /// The value of the parameter `name`, as recorded.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn to_json(&self) -> Value {
        let params: Map<String, Value> =
            self.params.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        json!({"action": self.action, "version": self.version, "method": self.method, "path": self.path,
               "params": params, "more_params": self.more_params, "status": self.status, "code": self.code})
    }

    /// The bytes it holds, for the budget.
    fn size(&self) -> usize {
        let texts = [&self.action, &self.version, &self.method, &self.path];
        texts.iter().map(|t| t.len()).sum::<usize>() + self.params.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>()
    }
}

/// What a request asked, as recorded: action and version, method and path, its query and form
/// parameters and its JSON body's members.
pub struct Asked<'a> {
    pub action: String,
    pub version: String,
    pub method: &'a str,
    pub path: &'a str,
    pub params: &'a [(String, String)],
    pub json: Option<&'a Value>,
}

/// `value`, cut to [`VALUE_CHARS`] characters.
pub fn kept(value: &str) -> String {
    crate::params::cut(value, VALUE_CHARS)
}

/// The recorded calls and the bytes they hold.
#[derive(Debug, Default)]
pub struct Calls {
    list: Mutex<(VecDeque<Call>, usize)>,
}

impl Calls {
    pub fn record(&self, call: Call) {
        let mut guard = self.list.lock().unwrap_or_else(|e| e.into_inner());
        let (list, bytes) = &mut *guard;
        *bytes += call.size();
        list.push_back(call);
        while list.len() > KEPT || *bytes > KEPT_BYTES {
            let Some(oldest) = list.pop_front() else { break };
            *bytes -= oldest.size();
        }
    }

    /// Records what `asked` and how it was answered (`None`: the connection was dropped by a drill).
    pub fn record_answer(&self, asked: Asked<'_>, answer: Option<&Response<Body>>) {
        let members = match asked.json {
            Some(Value::Object(members)) => members.iter().collect(),
            _ => Vec::new(),
        };
        let all = asked.params.iter().map(|(k, v)| (k.as_str(), v.as_str().into()));
        let all = all.chain(
            members.into_iter().map(|(k, v)| (k.as_str(), v.as_str().map_or_else(|| v.to_string().into(), Into::into))),
        );
        let mut params = Vec::new();
        let mut more_params = 0;
        for (name, value) in all {
            let value: std::borrow::Cow<'_, str> = value;
            if params.len() < PARAMS { params.push((kept(name), kept(&value))) } else { more_params += 1 }
        }
        let status = answer.map_or(0, |a| a.status().as_u16());
        let code = answer.and_then(|a| a.extensions().get::<ErrorCode>()).map(|c| c.0.clone());
        let (action, version, method, path) = (asked.action, asked.version, asked.method.to_owned(), kept(asked.path));
        self.record(Call {
            action: kept(&action),
            version: kept(&version),
            method,
            path,
            params,
            more_params,
            status,
            code,
        });
    }

    /// The calls kept, oldest first; only `action`'s when given.
    pub fn list(&self, action: Option<&str>) -> Vec<Call> {
        let guard = self.list.lock().unwrap_or_else(|e| e.into_inner());
        guard.0.iter().filter(|c| action.is_none_or(|a| c.action == a)).cloned().collect()
    }

    /// The calls as the inspection endpoint shows them.
    pub fn to_json(&self, action: Option<&str>) -> Value {
        Value::Array(self.list(action).iter().map(Call::to_json).collect())
    }

    pub fn clear(&self) {
        *self.list.lock().unwrap_or_else(|e| e.into_inner()) = (VecDeque::new(), 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(action: &str) -> Call {
        let params = vec![("Long".to_owned(), kept(&"é".repeat(300)))];
        Call {
            action: action.into(),
            version: "v".into(),
            method: "GET".into(),
            path: "/".into(),
            params,
            more_params: 0,
            status: 200,
            code: None,
        }
    }

    #[test]
    fn the_newest_calls_are_kept_and_values_cut() {
        let calls = Calls::default();
        for i in 0..KEPT + 5 {
            calls.record(call(&format!("A{i}")));
        }
        let kept_calls = calls.list(None);
        assert_eq!(kept_calls.len(), KEPT);
        assert_eq!(kept_calls[0].action, "A5");
        assert_eq!(calls.list(Some("A7")).len(), 1);
        let value = kept_calls[0].param("Long").unwrap();
        assert_eq!(value.chars().count(), VALUE_CHARS + 1);
        assert!(value.ends_with('…'));
    }

    /// A flood of calls with as many parameters as a request may have, each as long as the record keeps:
    /// the record stays within its byte budget, and keeps the first parameters of each.
    #[test]
    fn hostile_calls_stay_within_the_budget() {
        let calls = Calls::default();
        let params: Vec<(String, String)> = (0..1000).map(|i| (format!("{i:0>300}"), "v".repeat(1000))).collect();
        for _ in 0..2000 {
            let asked = Asked {
                action: "A".into(),
                version: "v".into(),
                method: "POST",
                path: "/",
                params: &params,
                json: None,
            };
            calls.record_answer(asked, None);
        }
        let guard = calls.list.lock().unwrap();
        assert!(guard.1 <= KEPT_BYTES, "{} bytes kept", guard.1);
        assert_eq!(guard.1, guard.0.iter().map(Call::size).sum::<usize>());
        let newest = guard.0.back().unwrap();
        assert_eq!((newest.params.len(), newest.more_params, newest.status), (PARAMS, 1000 - PARAMS, 0));
    }
}
