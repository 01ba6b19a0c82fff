//! Checked model → IR: every generated item named (collisions settled in declaration order), every type
//! resolved, every constraint attached to the field it checks, and every type's role known (request side,
//! response side), so the emitter only writes.
//!
//! Where items live: the client, each operation's `…Request` and `…Response`, and the spec's named
//! components at the module's top; the types an operation declares inline in a module named after the
//! operation (`import_task_number_datas::DataType`), so a name only has to be unique within its operation
//! and a spec update to one operation never renames another's types.

pub mod docs;
pub mod names;
pub mod paging;

use std::collections::HashMap;

use crate::spec::{Additional, Api, ApiStyle, Bound, IntFormat, Kind, Location, Schema, Spec, Style};
use names::{Scope, claim_order, pascal, snake, variant};

/// Names the top of a generated module reserves, and names a prelude item would lose to.
const RESERVED_TYPES: &[&str] = &[
    "Client",
    "OPERATIONS",
    "SERVICE",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "Self",
    "Default",
    "Clone",
    "Debug",
    "PartialEq",
    "Send",
    "Sync",
    "Sized",
    "Copy",
    "Drop",
    "Fn",
    "Iterator",
    "ToString",
    "Into",
    "From",
    "AsRef",
    "Call",
    "BTreeMap",
    "Value",
];

/// Methods of a generated `Client` besides the operations.
const CLIENT_METHODS: &[&str] = &["new", "from_service_client", "service_client", "send", "config"];
/// Methods of a fluent call besides the setters.
const CALL_METHODS: &[&str] = &["send", "request", "into_request", "new", "pages", "items"];

#[derive(Debug)]
pub struct Ir {
    pub product: String,
    pub version: String,
    pub central: bool,
    pub endpoints: Vec<(String, String)>,
    pub types: Vec<TypeDef>,
    pub ops: Vec<Op>,
}

/// Where a type is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    Top,
    Op(usize),
}

#[derive(Debug)]
pub struct TypeDef {
    pub name: String,
    pub home: Home,
    /// Declared in `components` (only these can be reached again through `$ref`).
    pub component: bool,
    pub docs: Vec<String>,
    pub deprecated: bool,
    /// Sent in requests: needs `Serialize`, `Validate`, a constructor and setters.
    pub request: bool,
    /// Read from responses: needs `Decode`.
    pub response: bool,
    pub body: Body,
}

#[derive(Debug)]
pub enum Body {
    Struct { fields: Vec<Field>, extra: Option<Box<Extra>> },
    Enum { variants: Vec<Variant> },
}

#[derive(Debug)]
pub struct Variant {
    pub rust: String,
    pub wire: String,
    pub doc: Option<String>,
}

#[derive(Debug)]
pub struct Field {
    pub wire: String,
    pub rust: String,
    /// The setter's name (on the fluent call for request parameters, on the type for nested objects).
    pub setter: String,
    pub ty: Ty,
    pub required: bool,
    /// Wrapped in `Option` (settled once roles are known).
    pub optional: bool,
    /// Wrapped in `Box` (the field leads back to its own type).
    pub boxed: bool,
    pub docs: Vec<String>,
    pub checks: Checks,
    pub sensitive: bool,
    pub deprecated: bool,
    /// Where and how the field travels, for request parameters.
    pub param: Option<Travel>,
}

/// How a request field travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Travel {
    /// As a parameter at a location, in a style (a JSON body member at [`Location::Body`]).
    Param(Location, Style),
    /// As the whole JSON body (a ROA operation's array, string or free-form body).
    JsonBody,
    /// As the whole raw body (an upload).
    BinaryBody,
}

/// The additional-properties map of an object.
#[derive(Debug)]
pub struct Extra {
    pub rust: String,
    pub value: Ty,
    pub checks: Checks,
    pub sensitive: bool,
}

#[derive(Debug, Default, Clone)]
pub struct Checks {
    pub max_length: Option<u64>,
    pub min_length: Option<u64>,
    pub max_items: Option<u64>,
    pub min_items: Option<u64>,
    pub maximum: Option<(Bound, bool)>,
    pub minimum: Option<(Bound, bool)>,
    pub pattern: Option<String>,
    /// Allowed values of a non-string `enum`, as text.
    pub one_of: Vec<String>,
    /// Checks on each item of a list or value of a map.
    pub items: Option<Box<Checks>>,
}

