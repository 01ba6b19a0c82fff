//! Any product, served from its metadata file read at run time with the generator's own reader
//! (`acsgen_codegen::spec`): a signed request is routed to its operation by version and action (a ROA
//! operation's path must fit its template, whose placeholders become parameters), checked against the
//! operation's parameters ([`check`]), and answered with a body built from the response schema
//! ([`answer`]); a list operation pages over synthetic items ([`pages`]) by the rule generated
//! paginators follow.

mod answer;
mod check;
mod pages;
mod route;

use std::collections::HashMap;
use std::sync::Arc;

use acsgen_codegen::paging::{PagedOperation, paged_operations};
use acsgen_codegen::spec::{self, Api, ApiStyle, Kind, Location, Schema, Spec};
use serde_json::{Map, Value};

/// How many items a paged operation lists when not told otherwise.
pub const DEFAULT_LIST_ITEMS: usize = 25;

/// A spec that cannot be served: each problem with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The spec as named when added.
    pub label: String,
    /// `pointer: message` lines (or a single line about the file as a whole).
    pub problems: Vec<String>,
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} cannot be served:", self.label)?;
        self.problems.iter().try_for_each(|p| write!(f, "\n  {p}"))
    }
}

impl std::error::Error for SpecError {}

/// One product version's operations.
struct Product {
    spec: Spec,
    actions: HashMap<String, usize>,
    paged: HashMap<String, PagedOperation>,
    components: HashMap<String, usize>,
}

/// The schemas `$ref` names, for resolving references.
pub struct Components<'a> {
    spec: &'a Spec,
    index: &'a HashMap<String, usize>,
}

impl<'a> Components<'a> {
    /// `schema`, or what its reference chain ends at (the reader refuses dangling references and cycles
    /// of references alone, so this ends).
    pub fn resolve(&self, mut schema: &'a Schema) -> &'a Schema {
        for _ in 0..64 {
            let Kind::Ref(name) = &schema.kind else { break };
            let Some(&at) = self.index.get(name) else { break };
            schema = &self.spec.components[at].1;
        }
        schema
    }
}

/// A request as the served operations see it.
pub struct Call<'a> {
    pub method: &'a str,
    /// The path as sent (percent-encoded).
    pub path: &'a str,
    pub flat: &'a [(String, String)],
    pub body: Option<&'a Value>,
    pub headers: &'a [(String, String)],
    pub request_id: &'a str,
}

/// A refusal: HTTP status, the vendor's code and message.
pub type Failure = (u16, &'static str, String);

/// The products served from specs. Cloning shares the products (each spec is read once).
#[derive(Clone, Default)]
pub struct Catalog {
    products: Vec<Arc<Product>>,
    seed: u64,
    list_items: usize,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.served()).finish()
    }
}

impl Catalog {
    /// The same products, answering with `seed` and paging over `list_items` items.
    pub fn with(self, seed: u64, list_items: usize) -> Self {
        Catalog { seed, list_items, ..self }
    }

