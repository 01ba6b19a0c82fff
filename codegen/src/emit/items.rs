//! The items of a generated module: the service identity, the client, each type with the impls its role
//! needs (request side: constructor, setters, `Serialize`, `Validate`; response side: `Decode`), and each
//! operation's `Operation` impl and fluent call.

use std::fmt::Write as _;

use super::{BOX, MAP, OPTION, RESULT, STRING, Writer, lit};
use crate::ir::{Body, Checks, Extra, Field, Home, Op, Travel, Ty, TypeDef};
use crate::spec::{Bound, Location, Style};

pub fn service(w: &mut Writer<'_>) {
    let rt = w.rt(Home::Top);
    let ir = w.ir;
    let rule = if ir.central { "Central" } else { "Regional" };
    let mut map = String::new();
    for (region, host) in &ir.endpoints {
        let _ = write!(map, "({}, {}), ", lit(region), lit(host));
    }
    w.docs(
        &[format!(
            "The identity of {} {} as the runtime needs it: product code, API version, endpoints.",
            ir.product, ir.version
        )],
        "",
    );
    let _ = writeln!(
        w.out,
        "pub static SERVICE: {rt}::Service = {rt}::Service {{ product: {p}, version: {v}, endpoints: {rt}::endpoint::ServiceEndpoints {{ product: {p}, rule: {rt}::endpoint::EndpointRule::{rule}, map: &[{map}] }} }};",
        p = lit(&ir.product),
        v = lit(&ir.version),
    );
}

/// `OPERATIONS`: every action this module has a method for.
pub fn operations(w: &mut Writer<'_>) {
    let names: Vec<String> = w.ir.ops.iter().map(|op| lit(&op.action)).collect();
    w.docs(&["Every operation this module generated a method for, by action name.".into()], "");
    let _ = writeln!(w.out, "pub const OPERATIONS: &[&str] = &[{}];", names.join(", "));
}

pub fn client(w: &mut Writer<'_>) {
    let rt = w.rt(Home::Top);
    let ir = w.ir;
    w.docs(
        &[
            format!("Client for {} {}: one method per operation, each returning a fluent call that ends in `.send().await`.", ir.product, ir.version),
            String::new(),
            "Build it from an [`acsgen::Config`](https://docs.rs/acsgen); clones share the configuration's connection pool.".to_owned(),
        ],
        "",
    );
    w.line("#[derive(Clone, Debug)]");
    let _ = writeln!(w.out, "pub struct Client {{ inner: {rt}::ServiceClient }}");
    w.line("impl Client {");
    w.docs(&["A client using `config` (region, endpoint, credentials, retries, time limits).".into()], "");
    let _ = writeln!(
        w.out,
        "pub fn new(config: &{rt}::Config) -> Self {{ Self {{ inner: {rt}::ServiceClient::new(config, &SERVICE) }} }}"
    );
    w.docs(&["Wraps a runtime client made for [`SERVICE`].".into()], "");
    let _ = writeln!(w.out, "pub fn from_service_client(inner: {rt}::ServiceClient) -> Self {{ Self {{ inner }} }}");
    w.docs(
        &["The runtime client underneath: configuration, endpoint, and `execute` for operations your spec lacks."
            .into()],
        "",
    );
    let _ = writeln!(w.out, "pub fn service_client(&self) -> &{rt}::ServiceClient {{ &self.inner }}");
    w.docs(&["Sends a request built ahead of time (`…Request::new(..)` plus field assignments).".into()], "");
    let _ = writeln!(
        w.out,
        "pub async fn send<O: {rt}::Operation>(&self, request: &O) -> {RESULT}<O::Output, {rt}::Error> {{ self.inner.send(request).await }}"
    );
    for op in &ir.ops {
        let request = &ir.types[op.request];
        let Body::Struct { fields, .. } = &request.body else { continue };
        w.docs(&op.docs, "");
        if op.deprecated {
            let _ =
                writeln!(w.out, "#[deprecated(note = {})]", lit(&format!("{} is deprecated in the spec", op.action)));
        }
        let args = required_args(w, fields, Home::Top);
        let names: Vec<&str> = fields.iter().filter(|f| !f.optional).map(|f| f.rust.as_str()).collect();
        let _ = writeln!(
            w.out,
            "pub fn {ident}(&self{args}) -> {ident}::Call<'_> {{ {ident}::Call {{ client: self, request: {req}::new({names}) }} }}",
            ident = op.ident,
            req = request.name,
            names = names.join(", "),
        );
    }
    w.line("}");
}