impl Checks {
    pub fn is_empty(&self) -> bool {
        self.max_length.is_none()
            && self.min_length.is_none()
            && self.max_items.is_none()
            && self.min_items.is_none()
            && self.maximum.is_none()
            && self.minimum.is_none()
            && self.pattern.is_none()
            && self.one_of.is_empty()
            && self.items.as_ref().is_none_or(|c| c.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    String,
    I32,
    I64,
    F64,
    Bool,
    Json,
    /// Raw bytes: the body of an upload.
    Bytes,
    Vec(Box<Ty>),
    Map(Box<Ty>),
    Named(usize),
}

#[derive(Debug)]
pub struct Op {
    pub action: String,
    /// The client method and the operation's module.
    pub ident: String,
    pub docs: Vec<String>,
    pub method: &'static str,
    /// The path template of a ROA operation.
    pub path: Option<String>,
    pub idempotent: bool,
    /// Sent without credentials or a signature.
    pub anonymous: bool,
    pub deprecated: bool,
    pub request: usize,
    /// `…Response`: the struct generated for it, or an alias to this type.
    pub response_name: String,
    pub response: Ty,
    /// How the operation pages its results, when it does ([`paging::recognise`]).
    pub paged: Option<paging::Paged>,
}

/// Generator settings from the attribute.
#[derive(Debug, Default)]
pub struct Options {
    /// Operations to mark idempotent besides the read-only ones.
    pub idempotent: Vec<String>,
    /// Overrides the endpoint rule inferred from the endpoint list.
    pub central: Option<bool>,
}

struct Builder<'s> {
    spec: &'s Spec,
    /// Wire name → (snake_case name, looks sensitive): the same names recur across hundreds of operations.
    wire_names: HashMap<String, (String, bool)>,
    types: Vec<TypeDef>,
    scopes: Vec<Scope>,
    top: Scope,
    components: HashMap<String, Component>,
}

enum Component {
    /// Being built; a struct or enum has its slot already.
    Building(Option<usize>),
    Done(Ty),
}

/// Where a schema sits, for naming the types it declares. The name is only worked out when a type is
/// actually declared (most fields are scalars).
struct Ctx<'a> {
    home: Home,
    /// The wire name (or fixed word) the type is named after.
    base: &'a str,
    /// Lists crossed on the way (each strips a `List` suffix: `PhoneNumberList` items are `PhoneNumber`).
    items: u8,
    /// Maps crossed on the way (each adds `Value`).
    values: u8,
    parent: &'a str,
}

impl<'a> Ctx<'a> {
    fn new(home: Home, base: &'a str, parent: &'a str) -> Self {
        Ctx { home, base, items: 0, values: 0, parent }
    }

    fn name(&self) -> String {
        let mut name = pascal(self.base, "Field");
        for _ in 0..self.items {
            if let Some(stripped) = name.strip_suffix("List").filter(|b| !b.is_empty()) {
                name = stripped.to_owned();
            }
        }
        for _ in 0..self.values {
            name.push_str("Value");
        }
        name
    }

    fn candidates(&self) -> [String; 2] {
        let name = self.name();
        let qualified = format!("{}{name}", self.parent);
        [name, qualified]
    }
}

/// Names that suggest personal or secret data; such fields are redacted in `Debug`.
const SENSITIVE_WORDS: &[&str] = &[
    "phone",
    "mobile",
    "callee",
    "caller",
    "password",
    "passwd",
    "secret",
    "token",
    "accesskey",
    "privatekey",
    "credential",
    "virtualnumber",
    "telephone",
    "email",
    "idcard",
];

fn looks_sensitive(wire: &str) -> bool {
    let lower = wire.to_ascii_lowercase().replace(['_', '-', '.'], "");
    SENSITIVE_WORDS.iter().any(|w| lower.contains(w))
}

