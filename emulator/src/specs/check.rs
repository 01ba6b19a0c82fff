//! A request checked against its operation's parameters, as the service checks them: a required one
//! absent is `MissingParameter`; a value of the wrong type, outside its `enum`, too long or short, out of
//! range or not matching its pattern is `InvalidParameter`, naming the parameter (nested members by their
//! path, `Runtime.Name`) and saying what is wrong.

use acsgen_codegen::spec::{Bound, Kind, Location, Param, Schema, Style};
use serde_json::Value;

use super::Components;

/// What the request carries, by where it travels.
pub struct Sent<'a> {
    /// Query and form parameters, decoded.
    pub flat: &'a [(String, String)],
    /// The JSON body, when there is one.
    pub body: Option<&'a Value>,
    /// Path parameters, taken from the path by the operation's template.
    pub path: &'a [(String, String)],
    /// Headers, names lowercase.
    pub headers: &'a [(String, String)],
}

/// Why a request is refused: the vendor's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

fn missing(name: &str) -> Refusal {
    let message =
        format!("The input parameter \"{name}\" that is mandatory for processing this request is not supplied.");
    Refusal { code: "MissingParameter", message }
}

pub fn invalid(name: &str, why: impl std::fmt::Display) -> Refusal {
    Refusal { code: "InvalidParameter", message: format!("The specified parameter \"{name}\" is not valid: {why}.") }
}

/// Where a parameter's value was found, in the form it arrived in.
enum Found<'a> {
    Text(&'a str),
    Json(&'a Value),
    /// Flattened (`Name.1`, `Name.1.Key`): the pairs under the name.
    Flattened(Vec<(&'a str, &'a str)>),
}

/// Checks every parameter of an operation. `members` says the lone body parameter's object members are
/// the body's (a ROA or V3 operation), `whole` that the lone body parameter is the whole body.
pub fn params(params: &[Param], sent: &Sent<'_>, components: &Components<'_>, body: BodyRule) -> Result<(), Refusal> {
    for param in params {
        match (body, param.location, &param.schema.kind) {
            (BodyRule::Members, Location::Body, Kind::Object { properties, .. }) => {
                for (name, schema) in properties {
                    let found = sent.body.and_then(|b| b.get(name)).map(Found::Json);
                    one(name, schema, Style::Default, found, components)?;
                }
            }
            (BodyRule::Whole, Location::Body, Kind::Binary) => {}
            (BodyRule::Whole, Location::Body, _) => {
                one(&param.name, &param.schema, param.style, sent.body.map(Found::Json), components)?
            }
            _ => one(&param.name, &param.schema, param.style, find(param, sent), components)?,
        }
    }
    Ok(())
}

/// How an operation's body parameters travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRule {
    /// Each body parameter is a form field or JSON member of its own (RPC; several body parameters).
    Each,
    /// The lone body parameter is an object whose members are the body's.
    Members,
    /// The lone body parameter is the whole body.
    Whole,
}

fn find<'a>(param: &Param, sent: &Sent<'a>) -> Option<Found<'a>> {
    let name = param.name.as_str();
    let pair = |list: &'a [(String, String)]| list.iter().find(|(k, _)| k == name).map(|(_, v)| Found::Text(v));
    match param.location {
        Location::Path => pair(sent.path),
        Location::Header => {
            sent.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| Found::Text(v.as_str()))
        }
        _ => pair(sent.flat).or_else(|| sent.body.and_then(|b| b.get(name)).map(Found::Json)).or_else(|| {
            let prefix = format!("{name}.");
            let under: Vec<(&str, &str)> =
                sent.flat.iter().filter_map(|(k, v)| k.strip_prefix(&prefix).map(|rest| (rest, v.as_str()))).collect();
            (!under.is_empty()).then_some(Found::Flattened(under))
        }),
    }
}

/// Checks one parameter, found or not.
fn one(
    name: &str,
    schema: &Schema,
    style: Style,
    found: Option<Found<'_>>,
    components: &Components<'_>,
) -> Result<(), Refusal> {
    let schema = components.resolve(schema);
    match found {
        None | Some(Found::Json(Value::Null)) if schema.required => Err(missing(name)),
        None | Some(Found::Json(Value::Null)) => Ok(()),
        Some(Found::Json(value)) => json(name, value, schema, components),
        Some(Found::Text(text)) => text_value(name, text, schema, style, components),
        Some(Found::Flattened(pairs)) => flattened(name, &pairs, schema, components),
    }
}