/// The statement of `encode` that adds field `f`, travelling as `travel`.
fn encode_field(w: &mut Writer<'_>, f: &Field, travel: Travel, rt: &str) {
    let (location, style) = match travel {
        Travel::Param(location, style) => (location, style),
        Travel::JsonBody => {
            let _ = writeln!(w.out, "params.set_json_body(&self.{})?;", f.rust);
            return;
        }
        Travel::BinaryBody if f.optional => {
            let _ = writeln!(w.out, "if let Some(b) = &self.{} {{ params.set_binary_body(b.clone()); }}", f.rust);
            return;
        }
        Travel::BinaryBody => {
            let _ = writeln!(w.out, "params.set_binary_body(self.{}.clone());", f.rust);
            return;
        }
    };
    let location = match location {
        Location::Query => "Query",
        Location::Form => "Form",
        Location::Body => "Body",
        Location::Header => "Header",
        Location::Path => "Path",
    };
    let style = match style {
        Style::Default => "Default",
        Style::Json => "Json",
        Style::RepeatList => "RepeatList",
        Style::Flat => "Flat",
        Style::Simple => "Simple",
        Style::SpaceDelimited => "SpaceDelimited",
        Style::PipeDelimited => "PipeDelimited",
    };
    let _ = writeln!(
        w.out,
        "params.push({rt}::encode::Location::{location}, {}, {rt}::encode::Style::{style}, &self.{})?;",
        lit(&f.wire),
        f.rust
    );
}

/// `, name: type` for each required field, as constructor and client-method arguments.
fn required_args(w: &Writer<'_>, fields: &[Field], home: Home) -> String {
    let mut out = String::new();
    for f in fields.iter().filter(|f| !f.optional) {
        let _ = write!(out, ", {}: {}", f.rust, arg_type(w, &f.ty, home));
    }
    out
}

/// The argument type a setter or constructor takes for `ty`: strings and lists take anything convertible.
fn arg_type(w: &Writer<'_>, ty: &Ty, home: Home) -> String {
    match ty {
        Ty::String | Ty::Bytes | Ty::Vec(_) | Ty::Map(_) => format!("impl Into<{}>", w.ty(ty, home)),
        other => w.ty(other, home),
    }
}

fn convert(ty: &Ty, expr: &str) -> String {
    match ty {
        Ty::String | Ty::Bytes | Ty::Vec(_) | Ty::Map(_) => format!("{expr}.into()"),
        _ => expr.to_owned(),
    }
}

/// The declared type of a field.
fn field_type(w: &Writer<'_>, f: &Field, home: Home) -> String {
    let mut t = w.ty(&f.ty, home);
    if f.boxed {
        t = format!("{BOX}<{t}>");
    }
    if f.optional {
        t = format!("{OPTION}<{t}>");
    }
    t
}

pub fn type_def(w: &mut Writer<'_>, index: usize, home: Home) {
    let def = &w.ir.types[index];
    let is_request = w.ir.ops.iter().any(|op| op.request == index);
    match &def.body {
        Body::Struct { fields, extra } => structure(w, def, fields, extra.as_deref(), home, is_request),
        Body::Enum { .. } => enumeration(w, def, home),
    }
}

