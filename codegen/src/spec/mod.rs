//! Metadata JSON → checked model. The reader walks the whole file and collects every problem with the JSON
//! pointer where it is (`/apis/ImportTaskNumberDatas/parameters/2/schema: …`) instead of stopping at the
//! first, so a user fixes a broken spec in one build. Documentation fields are taken as they come;
//! everything the generated code depends on is checked.

mod depth;
mod json;
pub mod model;

use std::borrow::Cow;

use json::Json;
pub use model::*;

/// One thing wrong with the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON pointer, empty for the whole file.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

/// Appends `key` to `pointer`, escaping `~` and `/` as JSON pointers require.
pub fn child(pointer: &str, key: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + key.len() + 1);
    out.push_str(pointer);
    out.push('/');
    if !key.contains(['~', '/']) {
        out.push_str(key);
        return out;
    }
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// What a value is, for a message that expected a non-empty string: a blank string is called empty.
fn found(value: &Json<'_>) -> &'static str {
    match value {
        Json::Str(s) if s.trim().is_empty() => "an empty string",
        other => other.describe(),
    }
}

/// `type: string, format: binary`: raw bytes.
fn is_binary(schema: &Json<'_>) -> bool {
    schema.get("type").and_then(Json::as_str) == Some("string")
        && schema.get("format").and_then(Json::as_str) == Some("binary")
}

/// Reads `text`. `wanted` limits which operations are read in full (all when `None`); names it lists that
/// the file lacks are reported by the caller, which knows where they were written.
pub fn read(text: &str, wanted: Option<&[String]>) -> Result<Spec, Vec<Problem>> {
    let root = match json::parse(text) {
        Ok(root) => root,
        Err(e) => {
            return Err(vec![Problem { pointer: String::new(), message: format!("not valid JSON: {e}") }]);
        }
    };
    let mut reader = Reader { problems: Vec::new(), style: ApiStyle::Rpc };
    let spec = reader.spec(&root, wanted);
    if !reader.problems.is_empty() {
        return Err(reader.problems);
    }
    let too_deep = depth::check(&spec);
    if too_deep.is_empty() { Ok(spec) } else { Err(too_deep) }
}

/// The operation names a file declares (for "did you mean" suggestions), without checking anything else.
pub fn operation_names(text: &str) -> Vec<String> {
    match json::parse(text) {
        Ok(root) => root
            .get("apis")
            .and_then(Json::members)
            .map(|m| m.iter().map(|(k, _)| k.to_string()).collect())
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

struct Reader {
    problems: Vec<Problem>,
    /// The file's style, read first: it decides which locations parameters may have.
    style: ApiStyle,
}

impl Reader {
    fn problem(&mut self, pointer: &str, message: impl Into<String>) {
        self.problems.push(Problem { pointer: pointer.to_owned(), message: message.into() });
    }

    /// A documentation string: taken when it is a string, ignored otherwise.
    fn text(value: Option<&Json<'_>>) -> Option<String> {
        value.and_then(Json::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
    }

    fn docs(value: &Json<'_>) -> Docs {
        Docs {
            title: Self::text(value.get("title")),
            summary: Self::text(value.get("summary")),
            description: Self::text(value.get("description")),
        }
    }

    fn spec(&mut self, root: &Json<'_>, wanted: Option<&[String]>) -> Spec {
        let mut spec = Spec {
            product: String::new(),
            version: String::new(),
            style: ApiStyle::Rpc,
            endpoints: Vec::new(),
            apis: Vec::new(),
            components: Vec::new(),
        };
        if root.members().is_none() {
            self.problem("", format!("the file is {}, expected an API metadata object", root.describe()));
            return spec;
        }
        match root.get("info") {
            Some(info @ Json::Obj(_)) => {
                self.style = self.style(info);
                spec.style = self.style;
                spec.product = self.required_str(info, "/info", "product");
                spec.version = self.required_str(info, "/info", "version");
            }
            Some(other) => self.problem("/info", format!("expected an object, found {}", other.describe())),
            None => self.problem("", "no `info` object (with `product` and `version`)"),
        }
        self.endpoints(root, &mut spec);
        if let Some(components) = root.get("components") {
            self.components(components, &mut spec);
        }
        match root.get("apis") {
            Some(Json::Obj(apis)) => {
                self.duplicates(apis, "/apis");
                for (name, api) in apis {
                    if wanted.is_some_and(|w| !w.iter().any(|n| n == name)) {
                        continue;
                    }
                    let pointer = child("/apis", name);
                    if name.trim().is_empty() {
                        self.problem(&pointer, "an operation's name (its key under `apis`) is empty");
                        continue;
                    }
                    if let Some(api) = self.api(name, api, pointer) {
                        spec.apis.push(api);
                    }
                }
            }
            Some(other) => {
                self.problem("/apis", format!("expected an object of operations, found {}", other.describe()))
            }
            None => self.problem("", "no `apis` object"),
        }
        let names: Vec<String> = spec.components.iter().map(|(n, _)| n.clone()).collect();
        let mut refs = Vec::new();
        for api in &spec.apis {
            for p in &api.params {
                collect_refs(&p.schema, &mut refs);
            }
            if let Some(r) = &api.response {
                collect_refs(r, &mut refs);
            }
        }
        for (_, schema) in &spec.components {
            collect_refs(schema, &mut refs);
        }
        for (name, pointer) in refs {
            if !names.contains(&name) {
                self.problem(
                    &pointer,
                    format!("`$ref` to `#/components/schemas/{name}`, which the file does not define"),
                );
            }
        }
        spec
    }

    /// `info.style`: RPC when absent. The product-specific styles (OSS, SLS, FC, PDS, AliGenie) have
    /// protocols of their own and are refused by name.
    fn style(&mut self, info: &Json<'_>) -> ApiStyle {
        match info.get("style").map(|s| s.as_str()) {
            None | Some(Some("RPC")) => ApiStyle::Rpc,
            Some(Some("ROA")) => ApiStyle::Roa,
            Some(Some("V3")) => ApiStyle::V3,
            Some(Some(style)) => {
                self.problem(
                    "/info/style",
                    format!(
                        "style `{style}` is not supported: it has a protocol of its own; acsgen generates clients for the RPC, ROA and V3 styles"
                    ),
                );
                ApiStyle::Rpc
            }
            Some(None) => {
                self.problem("/info/style", "expected a string");
                ApiStyle::Rpc
            }
        }
    }

    fn duplicates(&mut self, members: &[(Cow<'_, str>, Json<'_>)], pointer: &str) {
        for (i, (name, _)) in members.iter().enumerate() {
            if members[..i].iter().any(|(n, _)| n == name) {
                self.problem(&child(pointer, name), format!("`{name}` is defined more than once"));
            }
        }
    }

    fn required_str(&mut self, value: &Json<'_>, pointer: &str, key: &str) -> String {
        match value.get(key) {
            Some(Json::Str(s)) if !s.trim().is_empty() => s.trim().to_owned(),
            Some(other) => {
                self.problem(&child(pointer, key), format!("expected a non-empty string, found {}", found(other)));
                String::new()
            }
            None => {
                self.problem(pointer, format!("`{key}` is missing"));
                String::new()
            }
        }
    }

    fn endpoints(&mut self, root: &Json<'_>, spec: &mut Spec) {
        let Some(value) = root.get("endpoints") else { return };
        let Json::Arr(items) = value else {
            self.problem("/endpoints", format!("expected an array, found {}", value.describe()));
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let pointer = child("/endpoints", &i.to_string());
            // Vendor files pad some host names with spaces: taken trimmed.
            let host = item.get("endpoint").and_then(Json::as_str).map(str::trim);
            match (item.get("regionId").and_then(Json::as_str), host) {
                (Some(region), Some(host)) if valid_host(host) => spec.endpoints.push((region.into(), host.into())),
                (Some(_), Some(host)) => {
                    self.problem(&child(&pointer, "endpoint"), format!("`{host}` is not a host name"))
                }
                _ => self.problem(&pointer, "expected {\"regionId\": string, \"endpoint\": string}"),
            }
        }
    }

    fn components(&mut self, value: &Json<'_>, spec: &mut Spec) {
        let Some(schemas) = value.get("schemas") else { return };
        let Some(members) = schemas.members() else {
            self.problem("/components/schemas", format!("expected an object, found {}", schemas.describe()));
            return;
        };
        self.duplicates(members, "/components/schemas");
        for (name, schema) in members {
            let pointer = child("/components/schemas", name);
            spec.components.push((name.to_string(), self.schema(schema, pointer)));
        }
    }

    fn api(&mut self, name: &str, value: &Json<'_>, pointer: String) -> Option<Api> {
        if value.members().is_none() {
            self.problem(&pointer, format!("expected an operation object, found {}", value.describe()));
            return None;
        }
        let methods = self.methods(value, &pointer);
        let mut params = Vec::new();
        match value.get("parameters") {
            None => {}
            Some(Json::Arr(items)) => {
                let list_pointer = child(&pointer, "parameters");
                for (i, item) in items.iter().enumerate() {
                    if let Some(param) = self.param(item, child(&list_pointer, &i.to_string())) {
                        match params.iter().find(|p: &&Param| p.name == param.name) {
                            None => params.push(param),
                            // Vendor files repeat parameters (ECS declares `RegionId` twice in dozens of
                            // operations): the first declaration wins.
                            Some(first) if first.location == param.location => {}
                            Some(_) => self.problem(
                                &child(&list_pointer, &i.to_string()),
                                format!("parameter `{}` is declared again in another location", param.name),
                            ),
                        }
                    }
                }
            }
            Some(other) => {
                self.problem(&child(&pointer, "parameters"), format!("expected an array, found {}", other.describe()))
            }
        }
        let response = match value.get("responses").and_then(|r| r.get("200")) {
            Some(ok) => {
                ok.get("schema").map(|s| self.schema(s, child(&child(&child(&pointer, "responses"), "200"), "schema")))
            }
            None => None,
        };
        let mut error_codes = Vec::new();
        if let Some(codes) = value.get("errorCodes").and_then(Json::members) {
            for (status, list) in codes {
                if let Json::Arr(list) = list {
                    for entry in list {
                        if let Some(code) = entry.get("errorCode").and_then(Json::as_str) {
                            error_codes.push(ErrorCode {
                                status: status.to_string(),
                                code: code.to_owned(),
                                message: Self::text(entry.get("errorMessage")).unwrap_or_default(),
                            });
                        }
                    }
                }
            }
        }
        Some(Api {
            name: name.to_owned(),
            docs: Self::docs(value),
            methods,
            path: self.path(value, &pointer, &params),
            deprecated: self.flag(value, &pointer, "deprecated"),
            operation_type: value.get("operationType").and_then(Json::as_str).map(str::to_owned),
            changes: matches!(
                value.get("systemTags").and_then(|t| t.get("operationType")).and_then(Json::as_str),
                Some("create" | "update" | "delete")
            ),
            anonymous: Self::anonymous(value),
            params,
            response,
            error_codes,
        })
    }

    /// `methods`: the ones an operation can be sent with. `head`, `trace` and `options` appear in vendor
    /// files beside a real method and are left out.
    fn methods(&mut self, api: &Json<'_>, pointer: &str) -> Vec<String> {
        const SENT: [&str; 5] = ["get", "post", "put", "delete", "patch"];
        let Some(value) = api.get("methods") else { return Vec::new() };
        let Json::Arr(items) = value else {
            self.problem(&child(pointer, "methods"), format!("expected an array, found {}", value.describe()));
            return Vec::new();
        };
        let mut methods = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str().map(str::to_ascii_lowercase) {
                Some(m) if SENT.contains(&m.as_str()) => methods.push(m),
                Some(m) if ["head", "trace", "options"].contains(&m.as_str()) => {}
                _ => self.problem(
                    &child(&child(pointer, "methods"), &i.to_string()),
                    "expected one of \"get\", \"post\", \"put\", \"delete\", \"patch\"",
                ),
            }
        }
        methods
    }

    /// The path template of a ROA operation: present, absolute, each `{Name}` a path parameter and each
    /// path parameter in it. Other styles send to `/`.
    fn path(&mut self, api: &Json<'_>, pointer: &str, params: &[Param]) -> Option<String> {
        if self.style != ApiStyle::Roa {
            return None;
        }
        let at = child(pointer, "path");
        let path = match api.get("path") {
            Some(Json::Str(s)) if s.trim().starts_with('/') => s.trim().to_owned(),
            Some(other) => {
                self.problem(&at, format!("expected a path starting with `/`, found {}", found(other)));
                return None;
            }
            None => {
                self.problem(pointer, "a ROA-style operation needs a `path`");
                return None;
            }
        };
        let mut placeholders = Vec::new();
        for piece in path.split('{').skip(1) {
            match piece.split_once('}') {
                Some((name, _)) if !name.is_empty() && !name.contains(['/', '{']) => placeholders.push(name),
                _ => {
                    self.problem(&at, format!("`{path}` has a `{{` without a name and a closing `}}`"));
                    return None;
                }
            }
        }
        for name in &placeholders {
            if !params.iter().any(|p| p.location == Location::Path && p.name == *name) {
                self.problem(&at, format!("`{{{name}}}` in `{path}` is not a path parameter of the operation"));
            }
        }
        for param in params.iter().filter(|p| p.location == Location::Path) {
            if !placeholders.contains(&param.name.as_str()) {
                let at = param.schema.pointer.strip_suffix("/schema").unwrap_or(&param.schema.pointer).to_owned();
                self.problem(&at, format!("path parameter `{}` has no `{{{}}}` in `{path}`", param.name, param.name));
            }
        }
        Some(path)
    }

    /// Whether `security` lists schemes and none is `AK`: an access key is not how the caller proves who
    /// it is. Without `security`, an operation is signed.
    fn anonymous(api: &Json<'_>) -> bool {
        let Some(Json::Arr(schemes)) = api.get("security") else { return false };
        let names: Vec<&str> =
            schemes.iter().filter_map(Json::members).flat_map(|m| m.iter().map(|(k, _)| k.as_ref())).collect();
        !names.is_empty() && !names.contains(&"AK")
    }

    fn param(&mut self, value: &Json<'_>, pointer: String) -> Option<Param> {
        if value.members().is_none() {
            self.problem(&pointer, format!("expected a parameter object, found {}", value.describe()));
            return None;
        }
        let name = match value.get("name") {
            Some(Json::Str(s)) if !s.trim().is_empty() => s.trim().to_owned(),
            Some(other) => {
                self.problem(&child(&pointer, "name"), format!("expected a non-empty string, found {}", found(other)));
                return None;
            }
            None => {
                self.problem(&pointer, "the parameter has no `name`");
                return None;
            }
        };
        let location = match value.get("in").map(|v| v.as_str()) {
            Some(Some("query")) | Some(Some("host")) => Location::Query,
            Some(Some("formData")) => Location::Form,
            Some(Some("body")) => Location::Body,
            Some(Some("header")) => Location::Header,
            Some(Some("path")) if self.style == ApiStyle::Roa => Location::Path,
            Some(Some("path")) => {
                self.problem(
                    &child(&pointer, "in"),
                    "`in: path` belongs to ROA-style APIs, and this file is not one (its `info.style`)",
                );
                Location::Query
            }
            Some(Some(other)) => {
                self.problem(
                    &child(&pointer, "in"),
                    format!("unknown location `{other}` (expected query, formData, body, header or host)"),
                );
                Location::Query
            }
            Some(None) => {
                self.problem(&child(&pointer, "in"), "expected a string");
                Location::Query
            }
            None => {
                self.problem(&pointer, format!("parameter `{name}` has no `in`"));
                Location::Query
            }
        };
        let style = match value.get("style").map(|v| v.as_str()) {
            None => Style::Default,
            Some(Some("json")) => Style::Json,
            Some(Some("repeatList")) => Style::RepeatList,
            Some(Some("flat")) => Style::Flat,
            Some(Some("simple")) => Style::Simple,
            Some(Some("spaceDelimited")) => Style::SpaceDelimited,
            Some(Some("pipeDelimited")) => Style::PipeDelimited,
            Some(Some(other)) => {
                self.problem(
                    &child(&pointer, "style"),
                    format!("unsupported style `{other}` (expected json, repeatList, flat, simple, spaceDelimited or pipeDelimited)"),
                );
                Style::Default
            }
            Some(None) => {
                self.problem(&child(&pointer, "style"), "expected a string");
                Style::Default
            }
        };
        let schema = match value.get("schema") {
            Some(schema) if location == Location::Body && is_binary(schema) => {
                let mut read = self.schema(schema, child(&pointer, "schema"));
                read.kind = Kind::Binary;
                read
            }
            Some(schema) => self.schema(schema, child(&pointer, "schema")),
            None => {
                self.problem(&pointer, format!("parameter `{name}` has no `schema`"));
                return None;
            }
        };
        Some(Param { name, location, style, schema })
    }

    fn flag(&mut self, value: &Json<'_>, pointer: &str, key: &str) -> bool {
        match value.get(key) {
            None | Some(Json::Null) => false,
            Some(Json::Bool(b)) => *b,
            Some(Json::Str(s)) if s == "true" || s == "false" => s == "true",
            Some(other) => {
                self.problem(&child(pointer, key), format!("expected true or false, found {}", other.describe()));
                false
            }
        }
    }

    /// A count (`maxLength`, `maxItems`, …): a number or a numeric string, integral. One that cannot be
    /// meant — negative, or beyond i64 (vendor files have `minLength: -1` and `maxLength:
    /// 9223372036854776000`) — is ignored: no check is made.
    fn count(&mut self, value: &Json<'_>, pointer: &str, key: &str) -> Option<u64> {
        let v = value.get(key)?;
        let number = match v {
            Json::Int(n) => Some(*n as f64),
            Json::UInt(n) => Some(*n as f64),
            Json::Float(f) => Some(*f),
            Json::Str(s) => s.trim().parse::<f64>().ok(),
            Json::Null => return None,
            _ => None,
        };
        let exact = match v {
            Json::Int(n) => u64::try_from(*n).ok(),
            Json::UInt(n) => Some(*n),
            Json::Str(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        match number {
            Some(n) if n.is_finite() && n.fract() == 0.0 => {
                let meant = n >= 0.0 && n <= i64::MAX as f64;
                meant.then(|| exact.unwrap_or(n as u64)).filter(|c| *c <= i64::MAX as u64)
            }
            _ => {
                self.problem(
                    &child(pointer, key),
                    format!("expected a non-negative integer, found {}", describe_value(v)),
                );
                None
            }
        }
    }

    /// A bound (`maximum`, `minimum`): a number or a numeric string, exact for integers.
    fn bound(&mut self, value: &Json<'_>, pointer: &str, key: &str) -> Option<Bound> {
        let v = value.get(key)?;
        let parsed = match v {
            Json::Int(n) => Some(Bound::Int(i128::from(*n))),
            Json::UInt(n) => Some(Bound::Int(i128::from(*n))),
            Json::Float(f) => Some(Bound::Float(*f)),
            Json::Str(s) => {
                let s = s.trim();
                s.parse::<i128>()
                    .map(Bound::Int)
                    .ok()
                    .or_else(|| s.parse::<f64>().ok().filter(|f| f.is_finite()).map(Bound::Float))
            }
            Json::Null => return None,
            _ => None,
        };
        if parsed.is_none() {
            self.problem(&child(pointer, key), format!("expected a number, found {}", describe_value(v)));
        }
        parsed
    }

    fn schema(&mut self, value: &Json<'_>, pointer: String) -> Schema {
        if value.members().is_none() {
            self.problem(&pointer, format!("expected a schema object, found {}", value.describe()));
            return Schema::new(pointer, Kind::Any);
        }
        let kind = self.kind(value, &pointer);
        let mut schema = Schema::new(pointer, kind);
        let pointer = schema.pointer.clone();
        schema.docs = Self::docs(value);
        schema.required = self.flag(value, &pointer, "required");
        schema.deprecated = self.flag(value, &pointer, "deprecated");
        schema.example = match value.get("example") {
            Some(Json::Str(s)) => Some(s.to_string()),
            Some(Json::Int(n)) => Some(n.to_string()),
            Some(Json::UInt(n)) => Some(n.to_string()),
            Some(Json::Float(n)) => Some(n.to_string()),
            Some(Json::Bool(b)) => Some(b.to_string()),
            _ => None,
        };
        schema.max_length = self.count(value, &pointer, "maxLength");
        schema.min_length = self.count(value, &pointer, "minLength");
        schema.max_items = self.count(value, &pointer, "maxItems");
        schema.min_items = self.count(value, &pointer, "minItems");
        schema.maximum = self.bound(value, &pointer, "maximum");
        schema.minimum = self.bound(value, &pointer, "minimum");
        schema.exclusive_maximum = self.flag(value, &pointer, "exclusiveMaximum");
        schema.exclusive_minimum = self.flag(value, &pointer, "exclusiveMinimum");
        // A pair no value can meet says nothing meant: neither is checked.
        if schema.min_length.zip(schema.max_length).is_some_and(|(min, max)| min > max) {
            (schema.min_length, schema.max_length) = (None, None);
        }
        if schema.min_items.zip(schema.max_items).is_some_and(|(min, max)| min > max) {
            (schema.min_items, schema.max_items) = (None, None);
        }
        if matches!(schema.kind, Kind::Integer(_)) {
            // A bound no i64 reaches cannot be meant for an integer: not checked.
            schema.maximum = schema.maximum.filter(within_i64);
            schema.minimum = schema.minimum.filter(within_i64);
        }
        match value.get("pattern") {
            None | Some(Json::Null) => {}
            Some(Json::Str(p)) => match regex_lite::Regex::new(p) {
                Ok(_) => schema.pattern = Some(p.to_string()),
                Err(e) => {
                    self.problem(&child(&pointer, "pattern"), format!("`{p}` is not a valid regular expression: {e}"))
                }
            },
            Some(other) => {
                self.problem(&child(&pointer, "pattern"), format!("expected a string, found {}", other.describe()))
            }
        }
        match value.get("enum") {
            None | Some(Json::Null) => {}
            Some(Json::Arr(items)) => {
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Json::Str(s) => schema.enum_values.push(s.to_string()),
                        Json::Int(n) => schema.enum_values.push(n.to_string()),
                        Json::UInt(n) => schema.enum_values.push(n.to_string()),
                        Json::Bool(b) => schema.enum_values.push(b.to_string()),
                        other => self.problem(
                            &child(&child(&pointer, "enum"), &i.to_string()),
                            format!("enum values must be strings or numbers, found {}", other.describe()),
                        ),
                    }
                }
                schema.enum_values.dedup();
            }
            Some(other) => {
                self.problem(&child(&pointer, "enum"), format!("expected an array, found {}", other.describe()))
            }
        }
        if let Some(titles) = value.get("enumValueTitles").and_then(Json::members) {
            schema.enum_titles =
                titles.iter().filter_map(|(k, v)| v.as_str().map(|t| (k.to_string(), t.to_owned()))).collect();
        }
        match value.get("x-acsgen-sensitive") {
            None => {}
            Some(Json::Bool(b)) => schema.sensitive = Some(*b),
            Some(other) => self.problem(
                &child(&pointer, "x-acsgen-sensitive"),
                format!("expected true or false, found {}", other.describe()),
            ),
        }
        schema
    }

    fn kind(&mut self, value: &Json<'_>, pointer: &str) -> Kind {
        if let Some(reference) = value.get("$ref") {
            return match reference.as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
                Some(name) if !name.is_empty() && !name.contains('/') => Kind::Ref(name.to_owned()),
                _ => {
                    self.problem(&child(pointer, "$ref"), "expected \"#/components/schemas/<Name>\"");
                    Kind::Any
                }
            };
        }
        let declared = match value.get("type") {
            None | Some(Json::Null) => None,
            Some(Json::Str(t)) => Some(t.as_ref()),
            Some(other) => {
                self.problem(&child(pointer, "type"), format!("expected a type name, found {}", other.describe()));
                return Kind::Any;
            }
        };
        // A missing type is inferred from what the schema holds.
        let declared = declared.or_else(|| {
            if value.get("properties").is_some() || value.get("additionalProperties").is_some() {
                Some("object")
            } else if value.get("items").is_some() {
                Some("array")
            } else {
                None
            }
        });
        match declared {
            None => Kind::Any,
            Some("string") => Kind::String,
            Some("integer") => match value.get("format").and_then(Json::as_str) {
                Some("int32") => Kind::Integer(IntFormat::I32),
                _ => Kind::Integer(IntFormat::I64),
            },
            Some("number") => Kind::Number,
            Some("boolean") => Kind::Boolean,
            Some("any") => Kind::Any,
            Some("array") => match value.get("items") {
                Some(items) => Kind::Array(Box::new(self.schema(items, child(pointer, "items")))),
                None => {
                    // Common in vendor responses: a list of JSON values.
                    Kind::Array(Box::new(Schema::new(child(pointer, "items"), Kind::Any)))
                }
            },
            Some("object") => {
                let mut properties = Vec::new();
                match value.get("properties") {
                    None | Some(Json::Null) => {}
                    Some(Json::Obj(members)) => {
                        let props_pointer = child(pointer, "properties");
                        self.duplicates(members, &props_pointer);
                        for (name, schema) in members {
                            if name.trim().is_empty() {
                                self.problem(&props_pointer, "a property with an empty name");
                                continue;
                            }
                            properties.push((name.to_string(), self.schema(schema, child(&props_pointer, name))));
                        }
                    }
                    Some(other) => self.problem(
                        &child(pointer, "properties"),
                        format!("expected an object, found {}", other.describe()),
                    ),
                }
                let additional = match value.get("additionalProperties") {
                    None | Some(Json::Null) => Additional::Unspecified,
                    Some(Json::Bool(false)) => Additional::Forbidden,
                    Some(Json::Bool(true)) => Additional::Any,
                    Some(schema @ Json::Obj(_)) => {
                        Additional::Typed(Box::new(self.schema(schema, child(pointer, "additionalProperties"))))
                    }
                    Some(other) => {
                        self.problem(
                            &child(pointer, "additionalProperties"),
                            format!("expected a boolean or a schema, found {}", other.describe()),
                        );
                        Additional::Unspecified
                    }
                };
                Kind::Object { properties, additional }
            }
            Some(other) => {
                self.problem(
                    &child(pointer, "type"),
                    format!("unknown type `{other}` (expected string, integer, number, boolean, array or object)"),
                );
                Kind::Any
            }
        }
    }
}

fn describe_value(v: &Json<'_>) -> String {
    match v {
        Json::Str(s) => format!("\"{s}\""),
        other => other.describe().to_owned(),
    }
}

/// Whether an integer bound lies within i64 (what generated integer fields hold).
fn within_i64(bound: &Bound) -> bool {
    match *bound {
        Bound::Int(n) => i64::try_from(n).is_ok(),
        Bound::Float(f) => f >= i64::MIN as f64 && f <= i64::MAX as f64,
    }
}

fn valid_host(host: &str) -> bool {
    !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || "-.:_".contains(c))
}

fn collect_refs(schema: &Schema, out: &mut Vec<(String, String)>) {
    match &schema.kind {
        Kind::Ref(name) => out.push((name.clone(), child(&schema.pointer, "$ref"))),
        Kind::Array(items) => collect_refs(items, out),
        Kind::Object { properties, additional } => {
            for (_, p) in properties {
                collect_refs(p, out);
            }
            if let Additional::Typed(extra) = additional {
                collect_refs(extra, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        read(text, None).unwrap_err().into_iter().map(|p| format!("{}: {}", p.pointer, p.message)).collect()
    }

    #[test]
    fn every_problem_is_collected_with_its_pointer() {
        let text = r##"{"info":{"style":"RPC","product":"x","version":"1"},"apis":{
            "A":{"parameters":[
                {"name":"P","in":"query","schema":{"type":"strin"}},
                {"name":"Q","in":"cookie","schema":{"type":"string","maxLength":"many"}},
                {"in":"query","schema":{"type":"string"}},
                {"name":"R","in":"query","style":"xml","schema":{"type":"array"}},
                {"name":"S","in":"query","schema":{"$ref":"#/components/schemas/Missing"}},
                {"name":"T","in":"query","schema":{"type":"string","pattern":"(unclosed"}}
            ]}}}"##;
        assert_eq!(
            problems(text),
            [
                "/apis/A/parameters/0/schema/type: unknown type `strin` (expected string, integer, number, boolean, array or object)",
                "/apis/A/parameters/1/in: unknown location `cookie` (expected query, formData, body, header or host)",
                "/apis/A/parameters/1/schema/maxLength: expected a non-negative integer, found \"many\"",
                "/apis/A/parameters/2: the parameter has no `name`",
                "/apis/A/parameters/3/style: unsupported style `xml` (expected json, repeatList, flat, simple, spaceDelimited or pipeDelimited)",
                "/apis/A/parameters/5/schema/pattern: `(unclosed` is not a valid regular expression: found open group without closing ')'",
                "/apis/A/parameters/4/schema/$ref: `$ref` to `#/components/schemas/Missing`, which the file does not define",
            ]
        );
    }

    /// From the hostile-input pass: an operation named `""` was accepted, and an empty parameter name
    /// was refused as "expected a non-empty string, found a string".
    #[test]
    fn empty_names_are_refused_saying_so() {
        let text = r#"{"info":{"product":"x","version":"1"},"apis":{"":{},"A":{"parameters":[
            {"name":" ","in":"query","schema":{"type":"string"}}]}}}"#;
        assert_eq!(
            problems(text),
            [
                "/apis/: an operation's name (its key under `apis`) is empty",
                "/apis/A/parameters/0/name: expected a non-empty string, found an empty string",
            ]
        );
    }

    #[test]
    fn whole_file_problems() {
        assert_eq!(problems("[]"), [": the file is an array, expected an API metadata object"]);
        assert!(problems("{\"apis\": [").first().unwrap().contains("line 1"));
        for style in ["OSS", "SLS", "FC", "PDS", "AliGenie"] {
            let text = format!(r#"{{"info":{{"style":"{style}","product":"p","version":"v"}},"apis":{{}}}}"#);
            assert_eq!(
                problems(&text),
                [format!(
                    "/info/style: style `{style}` is not supported: it has a protocol of its own; acsgen generates clients for the RPC, ROA and V3 styles"
                )]
            );
        }
    }

    fn roa(apis: &str) -> String {
        format!(r#"{{"info":{{"style":"ROA","product":"p","version":"v"}},"apis":{{{apis}}}}}"#)
    }

    #[test]
    fn roa_paths_match_their_path_parameters() {
        let ok = roa(r#""A":{"path":"/clusters/{ClusterId}/pools/{pool_id}","methods":["get","head"],"parameters":[
            {"name":"ClusterId","in":"path","schema":{"type":"string"}},
            {"name":"pool_id","in":"path","schema":{"type":"string"}}]}"#);
        let spec = read(&ok, None).unwrap();
        assert_eq!(spec.style, ApiStyle::Roa);
        assert_eq!(spec.apis[0].path.as_deref(), Some("/clusters/{ClusterId}/pools/{pool_id}"));
        assert_eq!(spec.apis[0].methods, ["get"], "head is left out");
        let broken = roa(r#""A":{"path":"/clusters/{ClusterId}/x/{Other}","parameters":[
            {"name":"ClusterId","in":"path","schema":{"type":"string"}},
            {"name":"Unused","in":"path","schema":{"type":"string"}}]},
            "B":{"parameters":[]},
            "C":{"path":"/a/{b","parameters":[]}"#);
        assert_eq!(
            problems(&broken),
            [
                "/apis/A/path: `{Other}` in `/clusters/{ClusterId}/x/{Other}` is not a path parameter of the operation",
                "/apis/A/parameters/1: path parameter `Unused` has no `{Unused}` in `/clusters/{ClusterId}/x/{Other}`",
                "/apis/B: a ROA-style operation needs a `path`",
                "/apis/C/path: `/a/{b` has a `{` without a name and a closing `}`",
            ]
        );
    }

    #[test]
    fn path_parameters_belong_to_roa_files() {
        let text = r#"{"info":{"style":"RPC","product":"x","version":"1"},"apis":{"A":{"parameters":[
            {"name":"P","in":"path","schema":{"type":"string"}}]}}}"#;
        assert_eq!(
            problems(text),
            [
                "/apis/A/parameters/0/in: `in: path` belongs to ROA-style APIs, and this file is not one (its `info.style`)"
            ]
        );
    }

    #[test]
    fn vendor_quirks_are_accepted() {
        let text = r#"{"info":{"style":"RPC","product":"x","version":"1"},"apis":{"A":{"parameters":[
            {"name":"N","in":"query","schema":{"type":"integer","maximum":"9223372036854775807","minimum":"-1","example":"3"}},
            {"name":"F","in":"query","schema":{"properties":{"a":{"type":"string"}}}},
            {"name":"G","in":"formData","style":"json","schema":{"type":"array","items":{"type":"object"}}}
        ]}}}"#;
        let spec = read(text, None).unwrap();
        let params = &spec.apis[0].params;
        assert_eq!(params[0].schema.maximum, Some(Bound::Int(9_223_372_036_854_775_807)));
        assert!(matches!(params[1].schema.kind, Kind::Object { .. }));
        assert!(matches!(params[2].schema.kind, Kind::Array(_)));
    }

    /// The rules for what the vendor's generators accept and cannot be meant (README, "Vendor quirks"):
    /// padded host names are trimmed; a negative count, one beyond i64, a minimum above its maximum and
    /// an integer bound beyond i64 are not checked; counts written as `1.0` are counts; an array without
    /// `items` holds JSON values; `head` and `trace` are not methods to send with.
    #[test]
    fn constraints_that_cannot_be_meant_are_ignored() {
        let text = r#"{"info":{"style":"RPC","product":"x","version":"1"},
            "endpoints":[{"regionId":"cn-hangzhou","endpoint":"x.aliyuncs.com    "}],
            "apis":{"A":{"methods":["trace","head","post"],"parameters":[
            {"name":"S","in":"query","schema":{"type":"string","minLength":-1,"maxLength":9223372036854776000}},
            {"name":"L","in":"query","schema":{"type":"array","minItems":"5","maxItems":2,"items":{"type":"string"}}},
            {"name":"N","in":"query","schema":{"type":"integer","maximum":"99999999999999999999","minimum":-5}},
            {"name":"C","in":"query","schema":{"type":"string","maxLength":"64.0","minLength":1.0}},
            {"name":"U","in":"query","style":"json","schema":{"type":"array"}}
        ]}}}"#;
        let spec = read(text, None).unwrap();
        assert_eq!(spec.endpoints, [("cn-hangzhou".to_owned(), "x.aliyuncs.com".to_owned())]);
        assert_eq!(spec.apis[0].methods, ["post"]);
        let p = &spec.apis[0].params;
        assert_eq!((p[0].schema.min_length, p[0].schema.max_length), (None, None));
        assert_eq!((p[1].schema.min_items, p[1].schema.max_items), (None, None));
        assert_eq!((p[2].schema.maximum, p[2].schema.minimum), (None, Some(Bound::Int(-5))));
        assert_eq!((p[3].schema.min_length, p[3].schema.max_length), (Some(1), Some(64)));
        assert!(matches!(&p[4].schema.kind, Kind::Array(items) if matches!(items.kind, Kind::Any)));
        // What has no sensible reading stays an error.
        let broken = r#"{"info":{"product":"x","version":"1"},"apis":{"A":{"parameters":[
            {"name":"S","in":"query","schema":{"type":"string","maxLength":"lots"}}]}}}"#;
        assert_eq!(
            problems(broken),
            ["/apis/A/parameters/0/schema/maxLength: expected a non-negative integer, found \"lots\""]
        );
    }

    #[test]
    fn pointers_escape_slash_and_tilde() {
        assert_eq!(child("/apis", "a/b~c"), "/apis/a~1b~0c");
    }
}
