//! Request validation from the spec's constraints (`maxLength`, `maxItems`, `maximum`, `pattern`, `enum`, …),
//! run before any I/O. Every problem is collected with its full path, e.g.
//! `PhoneNumberList[3].outId: 130 characters, at most 128`.

use std::fmt;
use std::sync::OnceLock;

/// One broken constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where: wire names, `.` between levels, `[i]` for list items (0-based).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

/// Every problem found in one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    /// The individual problems.
    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// Checks a value against its spec constraints. Generated for every request type.
pub trait Validate {
    /// Records every broken constraint in `v`.
    fn validate(&self, v: &mut Validator);
}

impl<T: Validate> Validate for Option<T> {
    fn validate(&self, v: &mut Validator) {
        if let Some(inner) = self {
            inner.validate(v);
        }
    }
}

impl<T: Validate + ?Sized> Validate for Box<T> {
    fn validate(&self, v: &mut Validator) {
        (**self).validate(v);
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn validate(&self, v: &mut Validator) {
        for (i, item) in self.iter().enumerate() {
            v.index(i, |v| item.validate(v));
        }
    }
}

impl<T: Validate> Validate for std::collections::BTreeMap<String, T> {
    fn validate(&self, v: &mut Validator) {
        for (k, item) in self {
            v.field(k, |v| item.validate(v));
        }
    }
}

macro_rules! nothing_to_validate {
    ($($t:ty),*) => {$( impl Validate for $t { fn validate(&self, _: &mut Validator) {} } )*};
}
nothing_to_validate!(String, i64, i32, f64, f32, bool, serde_json::Value);

/// Collects problems while walking a value; tracks the current path.
#[derive(Debug, Default)]
pub struct Validator {
    path: String,
    errors: Vec<FieldError>,
}

impl Validator {
    /// An empty validator at the root.
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates `value` completely.
    pub fn check<T: Validate + ?Sized>(value: &T) -> Result<(), ValidationErrors> {
        let mut v = Self::new();
        value.validate(&mut v);
        v.finish()
    }

    /// `Ok` when nothing was recorded.
    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() { Ok(()) } else { Err(ValidationErrors(self.errors)) }
    }

    /// Runs `f` with the path extended by `.name`.
    pub fn field(&mut self, name: &str, f: impl FnOnce(&mut Self)) {
        let len = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(name);
        f(self);
        self.path.truncate(len);
    }

    /// Runs `f` with the path extended by `[index]`.
    pub fn index(&mut self, index: usize, f: impl FnOnce(&mut Self)) {
        use std::fmt::Write as _;
        let len = self.path.len();
        let _ = write!(self.path, "[{index}]");
        f(self);
        self.path.truncate(len);
    }

    /// Records a problem at the current path.
    pub fn error(&mut self, message: impl fmt::Display) {
        self.errors.push(FieldError { path: self.path.clone(), message: message.to_string() });
    }

    /// At most `max` characters.
    pub fn max_length(&mut self, value: &str, max: usize) {
        // Counting characters only matters when the byte length could exceed the limit.
        if value.len() > max {
            let n = value.chars().count();
            if n > max {
                self.error(format_args!("{n} characters, at most {max}"));
            }
        }
    }

    /// At least `min` characters.
    pub fn min_length(&mut self, value: &str, min: usize) {
        let n = value.chars().count();
        if n < min {
            self.error(format_args!("{n} characters, at least {min}"));
        }
    }

    /// At most `max` items.
    pub fn max_items(&mut self, len: usize, max: usize) {
        if len > max {
            self.error(format_args!("{len} items, at most {max}"));
        }
    }

    /// At least `min` items.
    pub fn min_items(&mut self, len: usize, min: usize) {
        if len < min {
            self.error(format_args!("{len} items, at least {min}"));
        }
    }

    /// At most `max` (below it, when `exclusive`).
    pub fn maximum<T: PartialOrd + fmt::Display>(&mut self, value: T, max: T, exclusive: bool) {
        if exclusive && value >= max {
            self.error(format_args!("{value} must be below {max}"));
        } else if value > max {
            self.error(format_args!("{value} is above the maximum {max}"));
        }
    }