/// Builds the IR of `spec`.
pub fn build(spec: &Spec, options: &Options) -> Ir {
    let mut b = Builder {
        spec,
        wire_names: HashMap::new(),
        types: Vec::new(),
        scopes: Vec::new(),
        top: Scope::with_reserved(RESERVED_TYPES),
        components: HashMap::new(),
    };
    // Top-level names first, in a fixed order, so they never depend on what the operations declare.
    let mut method_scope = Scope::with_reserved(CLIENT_METHODS);
    let mut planned = Vec::new();
    for api in &spec.apis {
        let base = pascal(&api.name, "Operation");
        let request = b.top.claim(format!("{base}Request"));
        let response = b.top.claim(format!("{base}Response"));
        let ident = method_scope.claim(snake(&api.name, "operation"));
        planned.push((request, response, ident));
    }
    for (name, schema) in &spec.components {
        if !b.components.contains_key(name) {
            b.component(name, schema);
        }
    }
    let mut ops = Vec::new();
    for (i, (api, (request, response, ident))) in spec.apis.iter().zip(planned).enumerate() {
        b.scopes.push(Scope::with_reserved(RESERVED_TYPES));
        ops.push(b.op(i, api, request, response, ident, options));
    }
    let mut ir = Ir {
        product: spec.product.to_ascii_lowercase(),
        version: spec.version.clone(),
        central: options.central.unwrap_or_else(|| central(spec)),
        endpoints: spec.endpoints.clone(),
        types: b.types,
        ops,
    };
    settle_roles(&mut ir);
    settle_boxes(&mut ir);
    let paged: Vec<_> = ir.ops.iter().map(|op| paging::recognise(&ir, op)).collect();
    for (op, paged) in ir.ops.iter_mut().zip(paged) {
        op.paged = paged;
    }
    ir
}

/// A product whose every endpoint is `<product>.aliyuncs.com` uses the central rule.
fn central(spec: &Spec) -> bool {
    let host = format!("{}.aliyuncs.com", spec.product.to_ascii_lowercase());
    !spec.endpoints.is_empty() && spec.endpoints.iter().all(|(_, h)| h.eq_ignore_ascii_case(&host))
}

/// The fields of an operation's request, each with its schema and how it travels. In a ROA or V3 file a
/// lone body parameter is the whole body — or, an object with properties, its members become the fields,
/// as the official SDKs have them.
fn request_members(style: ApiStyle, api: &Api) -> Vec<(&str, &Schema, Travel)> {
    let whole_body = style != ApiStyle::Rpc && api.params.iter().filter(|p| p.location == Location::Body).count() == 1;
    let mut members: Vec<(&str, &Schema, Travel)> = Vec::new();
    for param in &api.params {
        let travel = match (&param.schema.kind, param.location) {
            (Kind::Object { properties, .. }, Location::Body) if whole_body && !properties.is_empty() => {
                // The body's members become the request's fields, as the official SDKs have them.
                let body = Travel::Param(Location::Body, Style::Default);
                members.extend(properties.iter().map(|(name, schema)| (name.as_str(), schema, body)));
                continue;
            }
            (Kind::Binary, Location::Body) if whole_body => Travel::BinaryBody,
            (_, Location::Body) if whole_body => Travel::JsonBody,
            (_, location) => Travel::Param(location, param.style),
        };
        members.push((&param.name, &param.schema, travel));
    }
    members
}

/// An operation's documentation: the spec's texts, how it is sent and retried, and its error codes.
fn op_docs(api: &Api, method: &str, idempotent: bool) -> Vec<String> {
    let mut docs = docs::describe(&api.docs);
    if docs.is_empty() {
        docs.push(format!("Calls `{}`.", api.name));
    }
    docs.push(String::new());
    docs.push(format!(
        "`{}` {method}, {}.",
        api.name,
        if idempotent {
            "idempotent: retried after timeouts and server errors"
        } else {
            "not idempotent: never resent once it may have reached the service"
        }
    ));
    if api.anonymous {
        docs.push(String::new());
        docs.push("Sent without credentials or a signature: the request itself proves who calls.".into());
    }
    if !api.error_codes.is_empty() {
        docs.push(String::new());
        docs.push("Error codes:".into());
        for e in &api.error_codes {
            let message = e.message.replace('\n', " ");
            docs.push(format!("- HTTP {} `{}`: {}", e.status, e.code, message.trim()));
        }
    }
    docs
}

/// The HTTP method: a ROA operation's first listed; an RPC or V3 one with a body is sent by POST, others
/// by their first listed.
fn method(style: ApiStyle, api: &Api) -> &'static str {
    let has_body = api.params.iter().any(|p| matches!(p.location, Location::Form | Location::Body));
    if style != ApiStyle::Roa && has_body {
        return "POST";
    }
    match api.methods.first().map(String::as_str) {
        Some("get") => "GET",
        Some("put") => "PUT",
        Some("delete") => "DELETE",
        Some("patch") => "PATCH",
        _ => "POST",
    }
}