/// A value sent as text: a scalar as itself; a list or object as JSON (`json` style, or a JSON body's
/// member) or joined (`simple`, `spaceDelimited`, `pipeDelimited`).
fn text_value(
    name: &str,
    text: &str,
    schema: &Schema,
    style: Style,
    components: &Components<'_>,
) -> Result<(), Refusal> {
    let separator = match style {
        Style::Simple => Some(','),
        Style::SpaceDelimited => Some(' '),
        Style::PipeDelimited => Some('|'),
        _ => None,
    };
    match (&schema.kind, separator) {
        (Kind::Array(items), Some(separator)) => {
            let items_schema = components.resolve(items);
            let parts: Vec<&str> = if text.is_empty() { Vec::new() } else { text.split(separator).collect() };
            count(name, parts.len(), schema)?;
            parts.iter().try_for_each(|part| scalar(name, part, items_schema))
        }
        (Kind::Array(_) | Kind::Object { .. } | Kind::Ref(_), _) => match serde_json::from_str::<Value>(text) {
            Ok(value) => json(name, &value, schema, components),
            Err(_) => Err(invalid(name, "it is not JSON")),
        },
        _ => scalar(name, text, schema),
    }
}

/// A flattened list or object (`Name.1`, `Name.1.Key`, `Name.Key`): its items are counted and scalar
/// items checked; members deeper down are taken as they come.
fn flattened(name: &str, pairs: &[(&str, &str)], schema: &Schema, components: &Components<'_>) -> Result<(), Refusal> {
    match &schema.kind {
        Kind::Array(items) => {
            // `Tag.1.Key`, `Tag.2.Key`, `Tag.1.Value`: an item's members need not be together.
            let indices: std::collections::BTreeSet<&str> =
                pairs.iter().map(|(k, _)| k.split('.').next().unwrap_or_default()).collect();
            if let Some(bad) = indices.iter().find(|i| !i.parse::<u32>().is_ok_and(|n| n >= 1)) {
                return Err(invalid(&format!("{name}.{bad}"), "a list's items are numbered from 1"));
            }
            count(name, indices.len(), schema)?;
            let items = components.resolve(items);
            pairs
                .iter()
                .filter(|(k, _)| !k.contains('.'))
                .try_for_each(|(k, v)| scalar(&format!("{name}.{k}"), v, items))
        }
        Kind::Object { .. } | Kind::Any | Kind::Ref(_) => Ok(()),
        _ => Err(invalid(name, "it is a single value, sent as a list")),
    }
}

/// A scalar sent as text.
fn scalar(name: &str, text: &str, schema: &Schema) -> Result<(), Refusal> {
    match &schema.kind {
        Kind::Integer(_) => {
            let n: i128 =
                text.trim().parse().map_err(|_| invalid(name, format_args!("`{}` is not an integer", cut(text))))?;
            range(name, n as f64, Bound::Int(n), schema)?;
        }
        Kind::Number => {
            let n: f64 =
                text.trim().parse().map_err(|_| invalid(name, format_args!("`{}` is not a number", cut(text))))?;
            range(name, n, Bound::Float(n), schema)?;
        }
        Kind::Boolean if text != "true" && text != "false" => {
            return Err(invalid(name, format_args!("`{}` is not true or false", cut(text))));
        }
        Kind::String => string(name, text, schema)?,
        _ => {}
    }
    one_of(name, text, schema)
}

/// A value that arrived as JSON, against its schema, members and items included.
fn json(name: &str, value: &Value, schema: &Schema, components: &Components<'_>) -> Result<(), Refusal> {
    let schema = components.resolve(schema);
    match (&schema.kind, value) {
        (Kind::String | Kind::Binary, Value::String(s)) => {
            string(name, s, schema)?;
            one_of(name, s, schema)
        }
        (Kind::Integer(_) | Kind::Number, Value::Number(_)) | (Kind::Boolean, Value::Bool(_)) => {
            scalar(name, &value.to_string(), schema)
        }
        (Kind::Array(items), Value::Array(list)) => {
            count(name, list.len(), schema)?;
            list.iter()
                .enumerate()
                .try_for_each(|(i, item)| json(&format!("{name}.{}", i + 1), item, items, components))
        }
        (Kind::Object { properties, .. }, Value::Object(members)) => properties.iter().try_for_each(|(key, schema)| {
            let inner = format!("{name}.{key}");
            match members.get(key) {
                Some(Value::Null) | None if components.resolve(schema).required => Err(missing(&inner)),
                Some(Value::Null) | None => Ok(()),
                Some(member) => json(&inner, member, schema, components),
            }
        }),
        (Kind::Any | Kind::Ref(_), _) => Ok(()),
        (kind, value) => Err(invalid(name, format_args!("expected {}, got {}", expected(kind), found(value)))),
    }
}

