//! ROA style: each operation has a resource path (`/clusters/{ClusterId}/nodepools`) whose `{Name}`
//! placeholders take the path parameters, each percent-encoded as one segment (a `/` in a value becomes
//! `%2F`). The rest is as in RPC: query, headers, and a JSON, form or raw body.

use crate::encode::{EncodeError, Params, percent_encode_into};

/// `template` with every `{Name}` replaced by the encoded value of path parameter `Name`.
pub fn path(template: &str, params: &Params) -> Result<String, EncodeError> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .map(|i| open + i)
            .ok_or_else(|| EncodeError::new(format!("path template `{template}` has an unclosed `{{`")))?;
        let name = &rest[open + 1..close];
        let value =
            params.path().iter().find(|(k, _)| k == name).map(|(_, v)| v).ok_or_else(|| {
                EncodeError::new(format!("{name}: the path parameter has no value (path `{template}`)"))
            })?;
        if value.is_empty() {
            return Err(EncodeError::new(format!("{name}: a path parameter cannot be empty (path `{template}`)")));
        }
        // HTTP stacks resolve `.` and `..` segments (encoded or not): the request would go elsewhere.
        if value == "." || value == ".." {
            return Err(EncodeError::new(format!("{name}: a path parameter cannot be `{value}` (path `{template}`)")));
        }
        percent_encode_into(&mut out, value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{Location, Style};

    fn params(pairs: &[(&str, &str)]) -> Params {
        let mut params = Params::new();
        for (name, value) in pairs {
            params.push(Location::Path, name, Style::Default, value).unwrap();
        }
        params
    }

    #[test]
    fn placeholders_take_encoded_values() {
        let p = params(&[("ClusterId", "c 1/é"), ("NodepoolId", "np~1")]);
        assert_eq!(
            path("/clusters/{ClusterId}/nodepools/{NodepoolId}", &p).unwrap(),
            "/clusters/c%201%2F%C3%A9/nodepools/np~1"
        );
        assert_eq!(path("/api/v1/clusters", &p).unwrap(), "/api/v1/clusters");
    }

    #[test]
    fn a_missing_or_empty_value_and_a_broken_template_are_errors() {
        let err = path("/clusters/{ClusterId}", &params(&[])).unwrap_err();
        assert!(err.to_string().contains("ClusterId"), "{err}");
        let err = path("/clusters/{ClusterId}", &params(&[("ClusterId", "")])).unwrap_err();
        assert!(err.to_string().contains("cannot be empty"), "{err}");
        let err = path("/clusters/{ClusterId", &params(&[("ClusterId", "x")])).unwrap_err();
        assert!(err.to_string().contains("unclosed"), "{err}");
        for dots in [".", ".."] {
            let err = path("/clusters/{ClusterId}", &params(&[("ClusterId", dots)])).unwrap_err();
            assert!(err.to_string().contains("cannot be"), "{err}");
        }
        assert_eq!(path("/c/{Id}", &params(&[("Id", "...")])).unwrap(), "/c/...");
    }
}
