//! Request encoding: typed parameter values become query, form-body, header or JSON-body entries,
//! per the metadata's `in` (a [`Location`]) and `style` (a [`Style`]).

mod flatten;
mod percent;

use std::fmt;

use serde::Serialize;

pub use percent::{form_byte, form_encode_into, is_unreserved, percent_decode, percent_encode, percent_encode_into};

/// Where a parameter travels (the metadata's `in`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// `in: query`: the URL query.
    Query,
    /// `in: formData`: an `application/x-www-form-urlencoded` body.
    Form,
    /// `in: header`: an HTTP header.
    Header,
    /// `in: body`: a member of a JSON body.
    Body,
    /// `in: path`: a segment of a ROA-style path template (`/clusters/{ClusterId}`), percent-encoded when
    /// substituted.
    Path,
}

/// How a list or object is turned into string parameters (the metadata's `style`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Style {
    /// No style: scalars as text, lists and objects flattened as [`Style::RepeatList`].
    Default,
    /// The whole value as one parameter holding compact JSON.
    Json,
    /// Flattened: `Name.1`, `Name.2`, nested keys joined with `.`.
    RepeatList,
    /// Same wire form as [`Style::RepeatList`].
    Flat,
    /// List items joined with `,`.
    Simple,
    /// List items joined with a space.
    SpaceDelimited,
    /// List items joined with `|`.
    PipeDelimited,
}

/// A value could not be encoded as a parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EncodeError(String);

impl EncodeError {
    /// An encoding error with the given explanation.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    fn at(self, name: &str) -> Self {
        Self(format!("{name}: {}", self.0))
    }
}

impl serde::ser::Error for EncodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

/// The encoded parameters of one request, before signing.
#[derive(Default, Clone, PartialEq)]
pub struct Params {
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    path: Vec<(String, String)>,
    /// JSON body members, in the order they were added (the order the official SDKs write them).
    body: Option<Members>,
    whole_body: Option<WholeBody>,
}

/// JSON object members in insertion order, each value already JSON text (serialized straight from the
/// request's types, so nested objects keep their declaration order too); a name added again replaces its
/// value in place.
#[derive(Clone, PartialEq, Default)]
struct Members(Vec<(String, String)>);

impl Members {
    fn insert(&mut self, name: String, json: String) {
        match self.0.iter_mut().find(|(k, _)| *k == name) {
            Some((_, slot)) => *slot = json,
            None => self.0.push((name, json)),
        }
    }

    /// The object's compact JSON text.
    fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.0.iter().map(|(k, v)| k.len() + v.len() + 4).sum::<usize>());
        out.push(b'{');
        for (i, (name, json)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Writing a string into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut out, name);
            out.push(b':');
            out.extend_from_slice(json.as_bytes());
        }
        out.push(b'}');
        out
    }
}

/// A body given as one parameter (ROA's `body`, a V3-style file's raw upload), rather than built from
/// members.
#[derive(Clone, PartialEq)]
enum WholeBody {
    /// The body's text (a string body is its text, unquoted).
    Json(String),
    Binary(bytes::Bytes),
}