fn structure(w: &mut Writer<'_>, def: &TypeDef, fields: &[Field], extra: Option<&Extra>, home: Home, is_request: bool) {
    let rt = w.rt(home);
    let name = &def.name;
    let redacts = fields.iter().any(|f| f.sensitive) || extra.is_some_and(|e| e.sensitive);
    let mut docs = def.docs.clone();
    if def.deprecated {
        docs.push(String::new());
        docs.push("**Deprecated** in the spec.".into());
    }
    w.docs(&docs, &format!("`{name}` (no description in the spec)."));
    if redacts {
        w.line("#[derive(Clone, PartialEq)]");
    } else {
        w.line("#[derive(Clone, PartialEq, Debug)]");
    }
    w.line("#[non_exhaustive]");
    let _ = writeln!(w.out, "pub struct {name} {{");
    for f in fields {
        let mut docs = f.docs.clone();
        if f.deprecated {
            docs.push(String::new());
            docs.push("**Deprecated** in the spec.".into());
        }
        w.docs(&docs, &format!("`{}`.", f.wire));
        let _ = writeln!(w.out, "pub {}: {},", f.rust, field_type(w, f, home));
    }
    if let Some(e) = extra {
        w.docs(&["Members beyond the declared fields, by name.".into()], "");
        let _ = writeln!(w.out, "pub {}: {MAP}<{STRING}, {}>,", e.rust, w.ty(&e.value, home));
    }
    w.line("}");

    if redacts {
        let _ = writeln!(
            w.out,
            "impl ::core::fmt::Debug for {name} {{ fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{ f.debug_struct({})",
            lit(name)
        );
        for f in fields {
            if f.sensitive {
                let _ = writeln!(w.out, ".field({}, &{rt}::redact::Redacted(&self.{}))", lit(&f.rust), f.rust);
            } else {
                let _ = writeln!(w.out, ".field({}, &self.{})", lit(&f.rust), f.rust);
            }
        }
        if let Some(e) = extra {
            if e.sensitive {
                let _ = writeln!(w.out, ".field({}, &{rt}::redact::Redacted(&self.{}))", lit(&e.rust), e.rust);
            } else {
                let _ = writeln!(w.out, ".field({}, &self.{})", lit(&e.rust), e.rust);
            }
        }
        w.line(".finish() } }");
    }

    if def.request {
        constructor(w, def, fields, extra, home, !is_request);
        validate(w, name, fields, extra, home);
        if !is_request {
            serialize(w, name, fields, extra, home);
        }
    }
    if def.response {
        decode(w, name, fields, extra, home);
    }
}

/// `new` with the required fields, and (for nested types) a setter per optional field.
fn constructor(w: &mut Writer<'_>, def: &TypeDef, fields: &[Field], extra: Option<&Extra>, home: Home, setters: bool) {
    let name = &def.name;
    let _ = writeln!(w.out, "impl {name} {{");
    w.docs(&[format!("A `{name}` with its required fields; optional ones start unset.")], "");
    let args = required_args(w, fields, home);
    let args = args.strip_prefix(", ").unwrap_or(&args).to_owned();
    let mut init = String::new();
    for f in fields {
        let value = if f.optional {
            "None".to_owned()
        } else if f.boxed {
            format!("{BOX}::new({})", convert(&f.ty, &f.rust))
        } else {
            convert(&f.ty, &f.rust)
        };
        let _ = write!(init, "{}: {value}, ", f.rust);
    }
    if let Some(e) = extra {
        let _ = write!(init, "{}: {MAP}::new(), ", e.rust);
    }
    let _ = writeln!(w.out, "pub fn new({args}) -> Self {{ Self {{ {init} }} }}");
    if setters {
        for f in fields.iter().filter(|f| f.optional) {
            setter_docs(w, f);
            let value =
                if f.boxed { format!("{BOX}::new({})", convert(&f.ty, "value")) } else { convert(&f.ty, "value") };
            let _ = writeln!(
                w.out,
                "pub fn {}(mut self, value: {}) -> Self {{ self.{} = Some({value}); self }}",
                f.setter,
                arg_type(w, &f.ty, home),
                f.rust
            );
        }
        if let Some(e) = extra {
            w.docs(&[format!("Adds the member `key` with `value` to `{}`.", e.rust)], "");
            let _ = writeln!(
                w.out,
                "pub fn {r}(mut self, key: impl Into<{STRING}>, value: {t}) -> Self {{ self.{r}.insert(key.into(), {v}); self }}",
                r = e.rust,
                t = arg_type(w, &e.value, home),
                v = convert(&e.value, "value"),
            );
        }
    }
    w.line("}");
}