/// Whether a call may be resent: named in the attribute's `idempotent` list, or read-only — by
/// `operationType`, else by a `Get`/`List`/`Describe` name — unless its system tags say it creates, updates
/// or deletes something.
fn is_idempotent(api: &Api, options: &Options) -> bool {
    if options.idempotent.contains(&api.name) {
        return true;
    }
    if api.changes {
        return false;
    }
    match api.operation_type.as_deref() {
        Some("read") => true,
        Some(_) => false,
        None => ["Get", "List", "Describe"]
            .iter()
            .any(|p| api.name.strip_prefix(p).is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))),
    }
}

impl Builder<'_> {
    fn scope(&mut self, home: Home) -> &mut Scope {
        match home {
            Home::Top => &mut self.top,
            Home::Op(i) => &mut self.scopes[i],
        }
    }

    fn push(&mut self, def: TypeDef) -> usize {
        self.types.push(def);
        self.types.len() - 1
    }

    fn op(
        &mut self,
        index: usize,
        api: &Api,
        request: String,
        response: String,
        ident: String,
        options: &Options,
    ) -> Op {
        let home = Home::Op(index);
        let mut field_names = Scope::default();
        let mut setters = Scope::with_reserved(CALL_METHODS);
        let members = request_members(self.spec.style, api);
        let wires: Vec<&str> = members.iter().map(|(wire, _, _)| *wire).collect();
        let names = self.claim_names(&wires, &mut field_names, &mut setters);
        let mut fields = Vec::new();
        for ((wire, schema, travel), (rust, setter)) in members.into_iter().zip(names) {
            let mut field = self.field(wire, schema, Ctx::new(home, wire, &request), rust, setter);
            if matches!(travel, Travel::Param(Location::Path, _)) {
                // A path without its parameter cannot be sent: the parameter is a positional argument.
                (field.required, field.optional) = (true, false);
            }
            if travel == Travel::BinaryBody {
                // Raw bytes, shown by size, never by content.
                field.ty = Ty::Bytes;
                field.sensitive = true;
            }
            field.param = Some(travel);
            fields.push(field);
        }
        let request_idx = self.push(TypeDef {
            component: false,
            docs: vec![format!("The parameters of `{}`, as [`Client::{ident}`] sets them up.", api.name)],
            name: request,
            home: Home::Top,
            deprecated: false,
            request: false,
            response: false,
            body: Body::Struct { fields, extra: None },
        });
        let response_ty = match &api.response {
            Some(schema) if matches!(&schema.kind, Kind::Object { properties, .. } if !properties.is_empty()) => {
                let Kind::Object { properties, additional } = &schema.kind else { unreachable!() };
                let docs = vec![format!("The answer of `{}`.", api.name)];
                Ty::Named(self.object(&response, Home::Op(index), docs, schema, properties, additional, true))
            }
            Some(schema) => self.ty(schema, Ctx::new(home, "Response", &response)),
            // A ROA answer without a schema may be empty (JSON null) or anything else.
            None if self.spec.style == ApiStyle::Roa => Ty::Json,
            None => Ty::Map(Box::new(Ty::Json)),
        };
        let method = method(self.spec.style, api);
        let idempotent = is_idempotent(api, options);
        let docs = op_docs(api, method, idempotent);
        Op {
            action: api.name.clone(),
            ident,
            docs,
            method,
            path: api.path.clone(),
            idempotent,
            anonymous: api.anonymous,
            deprecated: api.deprecated,
            request: request_idx,
            response_name: response,
            response: response_ty,
            paged: None,
        }
    }

    /// The Rust names (field, setter) of members with these wire names, claimed in [`claim_order`].
    fn claim_names(&mut self, wires: &[&str], names: &mut Scope, setters: &mut Scope) -> Vec<(String, String)> {
        let mut claimed = vec![(String::new(), String::new()); wires.len()];
        for i in claim_order(wires) {
            let rust = names.claim(self.wire_name(wires[i]).0);
            let setter = setters.claim(rust.clone());
            claimed[i] = (rust, setter);
        }
        claimed
    }

    /// A wire name's snake_case form and whether it looks sensitive (cached: the same names recur).
    fn wire_name(&mut self, wire: &str) -> (String, bool) {
        if let Some(known) = self.wire_names.get(wire) {
            return known.clone();
        }
        let known = (snake(wire, "field"), looks_sensitive(wire));
        self.wire_names.insert(wire.to_owned(), known.clone());
        known
    }

    fn field(&mut self, wire: &str, schema: &Schema, ctx: Ctx, rust: String, setter: String) -> Field {
        let sensitive_name = self.wire_name(wire).1;
        let ty = self.ty(schema, ctx);
        let scalar = !matches!(ty, Ty::Named(_) | Ty::Vec(_) | Ty::Map(_) | Ty::Json);
        let scalar_list =
            matches!(&ty, Ty::Vec(t) | Ty::Map(t) if !matches!(**t, Ty::Named(_) | Ty::Vec(_) | Ty::Map(_) | Ty::Json));
        Field {
            wire: wire.to_owned(),
            rust,
            setter,
            required: schema.required,
            optional: !schema.required,
            boxed: false,
            docs: self.field_docs(schema),
            checks: checks(schema, &ty),
            sensitive: schema.sensitive.unwrap_or((scalar || scalar_list) && sensitive_name),
            deprecated: schema.deprecated,
            ty,
            param: None,
        }
    }

    /// A field's documentation; a `$ref` without its own falls back to the referenced schema's.
    fn field_docs(&self, schema: &Schema) -> Vec<String> {
        let own = docs::field(schema);
        match &schema.kind {
            Kind::Ref(name) if schema.docs.title.is_none() && schema.docs.description.is_none() => {
                let referenced =
                    self.spec.components.iter().find(|(n, _)| n == name).map(|(_, s)| docs::describe(&s.docs));
                let mut out = referenced.unwrap_or_default();
                if !own.is_empty() {
                    if !out.is_empty() {
                        out.push(String::new());
                    }
                    out.extend(own);
                }
                out
            }
            _ => own,
        }
    }

    fn ty(&mut self, schema: &Schema, ctx: Ctx) -> Ty {
        match &schema.kind {
            Kind::String if !schema.enum_values.is_empty() => {
                let name = self.scope(ctx.home).claim_first(&ctx.candidates());
                Ty::Named(self.enumeration(name, ctx.home, schema))
            }
            Kind::String => Ty::String,
            Kind::Integer(IntFormat::I32) => Ty::I32,
            Kind::Integer(IntFormat::I64) => Ty::I64,
            Kind::Number => Ty::F64,
            Kind::Boolean => Ty::Bool,
            Kind::Any => Ty::Json,
            // Raw bytes only as a whole body (see `op`); as a member or parameter, text.
            Kind::Binary => Ty::String,
            Kind::Array(items) => Ty::Vec(Box::new(self.ty(items, Ctx { items: ctx.items + 1, ..ctx }))),
            Kind::Object { properties, additional } if properties.is_empty() => match additional {
                Additional::Typed(value) => Ty::Map(Box::new(self.ty(value, Ctx { values: ctx.values + 1, ..ctx }))),
                _ => Ty::Map(Box::new(Ty::Json)),
            },
            Kind::Object { properties, additional } => {
                let name = self.scope(ctx.home).claim_first(&ctx.candidates());
                let docs = docs::describe(&schema.docs);
                Ty::Named(self.object(&name, ctx.home, docs, schema, properties, additional, false))
            }
            Kind::Ref(name) => self.reference(name),
        }
    }

    fn reference(&mut self, name: &str) -> Ty {
        match self.components.get(name) {
            Some(Component::Done(ty)) => ty.clone(),
            Some(Component::Building(Some(slot))) => Ty::Named(*slot),
            // A component that is its own list or map item cannot be typed: any JSON.
            Some(Component::Building(None)) => Ty::Json,
            None => {
                let spec = self.spec;
                match spec.components.iter().find(|(n, _)| n == name) {
                    Some((_, schema)) => self.component(name, schema),
                    None => Ty::Json, // reported by the reader
                }
            }
        }
    }

    fn component(&mut self, name: &str, schema: &Schema) -> Ty {
        let is_named = matches!(&schema.kind, Kind::Object { properties, .. } if !properties.is_empty())
            || (matches!(schema.kind, Kind::String) && !schema.enum_values.is_empty());
        if !is_named {
            self.components.insert(name.to_owned(), Component::Building(None));
            let ty = self.ty(schema, Ctx::new(Home::Top, name, ""));
            self.components.insert(name.to_owned(), Component::Done(ty.clone()));
            return ty;
        }
        let base = pascal(name, "Schema");
        let type_name = self.top.claim_first(&[base.clone(), format!("{base}Schema")]);
        // Reserve the slot first so a reference back to this component resolves to it.
        let slot = self.push(TypeDef {
            name: type_name.clone(),
            home: Home::Top,
            component: true,
            docs: Vec::new(),
            deprecated: false,
            request: false,
            response: false,
            body: Body::Struct { fields: Vec::new(), extra: None },
        });
        self.components.insert(name.to_owned(), Component::Building(Some(slot)));
        let built = match &schema.kind {
            Kind::Object { properties, additional } => {
                let docs = docs::describe(&schema.docs);
                self.object_body(&type_name, Home::Top, schema, properties, additional, docs)
            }
            _ => self.enumeration_def(type_name.clone(), Home::Top, schema),
        };
        self.types[slot] = TypeDef { component: true, ..built };
        self.components.insert(name.to_owned(), Component::Done(Ty::Named(slot)));
        Ty::Named(slot)
    }

    #[allow(clippy::too_many_arguments)]
    fn object(
        &mut self,
        name: &str,
        home: Home,
        docs: Vec<String>,
        schema: &Schema,
        properties: &[(String, Schema)],
        additional: &Additional,
        top: bool,
    ) -> usize {
        let home_of_type = if top { Home::Top } else { home };
        let slot = self.push(TypeDef {
            component: false,
            name: name.to_owned(),
            home: home_of_type,
            docs: Vec::new(),
            deprecated: false,
            request: false,
            response: false,
            body: Body::Struct { fields: Vec::new(), extra: None },
        });
        let mut def = self.object_body(name, home, schema, properties, additional, docs);
        def.home = home_of_type;
        self.types[slot] = def;
        slot
    }

    /// A struct's definition; nested types it declares go to `home`.
    fn object_body(
        &mut self,
        name: &str,
        home: Home,
        schema: &Schema,
        properties: &[(String, Schema)],
        additional: &Additional,
        docs: Vec<String>,
    ) -> TypeDef {
        let mut names = Scope::default();
        let mut setters = Scope::with_reserved(&["new"]);
        let wires: Vec<&str> = properties.iter().map(|(wire, _)| wire.as_str()).collect();
        let claimed = self.claim_names(&wires, &mut names, &mut setters);
        let mut fields = Vec::new();
        for ((wire, prop), (rust, setter)) in properties.iter().zip(claimed) {
            fields.push(self.field(wire, prop, Ctx::new(home, wire, name), rust, setter));
        }
        let extra = match additional {
            Additional::Typed(value) => {
                let base = value
                    .docs
                    .title
                    .as_deref()
                    .filter(|t| t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                    .map_or_else(|| "additional_properties".to_owned(), |t| snake(t, "additional_properties"));
                let rust = names.claim(base);
                setters.claim(rust.clone());
                let ty = self.ty(value, Ctx { values: 1, ..Ctx::new(home, name, name) });
                Some(Extra { rust, checks: checks(value, &ty), sensitive: value.sensitive.unwrap_or(true), value: ty })
            }
            Additional::Any => {
                let rust = names.claim("additional_properties".to_owned());
                setters.claim(rust.clone());
                Some(Extra {
                    rust,
                    value: Ty::Json,
                    checks: Checks::default(),
                    sensitive: schema.sensitive.unwrap_or(true),
                })
            }
            Additional::Unspecified | Additional::Forbidden => None,
        };
        TypeDef {
            component: false,
            name: name.to_owned(),
            home,
            docs,
            deprecated: schema.deprecated,
            request: false,
            response: false,
            body: Body::Struct { fields, extra: extra.map(Box::new) },
        }
    }

    fn enumeration(&mut self, name: String, home: Home, schema: &Schema) -> usize {
        let def = self.enumeration_def(name, home, schema);
        self.push(def)
    }

    fn enumeration_def(&mut self, name: String, home: Home, schema: &Schema) -> TypeDef {
        let mut scope = Scope::with_reserved(&["Unknown", "VALUES"]);
        // A value listed twice is one variant (its first place).
        let mut listed = std::collections::HashSet::new();
        let variants = schema
            .enum_values
            .iter()
            .filter(|wire| listed.insert(wire.as_str()))
            .map(|wire| Variant {
                rust: scope.claim(variant(wire)),
                wire: wire.clone(),
                doc: schema.enum_titles.iter().find(|(k, _)| k == wire).map(|(_, t)| t.clone()),
            })
            .collect();
        TypeDef {
            component: false,
            name,
            home,
            docs: docs::describe(&schema.docs),
            deprecated: schema.deprecated,
            request: false,
            response: false,
            body: Body::Enum { variants },
        }
    }
}

