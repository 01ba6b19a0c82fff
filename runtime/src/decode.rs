//! Response decoding: the service's JSON into generated types. Lenient where the vendor's metadata is known
//! to be inaccurate — numbers and booleans that arrive as strings, a single object where a list was
//! declared, `null` for absent — and exact where it matters: integers never pass through `f64`.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// Where decoding failed and why. Values are not repeated (they may be personal data); types are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: expected {expected}, found {found}")]
pub struct DecodeError {
    /// JSON path, e.g. `Data.Items[2].Count`.
    pub path: String,
    /// What the spec declares.
    pub expected: &'static str,
    /// What arrived.
    pub found: String,
}

/// A position in the document being decoded: a chain of keys and indices, built without allocating.
#[derive(Clone, Copy)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: Segment<'a>,
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    /// The document root.
    pub const ROOT: Path<'static> = Path { parent: None, segment: Segment::Root };

    /// The member `key` of this position.
    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path { parent: Some(self), segment: Segment::Key(key) }
    }

    /// Item `index` of this position.
    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path { parent: Some(self), segment: Segment::Index(index) }
    }

    fn error(&self, expected: &'static str, found: &Value) -> DecodeError {
        DecodeError { path: self.to_string(), expected, found: describe(found) }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parent {
            None => f.write_str("(response)"),
            Some(parent) => {
                let parent_is_root = parent.parent.is_none();
                if !parent_is_root {
                    fmt::Display::fmt(parent, f)?;
                }
                match self.segment {
                    Segment::Key(k) if parent_is_root => f.write_str(k),
                    Segment::Key(k) => write!(f, ".{k}"),
                    Segment::Index(i) => write!(f, "[{i}]"),
                    Segment::Root => Ok(()),
                }
            }
        }
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(n) if n.is_f64() => "a fractional number".into(),
        Value::Number(n) if n.is_u64() && n.as_i64().is_none() => "an integer above 2^63".into(),
        Value::Number(_) => "a number".into(),
        Value::String(s) => format!("a string of {} characters", s.chars().count()),
        Value::Array(a) => format!("a list of {} items", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

/// Builds a value from response JSON. Generated for every response type.
pub trait Decode: Sized {
    /// Decodes `value`, found at `path`.
    fn decode(value: Value, path: &Path<'_>) -> Result<Self, DecodeError>;

    /// The value to use when the member is absent or `null`; `None` makes absence an error.
    fn absent() -> Option<Self> {
        None
    }
}

impl Decode for Value {
    fn decode(value: Value, _: &Path<'_>) -> Result<Self, DecodeError> {
        Ok(value)
    }
    fn absent() -> Option<Self> {
        Some(Value::Null)
    }
}

impl Decode for String {
    fn decode(value: Value, path: &Path<'_>) -> Result<Self, DecodeError> {
        match value {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            // The metadata sometimes calls a JSON document a string; keep it as compact JSON text.
            v @ (Value::Object(_) | Value::Array(_)) => Ok(v.to_string()),
            Value::Null => Err(path.error("a string", &Value::Null)),
        }
    }
}

impl Decode for bool {
    fn decode(value: Value, path: &Path<'_>) -> Result<Self, DecodeError> {
        match &value {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            Value::Number(n) if n.as_i64() == Some(1) => Ok(true),
            Value::Number(n) if n.as_i64() == Some(0) => Ok(false),
            _ => Err(path.error("a boolean", &value)),
        }
    }
}

impl Decode for i64 {
    fn decode(value: Value, path: &Path<'_>) -> Result<Self, DecodeError> {
        let parsed = match &value {
            Value::Number(n) => {
                n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64))
            }
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        parsed.ok_or_else(|| path.error("a 64-bit integer", &value))
    }
}

impl Decode for i32 {
    fn decode(value: Value, path: &Path<'_>) -> Result<Self, DecodeError> {
        let wide = i64::decode(value.clone(), path).map_err(|e| DecodeError { expected: "a 32-bit integer", ..e })?;
        i32::try_from(wide).map_err(|_| path.error("a 32-bit integer", &value))
    }
}

impl Decode for f64 {
    fn decode(value: Value, path: &Path<'_>) -> Result<Self, DecodeError> {
        let parsed = match &value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        parsed.ok_or_else(|| path.error("a number", &value))
    }
}

impl Decode for f32 {
    fn decode(value: Value, path: &Path<'_>) -> Result<Self, DecodeError> {
        f64::decode(value, path).map(|f| f as f32)
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(value: Value, path: &Path<'_>) -> Result<Self, DecodeError> {
        match value {
            Value::Null => Ok(None),
            // Some services send "" for "no value": absent, unless the type takes empty text.
            Value::String(ref s) if s.is_empty() => Ok(T::decode(value, path).ok()),
            value => T::decode(value, path).map(Some),
        }
    }
    fn absent() -> Option<Self> {
        Some(None)
    }
}

impl<T: Decode> Decode for Box<T> {
    fn decode(value: Value, path: &Path<'_>) -> Result<Self, DecodeError> {
        T::decode(value, path).map(Box::new)
    }
    fn absent() -> Option<Self> {
        T::absent().map(Box::new)
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(value: Value, path: &Path<'_>) -> Result<Self, DecodeError> {
        match value {
            Value::Array(items) => {
                items.into_iter().enumerate().map(|(i, item)| T::decode(item, &path.index(i))).collect()
            }
            Value::Null => Ok(Vec::new()),
            // A single item where a list was declared (the XML-to-JSON shape of one-item lists).
            single => Ok(vec![T::decode(single, &path.index(0))?]),
        }
    }
    fn absent() -> Option<Self> {
        Some(Vec::new())
    }
}

impl<T: Decode> Decode for BTreeMap<String, T> {
    fn decode(value: Value, path: &Path<'_>) -> Result<Self, DecodeError> {
        match value {
            Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| {
                    let item = T::decode(v, &path.key(&k))?;
                    Ok((k, item))
                })
                .collect(),
            Value::Null => Ok(BTreeMap::new()),
            other => Err(path.error("an object", &other)),
        }
    }
    fn absent() -> Option<Self> {
        Some(BTreeMap::new())
    }
}

/// An object being decoded member by member; generated `Decode` impls take members out of it.
pub struct Object<'p> {
    members: serde_json::Map<String, Value>,
    path: &'p Path<'p>,
}

impl<'p> Object<'p> {
    /// Opens `value` as an object.
    pub fn new(value: Value, path: &'p Path<'p>) -> Result<Self, DecodeError> {
        match value {
            Value::Object(members) => Ok(Self { members, path }),
            other => Err(path.error("an object", &other)),
        }
    }

    /// Takes member `key`: decoded when present, else `T`'s absent value, else an error.
    pub fn take<T: Decode>(&mut self, key: &str) -> Result<T, DecodeError> {
        let path = self.path.key(key);
        match self.members.remove(key) {
            Some(Value::Null) | None => T::absent().ok_or_else(|| DecodeError {
                path: path.to_string(),
                expected: "a value",
                found: "nothing".into(),
            }),
            Some(value) => T::decode(value, &path),
        }
    }

    /// The members not taken yet (an object's additional properties).
    pub fn rest<T: Decode>(self) -> Result<BTreeMap<String, T>, DecodeError> {
        let path = self.path;
        self.members
            .into_iter()
            .map(|(k, v)| {
                let item = T::decode(v, &path.key(&k))?;
                Ok((k, item))
            })
            .collect()
    }
}

/// Decodes a whole response body.
pub fn decode_response<T: Decode>(body: Value) -> Result<T, DecodeError> {
    T::decode(body, &Path::ROOT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, PartialEq)]
    struct Resp {
        request_id: String,
        data: Option<i64>,
        ok: Option<bool>,
        items: Vec<Item>,
    }
    #[derive(Debug, PartialEq)]
    struct Item {
        count: i32,
    }
    impl Decode for Item {
        fn decode(value: Value, path: &Path<'_>) -> Result<Self, DecodeError> {
            let mut o = Object::new(value, path)?;
            Ok(Self { count: o.take("Count")? })
        }
    }
    impl Decode for Resp {
        fn decode(value: Value, path: &Path<'_>) -> Result<Self, DecodeError> {
            let mut o = Object::new(value, path)?;
            Ok(Self {
                request_id: o.take("RequestId")?,
                data: o.take("Data")?,
                ok: o.take("Success")?,
                items: o.take("Items")?,
            })
        }
    }

    #[test]
    fn integers_beyond_2_pow_53_are_exact() {
        let body: Value = serde_json::from_str(r#"{"RequestId":"r","Data":123497836486123457}"#).unwrap();
        let resp: Resp = decode_response(body).unwrap();
        assert_eq!(resp.data, Some(123_497_836_486_123_457));
    }

    #[test]
    fn lenient_scalars_and_lists() {
        let resp: Resp = decode_response(json!({
            "RequestId": 42, "Data": "7", "Success": "true", "Items": {"Count": "3"}
        }))
        .unwrap();
        assert_eq!(
            resp,
            Resp { request_id: "42".into(), data: Some(7), ok: Some(true), items: vec![Item { count: 3 }] }
        );
        let resp: Resp = decode_response(json!({"RequestId": "r", "Data": "", "Success": null})).unwrap();
        assert_eq!((resp.data, resp.ok, resp.items.len()), (None, None, 0));
    }

    #[test]
    fn errors_name_the_path_not_the_value() {
        let err = decode_response::<Resp>(json!({"RequestId": "r", "Items": [{"Count": 1}, {"Count": "13800000000"}]}))
            .unwrap_err();
        assert_eq!(err.to_string(), "Items[1].Count: expected a 32-bit integer, found a string of 11 characters");
        let err = decode_response::<Resp>(json!({"Data": 1})).unwrap_err();
        assert_eq!(err.to_string(), "RequestId: expected a value, found nothing");
        let err = decode_response::<Resp>(json!([1])).unwrap_err();
        assert_eq!(err.to_string(), "(response): expected an object, found a list of 1 items");
    }
}
