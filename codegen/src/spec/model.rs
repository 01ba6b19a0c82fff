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
    /// `info.product`, e.g. `aiccs`.
    pub product: String,
    /// `info.version`, e.g. `2019-10-15`.
    pub version: String,
    /// `info.style`.
    pub style: ApiStyle,
    /// `endpoints`: (region ID, host name), host names trimmed.
    pub endpoints: Vec<(String, String)>,
    /// The operations read (all, or those asked for).
    pub apis: Vec<Api>,
    /// `components.schemas`, by name, in file order.
    pub components: Vec<(String, Schema)>,
}

/// One operation (`apis.<Action>`).
#[derive(Debug)]
pub struct Api {
    /// The action name (its key under `apis`).
    pub name: String,
    /// `title`, `summary`, `description`.
    pub docs: Docs,
    /// `get`, `post`, `put`, `delete` or `patch`, as listed (other methods are left out).
    pub methods: Vec<String>,
    /// The path template of a ROA operation (`/clusters/{ClusterId}`); `None` sends to `/`.
    pub path: Option<String>,
    /// `deprecated`.
    pub deprecated: bool,
    /// `operationType` (`read`, `write`, `readAndWrite`), when given.
    pub operation_type: Option<String>,
    /// `systemTags.operationType` says the operation creates, updates or deletes something (vendor
    /// files mark some of these `operationType: read` all the same).
    pub changes: bool,
    /// Sent without credentials: the file's `security` names schemes, none of them `AK` (STS's
    /// AssumeRoleWithOIDC, whose OIDC token is the proof, or AssumeRoleWithSAML).
    pub anonymous: bool,
    /// `parameters`, a repeated name (same location) read once.
    pub params: Vec<Param>,
    /// The schema of the 200 answer, when the file has one.
    pub response: Option<Schema>,
    /// `errorCodes`, flattened.
    pub error_codes: Vec<ErrorCode>,
}

/// Documentation text, as written.
#[derive(Debug, Default, Clone)]
pub struct Docs {
    /// `title`, trimmed.
    pub title: Option<String>,
    /// `summary`, trimmed.
    pub summary: Option<String>,
    /// `description`, trimmed.
    pub description: Option<String>,
}

/// An entry of `errorCodes`.
#[derive(Debug, Clone)]
pub struct ErrorCode {
    /// The HTTP status it comes with.
    pub status: String,
    /// `errorCode`.
    pub code: String,
    /// `errorMessage`.
    pub message: String,
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// `in: query` (and `in: host`, sent the same way).
    Query,
    /// `in: formData`.
    Form,
    /// `in: body`: a member of the JSON body, or — the single body parameter of a ROA or V3 operation —
    /// the whole body.
    Body,
    /// `in: header`.
    Header,
    /// `in: path`: a placeholder of the ROA path template.
    Path,
}

/// How a complex parameter is flattened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// No `style`.
    Default,
    /// `json`: one compact JSON value.
    Json,
    /// `repeatList`: `Name.1`, `Name.2`, ….
    RepeatList,
    /// `flat`: as `repeatList`.
    Flat,
    /// `simple`: joined with commas.
    Simple,
    /// `spaceDelimited`.
    SpaceDelimited,
    /// `pipeDelimited`.
    PipeDelimited,
}

/// A parameter of an operation.
#[derive(Debug)]
pub struct Param {
    /// The wire name.
    pub name: String,
    /// `in`.
    pub location: Location,
    /// `style`.
    pub style: Style,
    /// `schema`.
    pub schema: Schema,
}

/// An integer format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntFormat {
    /// `int32`.
    I32,
    /// `int64`, or no format.
    I64,
}

/// A numeric bound: exact for integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// An integer, exact.
    Int(i128),
    /// A fractional number.
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
    /// `string`.
    String,
    /// `integer`, by format.
    Integer(IntFormat),
    /// `number`.
    Number,
    /// `boolean`.
    Boolean,
    /// `array` of its `items` (any JSON value without `items`).
    Array(Box<Schema>),
    /// `object`.
    Object {
        /// `properties`, in file order.
        properties: Vec<(String, Schema)>,
        /// `additionalProperties`.
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
    /// Where the schema is in the file (a JSON pointer).
    pub pointer: String,
    /// Its shape.
    pub kind: Kind,
    /// `title`, `description`.
    pub docs: Docs,
    /// `required: true`.
    pub required: bool,
    /// `deprecated: true`.
    pub deprecated: bool,
    /// `example`, as text.
    pub example: Option<String>,
    /// `enum`, as text, in file order.
    pub enum_values: Vec<String>,
    /// `enumValueTitles`: (value, title).
    pub enum_titles: Vec<(String, String)>,
    /// `maxLength`, when it can be meant.
    pub max_length: Option<u64>,
    /// `minLength`, when it can be meant.
    pub min_length: Option<u64>,
    /// `maxItems`, when it can be meant.
    pub max_items: Option<u64>,
    /// `minItems`, when it can be meant.
    pub min_items: Option<u64>,
    /// `maximum`, when it can be meant.
    pub maximum: Option<Bound>,
    /// `minimum`, when it can be meant.
    pub minimum: Option<Bound>,
    /// `exclusiveMaximum: true`.
    pub exclusive_maximum: bool,
    /// `exclusiveMinimum: true`.
    pub exclusive_minimum: bool,
    /// `pattern`, a valid regular expression.
    pub pattern: Option<String>,
    /// `x-acsgen-sensitive`: overrides the generator's guess about personal or secret data.
    pub sensitive: Option<bool>,
}

impl Schema {
    /// A schema of `kind` at `pointer`, with no constraints or documentation.
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
