//! Answer bodies built from an operation's response schema: the spec's example where a field has one that
//! fits its type, otherwise a value of the declared type within its `enum`, length and range, drawn from
//! a generator seeded by the emulator's seed and what is being built — so a given seed and request always
//! get the same answer, and list item `i` is the same item on whatever page it falls.

use acsgen_codegen::spec::{Additional, Bound, Kind, Schema};
use serde_json::{Map, Value};

use super::Components;

/// How deep objects nest before the generator stops adding members (self-referring schemas).
const MAX_DEPTH: usize = 8;

/// Numbers the identifiers of list item `index` — its string members named `…Id` (or `…ID`) without an
/// `enum` — so that items differ even where the spec's one example would make them all alike: the
/// example's prefix up to its first `-` (`i-` for `i-bp67acfmxazb4p****`), or the member's name, then the
/// index (`i-000042`), cut to the member's `maxLength`.
pub fn number_ids(item: &mut Value, schema: &Schema, index: usize) {
    let (Value::Object(members), Kind::Object { properties, .. }) = (item, &schema.kind) else { return };
    for (key, property) in properties {
        let is_id = key.ends_with("Id") || key.ends_with("ID");
        let Some(Value::String(text)) = members.get_mut(key).filter(|_| is_id && property.enum_values.is_empty())
        else {
            continue;
        };
        let prefix = match text.split_once('-') {
            Some((head, _)) if !head.is_empty() => format!("{head}-"),
            _ => format!("{}-", key.to_ascii_lowercase()),
        };
        let numbered = format!("{prefix}{index:06}");
        let max = property.max_length.map_or(usize::MAX, |m| m as usize);
        *text = numbered.chars().skip(numbered.chars().count().saturating_sub(max)).collect();
    }
}

/// Builds values from schemas.
pub struct Synth<'a> {
    components: &'a Components<'a>,
    rng: fastrand::Rng,
}