fn checks(schema: &Schema, ty: &Ty) -> Checks {
    let mut c = Checks::default();
    match ty {
        Ty::Vec(item) => {
            c.max_items = schema.max_items;
            c.min_items = schema.min_items;
            if let Kind::Array(items) = &schema.kind {
                let inner = checks(items, item);
                if !inner.is_empty() {
                    c.items = Some(Box::new(inner));
                }
            }
        }
        Ty::String => {
            c.max_length = schema.max_length;
            c.min_length = schema.min_length;
            c.pattern = schema.pattern.clone();
        }
        Ty::I32 | Ty::I64 | Ty::F64 => {
            c.maximum = schema.maximum.map(|b| (b, schema.exclusive_maximum));
            c.minimum = schema.minimum.map(|b| (b, schema.exclusive_minimum));
            c.one_of = schema.enum_values.clone();
        }
        _ => {}
    }
    c
}

/// Marks each type request-side and/or response-side from where it is reachable, then settles which
/// fields are `Option`: lists and maps read from responses are empty when absent, not `None`.
fn settle_roles(ir: &mut Ir) {
    fn mark(types: &mut [TypeDef], ty: &Ty, request: bool) {
        match ty {
            Ty::Vec(t) | Ty::Map(t) => mark(types, t, request),
            Ty::Named(i) => {
                let def = &mut types[*i];
                let seen = if request { def.request } else { def.response };
                if seen {
                    return;
                }
                if request {
                    def.request = true;
                } else {
                    def.response = true;
                }
                let children: Vec<Ty> = match &def.body {
                    Body::Struct { fields, extra } => {
                        fields.iter().map(|f| f.ty.clone()).chain(extra.iter().map(|e| e.value.clone())).collect()
                    }
                    Body::Enum { .. } => Vec::new(),
                };
                for child in children {
                    mark(types, &child, request);
                }
            }
            _ => {}
        }
    }
    for op in &ir.ops {
        mark(&mut ir.types, &Ty::Named(op.request), true);
        mark(&mut ir.types, &op.response, false);
    }
    for def in &mut ir.types {
        let request = def.request;
        if let Body::Struct { fields, .. } = &mut def.body {
            for f in fields {
                let collection = matches!(f.ty, Ty::Vec(_) | Ty::Map(_));
                f.optional = !f.required && (request || !collection);
            }
        }
    }
}