/// A setter's documentation: what it sets and the field's headline (the field itself has the rest).
fn setter_docs(w: &mut Writer<'_>, f: &Field) {
    let headline = f.docs.iter().find(|l| !l.is_empty() && !l.starts_with("```"));
    let doc = match headline {
        Some(h) => format!("Sets `{}` (field `{}`): {h}", f.wire, f.rust),
        None => format!("Sets `{}` (field `{}`).", f.wire, f.rust),
    };
    w.docs(&[doc], "");
}

fn serialize(w: &mut Writer<'_>, name: &str, fields: &[Field], extra: Option<&Extra>, home: Home) {
    let rt = w.rt(home);
    let _ = writeln!(
        w.out,
        "impl {rt}::__private::serde::Serialize for {name} {{ fn serialize<S: {rt}::__private::serde::Serializer>(&self, serializer: S) -> {RESULT}<S::Ok, S::Error> {{"
    );
    let _ = writeln!(w.out, "use {rt}::__private::serde::ser::SerializeMap as _;");
    w.line("let mut map = serializer.serialize_map(None)?;");
    // Declared fields in the spec's order, then additional members in key order, as the official SDKs'
    // models write them. A member named like a declared field is left out (the field has that key).
    for f in fields {
        if f.optional {
            let _ =
                writeln!(w.out, "if let Some(v) = &self.{} {{ map.serialize_entry({}, v)?; }}", f.rust, lit(&f.wire));
        } else {
            let _ = writeln!(w.out, "map.serialize_entry({}, &self.{})?;", lit(&f.wire), f.rust);
        }
    }
    if let Some(e) = extra {
        let declared: Vec<String> = fields.iter().map(|f| lit(&f.wire)).collect();
        let skip = if declared.is_empty() {
            String::new()
        } else {
            format!("if matches!(k.as_str(), {}) {{ continue; }} ", declared.join(" | "))
        };
        let _ = writeln!(w.out, "for (k, v) in &self.{} {{ {skip}map.serialize_entry(k, v)?; }}", e.rust);
    }
    w.line("map.end() } }");
}

fn decode(w: &mut Writer<'_>, name: &str, fields: &[Field], extra: Option<&Extra>, home: Home) {
    let rt = w.rt(home);
    let _ = writeln!(
        w.out,
        "impl {rt}::decode::Decode for {name} {{ fn decode(value: {rt}::__private::serde_json::Value, path: &{rt}::decode::Path<'_>) -> {RESULT}<Self, {rt}::decode::DecodeError> {{"
    );
    let binding = if fields.is_empty() && extra.is_none() { "o" } else { "mut o" };
    let _ = writeln!(w.out, "let {binding} = {rt}::decode::Object::new(value, path)?;");
    w.line("Ok(Self {");
    for f in fields {
        let _ = writeln!(w.out, "{}: o.take({})?,", f.rust, lit(&f.wire));
    }
    if let Some(e) = extra {
        let _ = writeln!(w.out, "{}: o.rest()?,", e.rust);
    }
    w.line("}) } }");
}

fn validate(w: &mut Writer<'_>, name: &str, fields: &[Field], extra: Option<&Extra>, home: Home) {
    let rt = w.rt(home);
    let mut body = String::new();
    for f in fields {
        let mut inner = String::new();
        let access = if f.boxed { "&**x" } else { "x" };
        checks_code(w, &f.ty, &f.checks, access, home, &mut inner);
        if inner.is_empty() {
            continue;
        }
        let open = if f.optional {
            format!("if let Some(x) = &self.{} {{ {inner} }}", f.rust)
        } else {
            format!("let x = &self.{}; {inner}", f.rust)
        };
        let _ = writeln!(body, "v.field({}, |v| {{ {open} }});", lit(&f.wire));
    }
    if let Some(e) = extra {
        let declared: Vec<String> = fields.iter().map(|f| lit(&f.wire)).collect();
        let _ = writeln!(body, "v.extra_keys(self.{}.keys(), &[{}]);", e.rust, declared.join(", "));
        let mut inner = String::new();
        checks_code(w, &e.value, &e.checks, "x", home, &mut inner);
        if !inner.is_empty() {
            let _ = writeln!(body, "for (k, x) in &self.{} {{ v.field(k, |v| {{ {inner} }}); }}", e.rust);
        }
    }
    let binding = if body.is_empty() { "_v" } else { "v" };
    let _ = writeln!(
        w.out,
        "impl {rt}::validate::Validate for {name} {{ fn validate(&self, {binding}: &mut {rt}::validate::Validator) {{ {body} }} }}"
    );
}

