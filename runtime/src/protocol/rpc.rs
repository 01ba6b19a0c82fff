//! RPC style (and the vendor's "V3" style, which reads like it): every operation is sent to `/`, named by
//! the `x-acs-action` header (V1: the `Action` parameter); parameters travel in the query, a form body,
//! a JSON body or, for an upload, a raw body.

use crate::encode::{EncodeError, Params};

/// The path of an RPC request: always `/`. Path parameters have no place in it.
pub fn path(params: &Params) -> Result<String, EncodeError> {
    match params.path().first() {
        None => Ok("/".to_owned()),
        Some((name, _)) => Err(EncodeError::new(format!("{name}: RPC-style operations take no path parameters"))),
    }
}