/// A seed for the generator from the emulator's seed and the names of what is built: FNV-1a, so the
/// same input gives the same seed with any compiler.
pub fn seed_of(seed: u64, parts: &[&str]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64 ^ seed;
    for byte in parts.iter().flat_map(|p| p.bytes().chain([0xff])) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

impl<'a> Synth<'a> {
    pub fn new(components: &'a Components<'a>, seed: u64) -> Self {
        Synth { components, rng: fastrand::Rng::with_seed(seed) }
    }

    /// A value for the member `name` of type `schema`.
    pub fn value(&mut self, name: &str, schema: &Schema, depth: usize) -> Value {
        let schema = self.components.resolve(schema);
        if let Some(example) = self.example(schema) {
            return example;
        }
        match &schema.kind {
            Kind::String | Kind::Binary | Kind::Any | Kind::Ref(_) => Value::String(self.string(name, schema)),
            Kind::Integer(format) => Value::from(self.integer(schema, *format == acsgen_codegen::spec::IntFormat::I32)),
            Kind::Number => self.number(schema),
            Kind::Boolean => Value::Bool(self.rng.bool()),
            Kind::Array(items) => {
                let n = if depth >= MAX_DEPTH { 0 } else { schema.min_items.unwrap_or(1).clamp(1, 3) as usize };
                Value::Array((0..n).map(|_| self.value(name, items, depth + 1)).collect())
            }
            Kind::Object { properties, additional } => self.object(properties, additional, depth),
        }
    }

    fn object(&mut self, properties: &[(String, Schema)], additional: &Additional, depth: usize) -> Value {
        let mut members = Map::new();
        if depth >= MAX_DEPTH {
            return Value::Object(members);
        }
        for (key, schema) in properties {
            let value = self.value(key, schema, depth + 1);
            members.insert(key.clone(), value);
        }
        if properties.is_empty()
            && let Additional::Typed(schema) = additional
        {
            let value = self.value("value", schema, depth + 1);
            members.insert("key".to_owned(), value);
        }
        Value::Object(members)
    }

    /// The spec's example, when it is a value of the schema's type (and within its `enum`).
    fn example(&self, schema: &Schema) -> Option<Value> {
        let text = schema.example.as_deref()?.trim();
        let fits_enum = |t: &str| schema.enum_values.is_empty() || schema.enum_values.iter().any(|v| v == t);
        let value = match &schema.kind {
            Kind::String => Value::String(text.to_owned()),
            Kind::Integer(_) => Value::from(text.parse::<i64>().ok()?),
            Kind::Number => serde_json::Number::from_f64(text.parse().ok()?).map(Value::Number)?,
            Kind::Boolean => Value::Bool(text.parse().ok()?),
            _ => return None,
        };
        let within = match (&value, schema.max_length) {
            (Value::String(s), Some(max)) => s.chars().count() as u64 <= max,
            _ => true,
        };
        (fits_enum(text) && within).then_some(value)
    }

    fn string(&mut self, name: &str, schema: &Schema) -> String {
        if !schema.enum_values.is_empty() {
            let i = self.rng.usize(..schema.enum_values.len());
            return schema.enum_values[i].clone();
        }
        let text = format!("{name}-{:016x}", self.rng.u64(..));
        let count = text.chars().count();
        // The end of the text (its random part) when it must be shorter; padded when it must be longer.
        let max = schema.max_length.map_or(usize::MAX, |m| m as usize);
        let mut text: String = text.chars().skip(count.saturating_sub(max)).collect();
        let min = schema.min_length.map_or(0, |m| m as usize).min(max);
        let short = min.saturating_sub(count.min(max));
        text.extend(std::iter::repeat_n('x', short));
        text
    }

    fn integer(&mut self, schema: &Schema, i32_only: bool) -> i64 {
        if let Some(value) = schema.enum_values.iter().find_map(|v| v.parse::<i64>().ok()) {
            return value;
        }
        let (floor, ceiling) =
            if i32_only { (i32::MIN.into(), i32::MAX.into()) } else { (i64::MIN.into(), i64::MAX.into()) };
        let low = match schema.minimum {
            Some(Bound::Int(n)) => Some(n + i128::from(schema.exclusive_minimum)),
            Some(Bound::Float(f)) => Some(f.ceil() as i128),
            None => None,
        };
        let high = match schema.maximum {
            Some(Bound::Int(n)) => Some(n - i128::from(schema.exclusive_maximum)),
            Some(Bound::Float(f)) => Some(f.floor() as i128),
            None => None,
        };
        // Non-negative where the bounds allow it, a thousand wide where they leave it open: [0, 1000]
        // when there are none.
        let (low, high) = match (low, high) {
            (Some(low), Some(high)) => (low, high),
            (Some(low), None) => (low, low.saturating_add(1000)),
            (None, Some(high)) if high >= 0 => (0, high),
            (None, Some(high)) => (high.saturating_sub(1000), high),
            (None, None) => (0, 1000),
        };
        let (low, high): (i128, i128) = (low.clamp(floor, ceiling), high.clamp(floor, ceiling));
        if low > high { low as i64 } else { self.rng.i64(low as i64..=high as i64) }
    }

    fn number(&mut self, schema: &Schema) -> Value {
        let bound = |b: Option<Bound>| match b {
            Some(Bound::Int(n)) => Some(n as f64),
            Some(Bound::Float(f)) => Some(f),
            None => None,
        };
        let (low, high) = match (bound(schema.minimum), bound(schema.maximum)) {
            (Some(low), Some(high)) => (low, high),
            (Some(low), None) => (low, low + 100.0),
            (None, Some(high)) if high >= 0.0 => (0.0, high),
            (None, Some(high)) => (high - 100.0, high),
            (None, None) => (0.0, 100.0),
        };
        // Two decimals, kept inside the range; an exclusive bound is never returned (the midpoint is, when
        // the range is too narrow for anything else).
        let drawn = ((low + (high - low) * self.rng.f64()) * 100.0).round() / 100.0;
        let outside = |n: f64| {
            n < low || n > high || (schema.exclusive_minimum && n == low) || (schema.exclusive_maximum && n == high)
        };
        let n = if outside(drawn) { low + (high - low) / 2.0 } else { drawn };
        serde_json::Number::from_f64(n).map_or(Value::from(0), Value::Number)
    }
}