    /// Reads `text` (named `label` in errors) and serves its operations; an action a served spec of the
    /// same version has already is refused (requests name only version and action).
    pub fn add(&mut self, label: &str, text: &str) -> Result<(), SpecError> {
        let error = |problems| SpecError { label: label.to_owned(), problems };
        let spec = spec::read(text, None).map_err(|problems| {
            error(
                problems
                    .into_iter()
                    .map(|p| format!("{}: {}", p.pointer, p.message).trim_start_matches(": ").to_owned())
                    .collect(),
            )
        })?;
        let taken: Vec<String> = spec
            .apis
            .iter()
            .filter(|api| self.find(&spec.version, &api.name).is_some())
            .map(|api| format!("{} {} is served by an earlier spec", spec.version, api.name))
            .collect();
        if !taken.is_empty() {
            return Err(error(taken));
        }
        let actions = spec.apis.iter().enumerate().map(|(i, api)| (api.name.clone(), i)).collect();
        let paged = paged_operations(&spec).into_iter().map(|p| (p.action.clone(), p)).collect();
        let components = spec.components.iter().enumerate().map(|(i, (name, _))| (name.clone(), i)).collect();
        self.products.push(Arc::new(Product { spec, actions, paged, components }));
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    /// Whether any served operation has a resource path (ROA).
    pub fn has_paths(&self) -> bool {
        self.products.iter().any(|p| p.spec.style == ApiStyle::Roa)
    }

    /// `product version` of each served spec.
    pub fn served(&self) -> Vec<String> {
        self.products.iter().map(|p| format!("{} {}", p.spec.product, p.spec.version)).collect()
    }

    fn find(&self, version: &str, action: &str) -> Option<(&Product, &Api)> {
        self.products
            .iter()
            .filter(|p| p.spec.version == version)
            .find_map(|p| Some((&**p, &p.spec.apis[*p.actions.get(action)?])))
    }

    /// Whether `version` and `action` name a served operation.
    pub fn serves(&self, version: &str, action: &str) -> bool {
        self.find(version, action).is_some()
    }

    /// Whether some served spec has `version`.
    pub fn serves_version(&self, version: &str) -> bool {
        self.products.iter().any(|p| p.spec.version == version)
    }

    /// The product serving `version` (for the error bodies' host).
    pub fn product(&self, version: &str) -> Option<&str> {
        self.products.iter().find(|p| p.spec.version == version).map(|p| p.spec.product.as_str())
    }

    /// Answers `call` to the operation `version`/`action`: the body of a success, or the refusal.
    pub fn answer(&self, version: &str, action: &str, call: &Call<'_>) -> Result<Value, Failure> {
        let Some((product, api)) = self.find(version, action) else {
            return Err((
                404,
                "InvalidAction.NotFound",
                format!("Specified api `{}` is not found.", crate::params::shown(action)),
            ));
        };
        let path_params = route::route(product.spec.style, api, call)?;
        let components = Components { spec: &product.spec, index: &product.components };
        let sent = check::Sent { flat: call.flat, body: call.body, path: &path_params, headers: call.headers };
        let rule = body_rule(product.spec.style, api);
        if rule != check::BodyRule::Whole && call.body.is_some_and(|b| !b.is_object()) {
            return Err((400, "InvalidParameter", "The JSON body is not a JSON object.".to_owned()));
        }
        check::params(&api.params, &sent, &components, rule).map_err(|r| (400, r.code, r.message))?;
        let seed = answer::seed_of(self.seed, &[&product.spec.product, version, action, &request_text(call)]);
        let mut synth = answer::Synth::new(&components, seed);
        let mut body = match &api.response {
            Some(schema) => synth.value("Answer", schema, 0),
            None => Value::Object(Map::new()),
        };
        if let Some(paged) = product.paged.get(action) {
            let get = |name: &str| param(call, &path_params, name);
            let page = pages::page(paged, self.list_items, &get).map_err(|r| (400, r.code, r.message))?;
            let items = self.items(&product.spec, &components, api, paged, page.start..page.end);
            pages::fill(&mut body, paged, &page, items);
        }
        settle(&mut body, call.request_id);
        Ok(body)
    }

    /// Items `range` of a paged operation's synthetic list: item `i` is the same on whatever page.
    fn items(
        &self,
        spec: &Spec,
        components: &Components<'_>,
        api: &Api,
        paged: &PagedOperation,
        range: std::ops::Range<usize>,
    ) -> Vec<Value> {
        let Some(schema) = api.response.as_ref().and_then(|r| item_schema(components, r, &paged.list)) else {
            return Vec::new();
        };
        range
            .map(|i| {
                let seed =
                    answer::seed_of(self.seed, &[&spec.product, &spec.version, &api.name, "item", &i.to_string()]);
                let name = paged.list.last().map_or("Item", String::as_str);
                let mut item = answer::Synth::new(components, seed).value(name, schema, 1);
                answer::number_ids(&mut item, components.resolve(schema), i);
                item
            })
            .collect()
    }
}

/// How the operation's body parameters travel: in a ROA or V3 file a lone body parameter is the whole
/// body, or — an object with properties — its members are the body's (the generator's rule).
fn body_rule(style: ApiStyle, api: &Api) -> check::BodyRule {
    let bodies: Vec<_> = api.params.iter().filter(|p| p.location == Location::Body).collect();
    match (style, bodies.as_slice()) {
        (ApiStyle::Rpc, _) | (_, []) | (_, [_, _, ..]) => check::BodyRule::Each,
        (_, [one]) if matches!(&one.schema.kind, Kind::Object { properties, .. } if !properties.is_empty()) => {
            check::BodyRule::Members
        }
        _ => check::BodyRule::Whole,
    }
}

/// The schema of the items of the list at `path` in an answer of type `schema`.
fn item_schema<'a>(components: &Components<'a>, schema: &'a Schema, path: &[String]) -> Option<&'a Schema> {
    let mut current = components.resolve(schema);
    for key in path {
        let Kind::Object { properties, .. } = &current.kind else { return None };
        current = components.resolve(&properties.iter().find(|(name, _)| name == key)?.1);
    }
    match &current.kind {
        Kind::Array(items) => Some(items),
        _ => None,
    }
}

/// A request parameter by name: from the path, the query or form, or the JSON body.
fn param(call: &Call<'_>, path: &[(String, String)], name: &str) -> Option<String> {
    let pair = |list: &[(String, String)]| list.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    pair(path).or_else(|| pair(call.flat)).or_else(|| {
        call.body.and_then(|b| b.get(name)).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    })
}

/// What the answer's seed depends on besides the operation: the parameters, in a stable order, and the
/// body.
fn request_text(call: &Call<'_>) -> String {
    let mut flat: Vec<String> = call.flat.iter().map(|(k, v)| format!("{k}={v}")).collect();
    flat.sort();
    format!("{} {} {} {}", call.method, call.path, flat.join("&"), call.body.map(Value::to_string).unwrap_or_default())
}

/// The members every answer carries as the service sets them: its request ID, and success marks.
fn settle(body: &mut Value, request_id: &str) {
    let Value::Object(members) = body else { return };
    members.insert("RequestId".to_owned(), Value::String(request_id.to_owned()));
    if let Some(success) = members.get_mut("Success").filter(|v| v.is_boolean()) {
        *success = Value::Bool(true);
    }
    if let Some(status) = members.get_mut("HttpStatusCode").filter(|v| v.is_number()) {
        *status = Value::from(200);
    }
}

#[cfg(test)]
mod tests;