/// Statements checking `x` (a reference to a value of type `ty`) against `checks`.
fn checks_code(w: &Writer<'_>, ty: &Ty, checks: &Checks, x: &str, home: Home, out: &mut String) {
    let rt = w.rt(home);
    match ty {
        Ty::String => {
            if let Some(n) = checks.max_length {
                let _ = write!(out, "v.max_length({x}, {n});");
            }
            if let Some(n) = checks.min_length {
                let _ = write!(out, "v.min_length({x}, {n});");
            }
            if let Some(p) = &checks.pattern {
                let _ = write!(
                    out,
                    "{{ static PATTERN: {rt}::validate::Pattern = {rt}::validate::Pattern::new({}); v.pattern({x}, &PATTERN); }}",
                    lit(p)
                );
            }
        }
        Ty::I32 | Ty::I64 | Ty::F64 => {
            let float = matches!(ty, Ty::F64)
                || matches!(checks.maximum, Some((Bound::Float(_), _)))
                || matches!(checks.minimum, Some((Bound::Float(_), _)));
            for (bound, method) in [(checks.maximum, "maximum"), (checks.minimum, "minimum")] {
                let Some((bound, exclusive)) = bound else { continue };
                if float {
                    let value = match bound {
                        Bound::Int(n) => n as f64,
                        Bound::Float(f) => f,
                    };
                    let _ = write!(out, "v.{method}(*{x} as f64, {value:?}f64, {exclusive});");
                } else if let Bound::Int(n) = bound {
                    let _ = write!(out, "v.{method}(i128::from(*{x}), {n}i128, {exclusive});");
                }
            }
            if !checks.one_of.is_empty() {
                let values: Vec<String> = checks.one_of.iter().map(|s| lit(s)).collect();
                let _ = write!(out, "v.one_of(&{x}.to_string(), &[{}]);", values.join(", "));
            }
        }
        Ty::Vec(item) => {
            if let Some(n) = checks.max_items {
                let _ = write!(out, "v.max_items({x}.len(), {n});");
            }
            if let Some(n) = checks.min_items {
                let _ = write!(out, "v.min_items({x}.len(), {n});");
            }
            let mut inner = String::new();
            let item_checks = checks.items.as_deref().cloned().unwrap_or_default();
            checks_code(w, item, &item_checks, "x", home, &mut inner);
            if !inner.is_empty() {
                let _ = write!(out, "for (i, x) in {x}.iter().enumerate() {{ v.index(i, |v| {{ {inner} }}); }}");
            }
        }
        Ty::Map(value) => {
            let mut inner = String::new();
            let value_checks = checks.items.as_deref().cloned().unwrap_or_default();
            checks_code(w, value, &value_checks, "x", home, &mut inner);
            if !inner.is_empty() {
                let _ = write!(out, "for (k, x) in {x} {{ v.field(k, |v| {{ {inner} }}); }}");
            }
        }
        Ty::Named(i) => {
            if w.ir.types[*i].request {
                let _ = write!(out, "{rt}::validate::Validate::validate({x}, v);");
            }
        }
        Ty::Bool | Ty::Json | Ty::Bytes => {}
    }
}

