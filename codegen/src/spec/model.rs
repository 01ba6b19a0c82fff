//! The checked model of a metadata file: every value the generator uses, typed, with the JSON pointer it
//! came from. Documentation fields are kept as text; everything else is validated by the reader.

/// The API style a file declares (`info.style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiStyle {
    /// `RPC`: every operation at `/`, named by its action.
    Rpc,
    /// `ROA`: a resource path per operation, with path parameters.
    Roa,
    /// `V3`: reads like RPC; an operation may carry a raw body.
    V3,
}

/// A product version's metadata.
#[derive(Debug)]
pub struct Spec {
    pub product: String,
    pub version: String,
    pub style: ApiStyle,
    pub endpoints: Vec<(String, String)>,
    pub apis: Vec<Api>,
    pub components: Vec<(String, Schema)>,
}

/// One operation (`apis.<Action>`).
#[derive(Debug)]
pub struct Api {
    pub name: String,
    pub docs: Docs,
    /// `get`, `post`, `put`, `delete` or `patch`, as listed (other methods are left out).
    pub methods: Vec<String>,
    /// The path template of a ROA operation (`/clusters/{ClusterId}`); `None` sends to `/`.
    pub path: Option<String>,
    pub deprecated: bool,
    pub operation_type: Option<String>,
    /// `systemTags.operationType` says the operation creates, updates or deletes something (vendor
    /// files mark some of these `operationType: read` all the same).
    pub changes: bool,
    /// Sent without credentials: the file's `security` names schemes, none of them `AK` (STS's
    /// AssumeRoleWithOIDC, whose OIDC token is the proof, or AssumeRoleWithSAML).
    pub anonymous: bool,
    pub params: Vec<Param>,
    /// The schema of the 200 answer, when the file has one.
    pub response: Option<Schema>,
    pub error_codes: Vec<ErrorCode>,
}

/// Documentation text, as written.
#[derive(Debug, Default, Clone)]
pub struct Docs {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
}

/// An entry of `errorCodes`.
#[derive(Debug, Clone)]
pub struct ErrorCode {
    pub status: String,
    pub code: String,
    pub message: String,
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Query,
    Form,
    /// `in: body`: a member of the JSON body, or — the single body parameter of a ROA or V3 operation —
    /// the whole body.
    Body,
    Header,
    /// `in: path`: a placeholder of the ROA path template.
    Path,
}

/// How a complex parameter is flattened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Default,
    Json,
    RepeatList,
    Flat,
    Simple,
    SpaceDelimited,
    PipeDelimited,
}

/// A parameter of an operation.
#[derive(Debug)]
pub struct Param {
    pub name: String,
    pub location: Location,
    pub style: Style,
    pub schema: Schema,
}

/// An integer format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntFormat {
    I32,
    I64,
}

/// A numeric bound: exact for integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    Int(i128),
    Float(f64),
}

/// What an object allows beyond its declared properties.
#[derive(Debug)]
pub enum Additional {
    /// Nothing said: a closed struct when there are properties, a free-form map when there are none.
    Unspecified,
    /// `additionalProperties: false`.
    Forbidden,
    /// `additionalProperties: true`: members of any type.
    Any,
    /// `additionalProperties: {schema}`: members of that type.
    Typed(Box<Schema>),
}

/// The shape of a schema.
#[derive(Debug)]
pub enum Kind {
    String,
    Integer(IntFormat),
    Number,
    Boolean,
    Array(Box<Schema>),
    Object {
        properties: Vec<(String, Schema)>,
        additional: Additional,
    },
    /// `$ref` to `#/components/schemas/<name>`.
    Ref(String),
    /// `type: string, format: binary` as a body parameter: raw bytes (an upload).
    Binary,
    /// No usable type information: any JSON value.
    Any,
}

/// A schema with its constraints.
#[derive(Debug)]
pub struct Schema {
    pub pointer: String,
    pub kind: Kind,
    pub docs: Docs,
    pub required: bool,
    pub deprecated: bool,
    pub example: Option<String>,
    pub enum_values: Vec<String>,
    pub enum_titles: Vec<(String, String)>,
    pub max_length: Option<u64>,
    pub min_length: Option<u64>,
    pub max_items: Option<u64>,
    pub min_items: Option<u64>,
    pub maximum: Option<Bound>,
    pub minimum: Option<Bound>,
    pub exclusive_maximum: bool,
    pub exclusive_minimum: bool,
    pub pattern: Option<String>,
    /// `x-acsgen-sensitive`: overrides the generator's guess about personal or secret data.
    pub sensitive: Option<bool>,
}

impl Schema {
    pub fn new(pointer: String, kind: Kind) -> Self {
        Schema {
            pointer,
            kind,
            docs: Docs::default(),
            required: false,
            deprecated: false,
            example: None,
            enum_values: Vec::new(),
            enum_titles: Vec::new(),
            max_length: None,
            min_length: None,
            max_items: None,
            min_items: None,
            maximum: None,
            minimum: None,
            exclusive_maximum: false,
            exclusive_minimum: false,
            pattern: None,
            sensitive: None,
        }
    }
}