impl fmt::Debug for Params {
    // Parameter values carry user data (phone numbers among them): show names only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn names<V>(pairs: &[(String, V)]) -> Vec<String> {
            pairs.iter().map(|(k, _)| k.clone()).collect()
        }
        f.debug_struct("Params")
            .field("query", &names(&self.query))
            .field("form", &names(&self.form))
            .field("headers", &names(&self.headers))
            .field("path", &names(&self.path))
            .field("body", &self.body.as_ref().map(|b| names(&b.0)))
            .field("whole_body", &self.whole_body.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds parameter `name` with `value`, encoded per `style`, at `location`.
    pub fn push<T: Serialize + ?Sized>(
        &mut self,
        location: Location,
        name: &str,
        style: Style,
        value: &T,
    ) -> Result<(), EncodeError> {
        if location == Location::Body {
            let json = match style {
                Style::Json => json_text(value).map_err(|e| e.at(name))?.map(|text| quoted(&text)),
                _ => Some(serde_json::to_string(value).map_err(|e| EncodeError::new(e.to_string()).at(name))?),
            };
            if let Some(json) = json.filter(|j| j != "null") {
                self.body.get_or_insert_with(Default::default).insert(name.to_owned(), json);
            }
            return Ok(());
        }
        let target = match location {
            Location::Query => &mut self.query,
            Location::Form => &mut self.form,
            Location::Path => &mut self.path,
            _ => &mut self.headers,
        };
        encode_styled(name, style, value, target).map_err(|e| e.at(name))
    }

    /// Query parameters, in the order they were added.
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// Form-body parameters, in the order they were added.
    pub fn form(&self) -> &[(String, String)] {
        &self.form
    }

    /// Header parameters.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// Path parameters (name, unencoded value), for the path template.
    pub fn path(&self) -> &[(String, String)] {
        &self.path
    }

    /// Sets the whole JSON body (any top-level kind: object, array, string …); unset (`null`) sends none. A
    /// string is sent as its text, unquoted, as the official SDKs send it.
    pub fn set_json_body<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        if let Some(text) = json_text(value).map_err(|e| e.at("body"))? {
            self.whole_body = Some(WholeBody::Json(text));
        }
        Ok(())
    }

    /// Sets the whole body to raw bytes, sent as `application/octet-stream`.
    pub fn set_binary_body(&mut self, bytes: impl Into<bytes::Bytes>) {
        self.whole_body = Some(WholeBody::Binary(bytes.into()));
    }

    /// The raw bytes set by [`set_binary_body`](Self::set_binary_body).
    pub fn binary_body(&self) -> Option<&bytes::Bytes> {
        match &self.whole_body {
            Some(WholeBody::Binary(bytes)) => Some(bytes),
            _ => None,
        }
    }

    /// Adds a query parameter that is already text (the protocol's own parameters).
    pub fn push_query(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.query.push((name.into(), value.into()));
    }

    /// Adds a parameter whose wire text is already made (a JSON-style value encoded elsewhere), at a query,
    /// form or header location (a body location takes it as a JSON string).
    pub fn push_text(&mut self, location: Location, name: impl Into<String>, text: String) {
        let pair = (name.into(), text);
        match location {
            Location::Query => self.query.push(pair),
            Location::Form => self.form.push(pair),
            Location::Header => self.headers.push(pair),
            Location::Path => self.path.push(pair),
            Location::Body => {
                self.body.get_or_insert_with(Default::default).insert(pair.0, quoted(&pair.1));
            }
        }
    }

    /// The form body as the official SDKs write it: keys sorted, `application/x-www-form-urlencoded`.
    pub fn form_body(&self) -> Option<bytes::Bytes> {
        if self.form.is_empty() {
            return None;
        }
        let mut pairs: Vec<&(String, String)> = self.form.iter().collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let size = pairs.iter().map(|(k, v)| k.len() + 2 + v.len() * 3 / 2).sum();
        let mut out = Vec::with_capacity(size);
        for (i, (k, v)) in pairs.into_iter().enumerate() {
            if i > 0 {
                out.push(b'&');
            }
            form_encode_into(&mut out, k);
            out.push(b'=');
            form_encode_into(&mut out, v);
        }
        Some(out.into())
    }

    /// Whether the request has a JSON body (a whole one, or members), without writing it.
    pub fn has_json_body(&self) -> bool {
        matches!(self.whole_body, Some(WholeBody::Json(_))) || self.body.is_some()
    }

    /// The JSON body, compact: the whole body set by [`set_json_body`](Self::set_json_body), else an
    /// object of the `in: body` members.
    pub fn json_body(&self) -> Option<Vec<u8>> {
        if let Some(WholeBody::Json(text)) = &self.whole_body {
            return Some(text.clone().into_bytes());
        }
        self.body.as_ref().map(Members::to_json)
    }
}

/// A form body its caller has already encoded: `name=value` pairs joined by `&`, each name and value in
/// the `application/x-www-form-urlencoded` form the official SDKs write (RFC 3986's unreserved characters
/// as they are, space as `+`, every other byte as `%XX`: what [`form_encode_into`] writes). For values
/// built straight in their wire form, such as a long list of records, which the runtime then neither
/// copies nor encodes again. Sent with [`ServiceClient::send_with_form`](crate::ServiceClient::send_with_form).
///
/// The bytes are shared, not copied: a caller that keeps a clone of them can take its buffer back
/// (`bytes::Bytes::try_into_mut`) once the call has ended and nothing else holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct EncodedForm(bytes::Bytes);

impl EncodedForm {
    /// The body `bytes`, taken as they are: the caller answers for their encoding.
    pub fn new(bytes: impl Into<bytes::Bytes>) -> Self {
        Self(bytes.into())
    }

    /// The body.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The pairs, decoded (`+` as space, `%XX` as the byte; bytes that are not UTF-8 replaced): what a V1
    /// signature signs.
    pub fn decoded(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.0).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }

    pub(crate) fn into_bytes(self) -> bytes::Bytes {
        self.0
    }
}

impl fmt::Debug for EncodedForm {
    // The body carries user data: its size only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncodedForm(<{} bytes>)", self.0.len())
    }
}

