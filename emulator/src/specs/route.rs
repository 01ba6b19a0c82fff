//! Which operation a request's path and method reach: an RPC operation is served at `/` by GET or POST;
//! a ROA one at a path fitting its template, by a method it lists, the template's placeholders taken
//! from the path as parameters.

use acsgen_codegen::spec::{Api, ApiStyle};

use super::{Call, Failure};

/// The path parameters of a ROA operation (its template must fit the path), or none for an RPC one
/// (served at `/` only).
pub fn route(style: ApiStyle, api: &Api, call: &Call<'_>) -> Result<Vec<(String, String)>, Failure> {
    let template = match (&api.path, style) {
        (Some(template), ApiStyle::Roa) => template.split('?').next().unwrap_or_default(),
        _ if call.path != "/" => {
            return Err((404, "InvalidAction.NotFound", format!("`{}` is served at `/`.", api.name)));
        }
        _ if call.method == "GET" || call.method == "POST" => return Ok(Vec::new()),
        _ => return Err((405, "UnsupportedHTTPMethod", format!("`{}` takes GET or POST.", api.name))),
    };
    if !api.methods.iter().any(|m| m.eq_ignore_ascii_case(call.method)) {
        let allowed = api.methods.iter().map(|m| m.to_ascii_uppercase()).collect::<Vec<_>>().join(", ");
        return Err((405, "UnsupportedHTTPMethod", format!("`{}` takes {allowed}.", api.name)));
    }
    match_path(template, call.path).ok_or_else(|| {
        let shown = crate::params::shown(call.path);
        (404, "InvalidAction.NotFound", format!("The path `{shown}` does not fit `{}` for `{}`.", template, api.name))
    })
}

/// The placeholders of `template` (`/clusters/{ClusterId}`) as found in `path`, percent-decoded; `None`
/// when the path does not fit.
pub fn match_path(template: &str, path: &str) -> Option<Vec<(String, String)>> {
    let wanted: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let given: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if wanted.len() != given.len() {
        return None;
    }
    let mut found = Vec::new();
    for (want, got) in wanted.iter().zip(&given) {
        let Some((before, rest)) = want.split_once('{') else {
            if want != got {
                return None;
            }
            continue;
        };
        let (name, after) = rest.split_once('}')?;
        let value = got.strip_prefix(before)?.strip_suffix(after)?;
        let decoded = percent_encoding::percent_decode_str(value).decode_utf8().ok()?;
        if decoded.is_empty() {
            return None;
        }
        found.push((name.to_owned(), decoded.into_owned()));
    }
    Some(found)
}
