//! Protocols: how an operation and its encoded parameters become one HTTP request, before signing.
//!
//! Each API style has a module ([`rpc`], [`roa`]) that turns an operation into an [`HttpRequest`]: method,
//! encoded path, query, headers and a [`Body`]. Signers ([`crate::sign`]) read that description and say
//! what to add; the pipeline ([`crate::ServiceClient`]) never looks inside a style.

pub mod roa;
pub mod rpc;

use bytes::Bytes;

use crate::client::{Method, OperationMeta};
use crate::encode::{EncodeError, EncodedForm, Params};

/// The API style of an operation, as its product's metadata declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// RPC style (and the vendor's "V3" style): every operation at `/`, named by its action.
    Rpc,
    /// ROA style: a resource path per operation, with `{Name}` placeholders for path parameters.
    Roa {
        /// The path template, e.g. `/clusters/{ClusterId}/nodepools`.
        path: &'static str,
    },
}

/// A request body, by kind: each kind has its content type.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// `application/x-www-form-urlencoded` pairs.
    Form(Bytes),
    /// Compact JSON, `application/json; charset=utf-8`.
    Json(Bytes),
    /// Raw bytes (an image to recognise, a file), `application/octet-stream`.
    Binary(Bytes),
}

/// The `content-type` of a form body.
pub const FORM: &str = "application/x-www-form-urlencoded";
/// The `content-type` of a JSON body.
pub const JSON: &str = "application/json; charset=utf-8";
/// The `content-type` of a raw body.
pub const OCTET_STREAM: &str = "application/octet-stream";

impl Body {
    /// The body `params` make: their form parameters, their raw bytes or their JSON body — at most one of
    /// them — or nothing.
    pub fn of(params: &Params) -> Result<Self, EncodeError> {
        let json = params.json_body();
        let kinds = [params.form_body().map(Body::Form), params.binary_body().cloned().map(Body::Binary)];
        let mut found = kinds.into_iter().flatten().chain(json.map(|j| Body::Json(j.into())));
        let body = found.next().unwrap_or_default();
        if found.next().is_some() {
            return Err(EncodeError::new("a request carries one body: form parameters, raw bytes or JSON, not two"));
        }
        Ok(body)
    }

    /// `form` as the body of a request whose `params` must then have no body of their own.
    pub fn form(params: &Params, form: EncodedForm) -> Result<Self, EncodeError> {
        let mut own: Vec<&str> = params.form().iter().map(|(name, _)| name.as_str()).collect();
        own.extend(params.has_json_body().then_some("(the JSON body)"));
        own.extend(params.binary_body().is_some().then_some("(the raw body)"));
        if !own.is_empty() {
            return Err(EncodeError::new(format!(
                "the form body was given already encoded, and the request sets its own body too ({}): leave those unset",
                own.join(", ")
            )));
        }
        Ok(Body::Form(form.into_bytes()))
    }

    /// The bytes to send.
    pub fn bytes(&self) -> Bytes {
        match self {
            Body::Empty => Bytes::new(),
            Body::Form(b) | Body::Json(b) | Body::Binary(b) => b.clone(),
        }
    }

    /// The `content-type` header, if the body has one.
    pub fn content_type(&self) -> Option<&'static str> {
        match self {
            Body::Empty => None,
            Body::Form(_) => Some(FORM),
            Body::Json(_) => Some(JSON),
            Body::Binary(_) => Some(OCTET_STREAM),
        }
    }

    /// A form body's pairs, decoded (none for another body): what a V1 signature signs.
    pub fn form_pairs(&self) -> Vec<(String, String)> {
        match self {
            Body::Form(bytes) => EncodedForm::new(bytes.clone()).decoded(),
            _ => Vec::new(),
        }
    }
}

/// One HTTP request as a protocol describes it, before signing. Query values are decoded text.
#[derive(Clone)]
pub struct HttpRequest {
    /// The operation's action name (sent as `x-acs-action`, and as `Action` by V1).
    pub action: &'static str,
    /// The API version (`x-acs-version`, V1's `Version`).
    pub version: &'static str,
    /// The style that described the request.
    pub protocol: Protocol,
    /// The HTTP method.
    pub method: Method,
    /// The path, percent-encoded: what goes on the request line and into the V3 canonical URI.
    pub path: String,
    /// Query parameters (name, decoded value).
    pub query: Vec<(String, String)>,
    /// Headers: `host`, `x-acs-action`, `x-acs-version`, the body's `content-type` and the operation's
    /// header parameters.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

impl std::fmt::Debug for Body {
    // Bodies carry user data (phone numbers among them): the kind and size only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Body::Empty => "Empty",
            Body::Form(_) => "Form",
            Body::Json(_) => "Json",
            Body::Binary(_) => "Binary",
        };
        write!(f, "{kind}(<{} bytes>)", self.bytes().len())
    }
}

impl std::fmt::Debug for HttpRequest {
    // Parameter values, path parameters among them, carry user data: names and sizes only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |pairs: &[(String, String)]| pairs.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        f.debug_struct("HttpRequest")
            .field("action", &self.action)
            .field("method", &self.method)
            .field("path", &format_args!("<{} bytes>", self.path.len()))
            .field("query", &names(&self.query))
            .field("headers", &names(&self.headers))
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

/// Describes `meta`'s request of product version `version`, sent to `authority`, with `params` and `body`.
pub fn describe(
    meta: &OperationMeta,
    version: &'static str,
    authority: &str,
    params: &Params,
    body: Body,
) -> Result<HttpRequest, EncodeError> {
    let path = match meta.protocol {
        Protocol::Rpc => rpc::path(params)?,
        Protocol::Roa { path } => roa::path(path, params)?,
    };
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), authority.to_owned()),
        ("x-acs-action".into(), meta.action.to_owned()),
        ("x-acs-version".into(), version.to_owned()),
    ];
    if let Some(content_type) = body.content_type() {
        headers.push(("content-type".into(), content_type.to_owned()));
    }
    headers.extend(params.headers().iter().cloned());
    Ok(HttpRequest {
        action: meta.action,
        version,
        protocol: meta.protocol,
        method: meta.method,
        path,
        query: params.query().to_vec(),
        headers,
        body,
    })
}