/// Compact JSON of `value`; a plain string stays itself (no quotes), as the official SDKs send it. `None`
/// when `value` is unset (JSON `null`), which is not sent — unlike the string `"null"`.
fn json_text<T: Serialize + ?Sized>(value: &T) -> Result<Option<String>, EncodeError> {
    let text = serde_json::to_string(value).map_err(|e| EncodeError::new(e.to_string()))?;
    if text.starts_with('"') {
        return serde_json::from_str::<String>(&text).map(Some).map_err(|e| EncodeError::new(e.to_string()));
    }
    Ok((text != "null").then_some(text))
}

/// `text` as a JSON string.
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// Whether `value` is unset (`None` or unit) rather than, say, an empty list.
fn is_unset<T: Serialize + ?Sized>(value: &T) -> bool {
    serde_json::to_value(value).is_ok_and(|v| v.is_null())
}

/// Encodes one parameter into `name=value` pairs per `style`.
pub fn encode_styled<T: Serialize + ?Sized>(
    name: &str,
    style: Style,
    value: &T,
    out: &mut Vec<(String, String)>,
) -> Result<(), EncodeError> {
    match style {
        Style::Json => {
            if let Some(text) = json_text(value)? {
                out.push((name.to_owned(), text));
            }
        }
        Style::Default | Style::RepeatList | Style::Flat => flatten::flatten(name, value, out)?,
        Style::Simple | Style::SpaceDelimited | Style::PipeDelimited => {
            let separator = match style {
                Style::Simple => ",",
                Style::SpaceDelimited => " ",
                _ => "|",
            };
            let mut items = Vec::new();
            flatten::flatten("", value, &mut items)?;
            // Unset is absent; an empty list is sent, empty (`Name=`), as the official SDKs send both.
            if items.is_empty() && is_unset(value) {
                return Ok(());
            }
            // A scalar given to a joined style is sent as itself; a list is joined.
            if items.len() == 1 && items[0].0.is_empty() {
                out.push((name.to_owned(), items.swap_remove(0).1));
                return Ok(());
            }
            if items.iter().any(|(k, _)| k.contains('.')) {
                return Err(EncodeError::new("this style needs a list of scalars"));
            }
            let joined = items.into_iter().map(|(_, v)| v).collect::<Vec<_>>().join(separator);
            out.push((name.to_owned(), joined));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn styled(style: Style, value: serde_json::Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        encode_styled("instance", style, &value, &mut out).unwrap();
        out
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    // The style table of the reference: ["ok","test",2,3] with name `instance`.
    #[test]
    fn style_vectors() {
        let v = json!(["ok", "test", 2, 3]);
        assert_eq!(styled(Style::Json, v.clone()), pairs(&[("instance", r#"["ok","test",2,3]"#)]));
        let flat = pairs(&[("instance.1", "ok"), ("instance.2", "test"), ("instance.3", "2"), ("instance.4", "3")]);
        assert_eq!(styled(Style::RepeatList, v.clone()), flat);
        assert_eq!(styled(Style::Flat, v.clone()), flat);
        assert_eq!(styled(Style::Default, v.clone()), flat);
        assert_eq!(styled(Style::Simple, v.clone()), pairs(&[("instance", "ok,test,2,3")]));
        assert_eq!(styled(Style::SpaceDelimited, v.clone()), pairs(&[("instance", "ok test 2 3")]));
        assert_eq!(styled(Style::PipeDelimited, v), pairs(&[("instance", "ok|test|2|3")]));
    }

    fn flattened(value: serde_json::Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        flatten::flatten("", &value, &mut out).unwrap();
        out.sort();
        out
    }

    // The official utility tests' flattening vectors.
    #[test]
    fn flattening_vectors() {
        let v = json!({"client":"test","tag":{"key":"value"},"strs":["str1","str2"]});
        assert_eq!(
            flattened(v.clone()),
            pairs(&[("client", "test"), ("strs.1", "str1"), ("strs.2", "str2"), ("tag.key", "value")])
        );
        let mut params = Params::new();
        for (k, val) in v.as_object().unwrap() {
            params.push(Location::Form, k, Style::Default, val).unwrap();
        }
        assert_eq!(params.form_body().unwrap(), &b"client=test&strs.1=str1&strs.2=str2&tag.key=value"[..]);

        assert_eq!(
            flattened(json!({"slice":[{"map":"valid"},6], "gone": null})),
            pairs(&[("slice.1.map", "valid"), ("slice.2", "6")])
        );
        assert_eq!(
            flattened(json!({"Tag":[{"tag1":"value1","tag2":"value2"}]})),
            pairs(&[("Tag.1.tag1", "value1"), ("Tag.1.tag2", "value2")])
        );
        assert_eq!(flattened(json!({"on": true, "off": false})), pairs(&[("off", "false"), ("on", "true")]));
    }

    #[test]
    fn json_style_keeps_plain_strings_unquoted_and_drops_null() {
        assert_eq!(styled(Style::Json, json!("abc")), pairs(&[("instance", "abc")]));
        assert!(styled(Style::Json, json!(null)).is_empty());
        assert_eq!(styled(Style::Json, json!({"名": "汤姆"})), pairs(&[("instance", r#"{"名":"汤姆"}"#)]));
    }

    /// Unset is absent in every style; an empty list is absent when flattened and `Name=` when joined.
    #[test]
    fn unset_parameters_are_not_sent_and_empty_lists_are_as_the_sdks_send_them() {
        let unset: Option<Vec<String>> = None;
        let empty: Option<Vec<String>> = Some(Vec::new());
        for style in [
            Style::Default,
            Style::Json,
            Style::RepeatList,
            Style::Flat,
            Style::Simple,
            Style::SpaceDelimited,
            Style::PipeDelimited,
        ] {
            let mut out = Vec::new();
            encode_styled("Ids", style, &unset, &mut out).unwrap();
            assert!(out.is_empty(), "{style:?}: {out:?}");
        }
        let sent = |style| {
            let mut out = Vec::new();
            encode_styled("Ids", style, &empty, &mut out).unwrap();
            out
        };
        assert_eq!(sent(Style::Simple), pairs(&[("Ids", "")]));
        assert_eq!(sent(Style::PipeDelimited), pairs(&[("Ids", "")]));
        assert_eq!(sent(Style::Json), pairs(&[("Ids", "[]")]));
        assert!(sent(Style::RepeatList).is_empty());
    }

    #[test]
    fn joined_styles_reject_nested_values() {
        let mut out = Vec::new();
        let err = encode_styled("x", Style::Simple, &json!([{"a": 1}]), &mut out).unwrap_err();
        assert!(err.to_string().contains("list of scalars"), "{err}");
    }

    #[test]
    fn observed_official_form_body() {
        // aiccs reference: the official SDK's body for one callee record.
        let records = json!([{"calleeNumber":"13800000000","name":"Tom","outId":"id-1"}]);
        let mut params = Params::new();
        params.push(Location::Form, "PhoneNumberList", Style::Json, &records).unwrap();
        assert_eq!(
            String::from_utf8(params.form_body().unwrap().to_vec()).unwrap(),
            "PhoneNumberList=%5B%7B%22calleeNumber%22%3A%2213800000000%22%2C%22name%22%3A%22Tom%22%2C%22outId%22%3A%22id-1%22%7D%5D"
        );
    }

    #[test]
    fn an_encoded_form_decodes_to_the_pairs_params_encode() {
        let mut params = Params::new();
        params.push(Location::Form, "Zeta", Style::Default, "a b+c").unwrap();
        params.push(Location::Form, "List", Style::Json, &json!([{"k": "v w", "名": "%"}])).unwrap();
        let form = EncodedForm::new(params.form_body().unwrap());
        let mut sorted = params.form().to_vec();
        sorted.sort();
        assert_eq!(form.decoded(), sorted);
        assert_eq!(format!("{form:?}"), format!("EncodedForm(<{} bytes>)", form.as_bytes().len()));
    }

    #[test]
    fn body_location_builds_a_json_object() {
        let mut params = Params::new();
        params.push(Location::Body, "A", Style::Default, &json!([1, 2])).unwrap();
        params.push(Location::Body, "B", Style::Json, &json!({"k": "v"})).unwrap();
        assert_eq!(params.json_body().unwrap(), br#"{"A":[1,2],"B":"{\"k\":\"v\"}"}"#.to_vec());
    }

    /// Members go out in the order the request adds them (its spec's order), as the official SDKs write
    /// them; one added again keeps its place.
    #[test]
    fn json_body_members_keep_their_order() {
        let mut params = Params::new();
        for (name, value) in
            [("zeta", json!(1)), ("alpha", json!({"y": 1, "b": 2})), ("mid", json!("m")), ("zeta", json!(3))]
        {
            params.push(Location::Body, name, Style::Default, &value).unwrap();
        }
        assert_eq!(params.json_body().unwrap(), br#"{"zeta":3,"alpha":{"b":2,"y":1},"mid":"m"}"#.to_vec());
    }

    /// An unset parameter is left out wherever it goes; the string "null" is a value like any other.
    #[test]
    fn unset_json_parameters_are_left_out_and_the_string_null_is_sent() {
        let mut params = Params::new();
        for location in [Location::Body, Location::Query] {
            params.push(location, "Unset", Style::Json, &None::<Vec<i32>>).unwrap();
            params.push(location, "Text", Style::Json, &Some("null")).unwrap();
        }
        assert_eq!(params.json_body().unwrap(), br#"{"Text":"null"}"#.to_vec());
        assert_eq!(params.query(), [("Text".to_owned(), "null".to_owned())]);
    }
}