fn expected(kind: &Kind) -> &'static str {
    match kind {
        Kind::String | Kind::Binary => "a string",
        Kind::Integer(_) => "an integer",
        Kind::Number => "a number",
        Kind::Boolean => "true or false",
        Kind::Array(_) => "a list",
        Kind::Object { .. } => "an object",
        Kind::Ref(_) | Kind::Any => "any value",
    }
}

fn found(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn string(name: &str, text: &str, schema: &Schema) -> Result<(), Refusal> {
    let chars = text.chars().count() as u64;
    if let Some(max) = schema.max_length.filter(|max| chars > *max) {
        return Err(invalid(name, format_args!("it has {chars} characters, more than {max}")));
    }
    if let Some(min) = schema.min_length.filter(|min| chars < *min) {
        return Err(invalid(name, format_args!("it has {chars} characters, fewer than {min}")));
    }
    match schema.pattern.as_deref() {
        Some(pattern) if !matches_pattern(pattern, text) => {
            Err(invalid(name, format_args!("it does not match `{pattern}`")))
        }
        _ => Ok(()),
    }
}

fn one_of(name: &str, text: &str, schema: &Schema) -> Result<(), Refusal> {
    if schema.enum_values.is_empty() || schema.enum_values.iter().any(|v| v == text) {
        return Ok(());
    }
    Err(invalid(name, format_args!("`{}` is not one of {}", cut(text), schema.enum_values.join(", "))))
}

fn count(name: &str, n: usize, schema: &Schema) -> Result<(), Refusal> {
    if let Some(max) = schema.max_items.filter(|max| n as u64 > *max) {
        return Err(invalid(name, format_args!("it has {n} items, more than {max}")));
    }
    match schema.min_items.filter(|min| (n as u64) < *min) {
        Some(min) => Err(invalid(name, format_args!("it has {n} items, fewer than {min}"))),
        None => Ok(()),
    }
}

/// `n` (as a float, and exactly as `bound`) within the schema's `minimum` and `maximum`.
fn range(name: &str, n: f64, exact: Bound, schema: &Schema) -> Result<(), Refusal> {
    let below =
        |limit: Bound, exclusive: bool| compare(exact, n, limit).is_some_and(|o| o.is_lt() || (exclusive && o.is_eq()));
    let above =
        |limit: Bound, exclusive: bool| compare(exact, n, limit).is_some_and(|o| o.is_gt() || (exclusive && o.is_eq()));
    if let Some(min) = schema.minimum.filter(|min| below(*min, schema.exclusive_minimum)) {
        return Err(invalid(name, format_args!("it is below the minimum {}", shown(min))));
    }
    match schema.maximum.filter(|max| above(*max, schema.exclusive_maximum)) {
        Some(max) => Err(invalid(name, format_args!("it is above the maximum {}", shown(max)))),
        None => Ok(()),
    }
}

fn compare(exact: Bound, n: f64, limit: Bound) -> Option<std::cmp::Ordering> {
    match (exact, limit) {
        (Bound::Int(a), Bound::Int(b)) => Some(a.cmp(&b)),
        (_, Bound::Int(b)) => n.partial_cmp(&(b as f64)),
        (_, Bound::Float(b)) => n.partial_cmp(&b),
    }
}

fn shown(bound: Bound) -> String {
    match bound {
        Bound::Int(n) => n.to_string(),
        Bound::Float(n) => n.to_string(),
    }
}

/// At most 64 characters of a value, for a message.
fn cut(text: &str) -> String {
    crate::params::shown(text)
}

/// Whether `text` matches `pattern` (a pattern that does not compile matches everything: the reader
/// refuses invalid patterns, so none reaches here). Compiled patterns are kept, a few hundred at most:
/// compiling one costs far more than matching it.
fn matches_pattern(pattern: &str, text: &str) -> bool {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    static COMPILED: LazyLock<Mutex<HashMap<String, Option<regex_lite::Regex>>>> = LazyLock::new(Default::default);
    const KEPT: usize = 512;
    let mut compiled = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    if compiled.len() >= KEPT && !compiled.contains_key(pattern) {
        compiled.clear();
    }
    let regex = compiled.entry(pattern.to_owned()).or_insert_with(|| regex_lite::Regex::new(pattern).ok());
    regex.as_ref().is_none_or(|r| r.is_match(text))
}
