//! Keeping secrets, tokens, signatures and phone numbers out of `Debug`, `Display` and logs.
//!
//! [`Secret`] holds credentials; [`Redact`] is what generated `Debug` impls call for fields the spec marks
//! (or the generator recognises) as personal or secret data.

use std::collections::BTreeMap;
use std::fmt;

/// The text every redacted value prints as.
pub const REDACTED: &str = "<redacted>";

/// A string that must never be printed: an access key secret, a security token, a signature.
///
/// `Debug` and `Display` print `<redacted>`; [`Secret::expose`] is the one way to read it, so every use is
/// easy to find.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for signing. Never log what this returns.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Formats a value for `Debug` without revealing it: presence and shape stay visible, content does not.
pub trait Redact {
    /// Writes the redacted form of `self`.
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

macro_rules! redact_scalar {
    ($($t:ty),*) => {$(
        impl Redact for $t {
            fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(REDACTED)
            }
        }
    )*};
}
redact_scalar!(String, str, i64, i32, f64, f32, bool, serde_json::Value);

impl<T: Redact> Redact for Option<T> {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            None => f.write_str("None"),
            Some(v) => {
                f.write_str("Some(")?;
                v.fmt_redacted(f)?;
                f.write_str(")")
            }
        }
    }
}

impl<T: Redact> Redact for Vec<T> {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{REDACTED}; {}]", self.len())
    }
}

/// Raw bytes (an upload) show their size only.
impl Redact for bytes::Bytes {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.len())
    }
}

/// Maps keep their keys visible (they name variables, not values) and hide every value.
impl<T: Redact> Redact for BTreeMap<String, T> {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter().map(|(k, v)| (k, Redacted(v)))).finish()
    }
}

/// Adapts a [`Redact`] value to `Debug`, for `debug_struct().field(..)`.
pub struct Redacted<'a, T: Redact + ?Sized>(pub &'a T);

impl<T: Redact + ?Sized> fmt::Debug for Redacted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_redacted(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn redacted_shows_shape_not_content() {
        let phone = Some("13800000000".to_owned());
        assert_eq!(format!("{:?}", Redacted(&phone)), "Some(<redacted>)");
        let none: Option<String> = None;
        assert_eq!(format!("{:?}", Redacted(&none)), "None");
        let list = vec!["1".to_owned(), "2".to_owned()];
        assert_eq!(format!("{:?}", Redacted(&list)), "[<redacted>; 2]");
        let mut vars = BTreeMap::new();
        vars.insert("name".to_owned(), "Tom".to_owned());
        assert_eq!(format!("{:?}", Redacted(&vars)), r#"{"name": <redacted>}"#);
        let upload = Some(bytes::Bytes::from_static(b"\x89PNG"));
        assert_eq!(format!("{:?}", Redacted(&upload)), "Some(<4 bytes>)");
    }
}