fn enumeration(w: &mut Writer<'_>, def: &TypeDef, home: Home) {
    let Body::Enum { variants } = &def.body else { return };
    let rt = w.rt(home);
    let name = &def.name;
    let mut docs = def.docs.clone();
    if !docs.is_empty() {
        docs.push(String::new());
    }
    let values: Vec<String> = variants.iter().map(|v| format!("`{}`", v.wire)).collect();
    docs.push(format!("One of {}; values this spec does not list arrive as `Unknown`.", values.join(", ")));
    w.docs(&docs, "");
    w.line("#[derive(Clone, PartialEq, Eq, Hash, Debug)]");
    w.line("#[non_exhaustive]");
    let _ = writeln!(w.out, "pub enum {name} {{");
    for v in variants {
        let doc = match &v.doc {
            Some(title) if title != &v.wire => format!("`{}`: {title}", v.wire),
            _ => format!("`{}`.", v.wire),
        };
        w.docs(&[doc], "");
        let _ = writeln!(w.out, "{},", v.rust);
    }
    w.docs(&["A value the spec does not list (sent as is; rejected by validation in requests).".into()], "");
    let _ = writeln!(w.out, "Unknown({STRING}),");
    w.line("}");
    let wires: Vec<String> = variants.iter().map(|v| lit(&v.wire)).collect();
    let _ = writeln!(w.out, "impl {name} {{");
    w.docs(&["Every value the spec lists.".into()], "");
    let _ = writeln!(w.out, "pub const VALUES: &'static [&'static str] = &[{}];", wires.join(", "));
    w.docs(&["The wire value.".into()], "");
    w.line("pub fn as_str(&self) -> &str { match self {");
    for v in variants {
        let _ = writeln!(w.out, "Self::{} => {},", v.rust, lit(&v.wire));
    }
    w.line("Self::Unknown(other) => other, } } }");
    let _ = writeln!(w.out, "impl From<&str> for {name} {{ fn from(value: &str) -> Self {{ match value {{");
    for v in variants {
        let _ = writeln!(w.out, "{} => Self::{},", lit(&v.wire), v.rust);
    }
    w.line("other => Self::Unknown(other.into()), } } }");
    let _ = writeln!(
        w.out,
        "impl From<{STRING}> for {name} {{ fn from(value: {STRING}) -> Self {{ Self::from(value.as_str()) }} }}"
    );
    let _ = writeln!(
        w.out,
        "impl ::core::str::FromStr for {name} {{ type Err = ::core::convert::Infallible; fn from_str(value: &str) -> {RESULT}<Self, Self::Err> {{ Ok(Self::from(value)) }} }}"
    );
    let _ = writeln!(
        w.out,
        "impl ::core::fmt::Display for {name} {{ fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{ f.write_str(self.as_str()) }} }}"
    );
    if def.request {
        let _ = writeln!(
            w.out,
            "impl {rt}::__private::serde::Serialize for {name} {{ fn serialize<S: {rt}::__private::serde::Serializer>(&self, serializer: S) -> {RESULT}<S::Ok, S::Error> {{ serializer.serialize_str(self.as_str()) }} }}"
        );
        let _ = writeln!(
            w.out,
            "impl {rt}::validate::Validate for {name} {{ fn validate(&self, v: &mut {rt}::validate::Validator) {{ if let Self::Unknown(value) = self {{ v.one_of(value, Self::VALUES); }} }} }}"
        );
    }
    if def.response {
        let _ = writeln!(
            w.out,
            "impl {rt}::decode::Decode for {name} {{ fn decode(value: {rt}::__private::serde_json::Value, path: &{rt}::decode::Path<'_>) -> {RESULT}<Self, {rt}::decode::DecodeError> {{ <{STRING} as {rt}::decode::Decode>::decode(value, path).map(Self::from) }} }}"
        );
    }
}