/// Boxes fields that lead back to their own type without a list or map in between. Inline types form
/// trees; only `$ref` (component) types can close a cycle, so only fields of component type are checked.
fn settle_boxes(ir: &mut Ir) {
    fn direct(types: &[TypeDef], i: usize) -> impl Iterator<Item = usize> + '_ {
        let fields: &[Field] = match &types[i].body {
            Body::Struct { fields, .. } => fields,
            Body::Enum { .. } => &[],
        };
        fields.iter().filter_map(move |f| match f.ty {
            Ty::Named(j) if matches!(types[j].body, Body::Struct { .. }) => Some(j),
            _ => None,
        })
    }
    fn reaches(types: &[TypeDef], from: usize, target: usize, seen: &mut [bool]) -> bool {
        if from == target {
            return true;
        }
        if std::mem::replace(&mut seen[from], true) {
            return false;
        }
        direct(types, from).collect::<Vec<_>>().into_iter().any(|n| reaches(types, n, target, seen))
    }
    if !ir.types.iter().any(|t| t.component) {
        return;
    }
    let mut boxes = Vec::new();
    let mut seen = vec![false; ir.types.len()];
    for i in 0..ir.types.len() {
        if let Body::Struct { fields, .. } = &ir.types[i].body {
            for (k, f) in fields.iter().enumerate() {
                if let Ty::Named(j) = f.ty
                    && ir.types[j].component
                    && matches!(ir.types[j].body, Body::Struct { .. })
                {
                    seen.iter_mut().for_each(|s| *s = false);
                    if reaches(&ir.types, j, i, &mut seen) {
                        boxes.push((i, k));
                    }
                }
            }
        }
    }
    for (i, k) in boxes {
        if let Body::Struct { fields, .. } = &mut ir.types[i].body {
            fields[k].boxed = true;
        }
    }
}