    /// At least `min` (above it, when `exclusive`).
    pub fn minimum<T: PartialOrd + fmt::Display>(&mut self, value: T, min: T, exclusive: bool) {
        if exclusive && value <= min {
            self.error(format_args!("{value} must be above {min}"));
        } else if value < min {
            self.error(format_args!("{value} is below the minimum {min}"));
        }
    }

    /// Matches `pattern`. The value is not repeated in the message: it may be personal data.
    pub fn pattern(&mut self, value: &str, pattern: &Pattern) {
        match pattern.regex() {
            Some(re) if re.is_match(value) => {}
            Some(_) => self.error(format_args!("does not match the pattern `{}`", pattern.source)),
            None => {
                self.error(format_args!("the spec's pattern `{}` is not a valid regular expression", pattern.source))
            }
        }
    }

    /// No additional member may reuse a declared field's wire name: it would be sent twice.
    pub fn extra_keys<'k>(&mut self, keys: impl Iterator<Item = &'k String>, declared: &[&str]) {
        for key in keys {
            if declared.contains(&key.as_str()) {
                self.field(key, |v| {
                    v.error("is a declared field: set it through its own field, not as an additional member")
                });
            }
        }
    }

    /// One of `allowed` (the spec's `enum`).
    pub fn one_of(&mut self, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.error(format_args!("`{value}` is not one of {}", allowed.join(", ")));
        }
    }
}

/// A `pattern` from the spec, compiled on first use.
#[derive(Debug)]
pub struct Pattern {
    source: &'static str,
    compiled: OnceLock<Option<regex_lite::Regex>>,
}

impl Pattern {
    /// A pattern for `source`; generated code keeps one in a `static`.
    pub const fn new(source: &'static str) -> Self {
        Self { source, compiled: OnceLock::new() }
    }

    /// The pattern text.
    pub fn source(&self) -> &'static str {
        self.source
    }

    fn regex(&self) -> Option<&regex_lite::Regex> {
        self.compiled.get_or_init(|| regex_lite::Regex::new(self.source).ok()).as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Record {
        out_id: Option<String>,
        number: String,
    }
    impl Validate for Record {
        fn validate(&self, v: &mut Validator) {
            v.field("calleeNumber", |v| v.min_length(&self.number, 1));
            if let Some(x) = &self.out_id {
                v.field("outId", |v| v.max_length(x, 128));
            }
        }
    }

    #[test]
    fn paths_and_messages() {
        let records = vec![
            Record { out_id: Some("a".into()), number: "1".into() },
            Record { out_id: Some("é".repeat(130)), number: String::new() },
        ];
        let mut v = Validator::new();
        v.field("PhoneNumberList", |v| {
            v.max_items(records.len(), 1);
            records.validate(v);
        });
        let err = v.finish().unwrap_err();
        assert_eq!(
            err.to_string(),
            "PhoneNumberList: 2 items, at most 1; PhoneNumberList[1].calleeNumber: 0 characters, at least 1; \
             PhoneNumberList[1].outId: 130 characters, at most 128"
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let mut v = Validator::new();
        v.max_length(&"中".repeat(128), 128);
        assert!(v.finish().is_ok());
    }

    #[test]
    fn bounds_patterns_and_enums() {
        static DIGITS: Pattern = Pattern::new(r"^\d+$");
        let mut v = Validator::new();
        v.field("A", |v| v.maximum(5i64, 5, true));
        v.field("B", |v| v.minimum(0.5f64, 1.0, false));
        v.field("C", |v| v.pattern("12a", &DIGITS));
        v.field("D", |v| v.pattern("123", &DIGITS));
        v.field("E", |v| v.one_of("XML", &["EXCEL", "JSON"]));
        let err = v.finish().unwrap_err();
        assert_eq!(
            err.to_string(),
            "A: 5 must be below 5; B: 0.5 is below the minimum 1; C: does not match the pattern `^\\d+$`; \
             E: `XML` is not one of EXCEL, JSON"
        );
    }
}