/// An operation: its request's `Operation` impl, its response alias if any, and its module with the
/// fluent call and the types it declares.
pub fn operation(w: &mut Writer<'_>, op: &Op, index: usize, declared: &[usize]) {
    let ir = w.ir;
    let rt = w.rt(Home::Top);
    let request = &ir.types[op.request];
    let Body::Struct { fields, .. } = &request.body else { return };
    let response_is_struct =
        matches!(&op.response, Ty::Named(i) if ir.types[*i].name == op.response_name && ir.types[*i].home == Home::Top);
    if !response_is_struct {
        w.docs(&[format!("The answer of `{}`.", op.action)], "");
        let _ = writeln!(w.out, "pub type {} = {};", op.response_name, w.ty(&op.response, Home::Top));
    }
    let _ = writeln!(w.out, "impl {rt}::Operation for {} {{", request.name);
    let _ = writeln!(w.out, "type Output = {};", op.response_name);
    let _ = writeln!(w.out, "const SERVICE: &'static {rt}::Service = &SERVICE;");
    let method = match op.method {
        "GET" => "Get",
        "PUT" => "Put",
        "DELETE" => "Delete",
        "PATCH" => "Patch",
        _ => "Post",
    };
    let protocol = match &op.path {
        Some(path) => format!("{rt}::protocol::Protocol::Roa {{ path: {} }}", lit(path)),
        None => format!("{rt}::protocol::Protocol::Rpc"),
    };
    let _ = writeln!(
        w.out,
        "const META: {rt}::OperationMeta = {rt}::OperationMeta {{ action: {}, method: {rt}::Method::{method}, idempotent: {}, anonymous: {}, protocol: {protocol} }};",
        lit(&op.action),
        op.idempotent,
        op.anonymous
    );
    let binding = if fields.is_empty() { "_params" } else { "params" };
    let _ = writeln!(
        w.out,
        "fn encode(&self, {binding}: &mut {rt}::encode::Params) -> {RESULT}<(), {rt}::encode::EncodeError> {{"
    );
    for f in fields {
        if let Some(travel) = f.param {
            encode_field(w, f, travel, rt);
        }
    }
    w.line("Ok(()) } }");

    let home = Home::Op(index);
    let ort = w.rt(home);
    w.docs(&[format!("The fluent call and the types of `{}`.", op.action)], "");
    let _ = writeln!(w.out, "pub mod {} {{", op.ident);
    w.line("use super::__rt;");
    w.line("use ::std::collections::BTreeMap;");
    w.docs(
        &[format!(
            "A `{}` call being set up: set optional parameters, then `.send().await`. Made by [`Client::{}`](super::Client::{}).",
            op.action, op.ident, op.ident
        )],
        "",
    );
    w.line("#[derive(Debug)]");
    let _ = writeln!(
        w.out,
        "pub struct Call<'c> {{ pub(super) client: &'c super::Client, pub(super) request: super::{} }}",
        request.name
    );
    w.line("impl<'c> Call<'c> {");
    for f in fields.iter().filter(|f| f.optional) {
        setter_docs(w, f);
        if f.deprecated {
            let _ = writeln!(w.out, "#[deprecated(note = {})]", lit(&format!("{} is deprecated in the spec", f.wire)));
        }
        let value = if f.boxed { format!("{BOX}::new({})", convert(&f.ty, "value")) } else { convert(&f.ty, "value") };
        let _ = writeln!(
            w.out,
            "pub fn {}(mut self, value: {}) -> Self {{ self.request.{} = Some({value}); self }}",
            f.setter,
            arg_type(w, &f.ty, home),
            f.rust
        );
    }
    w.docs(&["The request as set up so far.".into()], "");
    let _ = writeln!(w.out, "pub fn request(&self) -> &super::{} {{ &self.request }}", request.name);
    w.docs(&["The request, to send later with [`Client::send`](super::Client::send).".into()], "");
    let _ = writeln!(w.out, "pub fn into_request(self) -> super::{} {{ self.request }}", request.name);
    w.docs(
        &["Validates, signs and sends the request, with retries as the configuration allows, and decodes the answer."
            .into()],
        "",
    );
    let _ = writeln!(
        w.out,
        "pub async fn send(self) -> {RESULT}<super::{}, {ort}::Error> {{ self.client.send(&self.request).await }}",
        op.response_name
    );
    if let Some(paged) = &op.paged {
        super::paging::paginators(w, op, paged, home);
    }
    w.line("}");
    for &i in declared {
        type_def(w, i, home);
    }
    w.line("}");
}
