//! The record of API calls, for tests to assert on (`GET /__emulator/calls`): each request's action,
//! version, method, path and parameters, and how it was answered. Bounded: the newest [`KEPT`] calls,
//! each value cut to [`VALUE_CHARS`] characters, so a long import run does not grow the emulator.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

/// How many calls are kept (the oldest go first).
pub const KEPT: usize = 10_000;
/// How many characters of a parameter's value are kept.
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
    /// Query, form and JSON body members, in arrival order; long values cut to [`VALUE_CHARS`] with `…`.
    pub params: Vec<(String, String)>,
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
               "params": params, "status": self.status, "code": self.code})
    }
}

/// `value`, cut to [`VALUE_CHARS`] characters.
pub fn kept(value: &str) -> String {
    match value.char_indices().nth(VALUE_CHARS) {
        Some((at, _)) => format!("{}…", &value[..at]),
        None => value.to_owned(),
    }
}

/// The recorded calls.
#[derive(Debug, Default)]
pub struct Calls {
    list: Mutex<VecDeque<Call>>,
}

impl Calls {
    pub fn record(&self, call: Call) {
        let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        if list.len() == KEPT {
            list.pop_front();
        }
        list.push_back(call);
    }

    /// The calls kept, oldest first; only `action`'s when given.
    pub fn list(&self, action: Option<&str>) -> Vec<Call> {
        let list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        list.iter().filter(|c| action.is_none_or(|a| c.action == a)).cloned().collect()
    }

    /// The calls as the inspection endpoint shows them.
    pub fn to_json(&self, action: Option<&str>) -> Value {
        Value::Array(self.list(action).iter().map(Call::to_json).collect())
    }

    pub fn clear(&self) {
        self.list.lock().unwrap_or_else(|e| e.into_inner()).clear();
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
}
