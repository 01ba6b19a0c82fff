//! How deep a file's types nest. rustc checks that a generated request is `Send` and `Sync` by descending
//! through its fields, and gives up past a fixed recursion depth (E0275, "overflow evaluating the
//! requirement"); a long chain of `$ref`s crashes it, and the generator's own walk through the chain as
//! well. Every object, list and map is a level (measured: 41 lists nested in one another already fail,
//! as do 25 objects each holding a list of the next). A file whose types nest deeper than [`MAX_DEPTH`]
//! levels — through inline schemas and `$ref`s alike — is refused with an error at the schema that starts
//! the chain, before anything walks it.
//!
//! A `$ref` that leads back to a schema on its own path adds nothing: such a field is boxed, and rustc
//! settles the cycle.

use std::collections::HashMap;

use super::{Additional, Kind, Problem, Schema, Spec};

/// Levels of objects, lists and maps a type may nest: below rustc's limit whichever of them nest (the
/// tightest, lists in lists, fails at 41).
pub const MAX_DEPTH: usize = 32;

/// The problems: each operation parameter, response and component whose types nest too deep.
pub fn check(spec: &Spec) -> Vec<Problem> {
    let mut walk = Walk { spec, known: HashMap::new(), path: Vec::new() };
    let mut problems = Vec::new();
    let too_deep = |pointer: &str, depth: usize, problems: &mut Vec<Problem>| {
        if depth > MAX_DEPTH {
            problems.push(Problem {
                pointer: pointer.to_owned(),
                message: format!(
                    "its types nest more than {MAX_DEPTH} levels deep (objects, lists and maps, inline or through `$ref`s): rustc cannot check types nested that deep (E0275), so acsgen supports at most {MAX_DEPTH}"
                ),
            });
        }
    };
    for api in &spec.apis {
        for param in &api.params {
            // The request struct is one level above its parameters.
            too_deep(&param.schema.pointer, 1 + walk.depth(&param.schema, MAX_DEPTH), &mut problems);
        }
        if let Some(response) = &api.response {
            too_deep(&response.pointer, walk.depth(response, MAX_DEPTH + 1), &mut problems);
        }
    }
    if problems.is_empty() {
        // Components no operation uses are still generated: the deepest one names the chain.
        let deepest = spec.components.iter().find(|(name, _)| walk.component(name, MAX_DEPTH + 1).depth > MAX_DEPTH);
        if let Some((_, schema)) = deepest {
            too_deep(&schema.pointer, MAX_DEPTH + 1, &mut problems);
        }
    }
    problems
}

/// A depth search through the file's schemas, each `$ref` followed at most to the depth left.
struct Walk<'a> {
    spec: &'a Spec,
    /// Components whose depth is settled: found without running out of depth to search, and without
    /// depending on a component further up the path (a cycle still open).
    known: HashMap<&'a str, usize>,
    /// The components being walked, outermost first: a `$ref` back to one of them closes a cycle.
    path: Vec<&'a str>,
}

/// What a search found: the depth; whether it ran out of levels on the way; and the outermost component
/// of the path that a `$ref` below led back to (`usize::MAX` for none). Only a depth with neither
/// depends on nothing but the schema, and can be remembered.
#[derive(Clone, Copy)]
struct Found {
    depth: usize,
    cut: bool,
    back_to: usize,
}

impl Found {
    const LEAF: Found = Found { depth: 0, cut: false, back_to: usize::MAX };

    fn with(self, other: Found) -> Found {
        Found {
            depth: self.depth.max(other.depth),
            cut: self.cut || other.cut,
            back_to: self.back_to.min(other.back_to),
        }
    }
}

impl<'a> Walk<'a> {
    /// How many levels of objects, lists and maps `schema` nests, searched `left` levels down: a result
    /// over `left` means "deeper than `left`", the search having stopped there.
    fn depth(&mut self, schema: &'a Schema, left: usize) -> usize {
        self.search(schema, left).depth
    }

    fn search(&mut self, schema: &'a Schema, left: usize) -> Found {
        match &schema.kind {
            Kind::Ref(name) => self.component(name, left),
            Kind::Array(items) => self.level(left, |walk, left| walk.search(items, left)),
            Kind::Object { properties, additional } => {
                let map = match additional {
                    Additional::Typed(value) => Some(&**value),
                    _ => None,
                };
                // Members of a typed map are a level below the map, itself a field of the struct if any.
                let in_map = |walk: &mut Self, left| match map {
                    Some(value) => walk.level(left, |walk, left| walk.search(value, left)),
                    None => Found::LEAF,
                };
                if properties.is_empty() {
                    return in_map(self, left);
                }
                self.level(left, |walk, left| {
                    let fields = properties.iter().fold(Found::LEAF, |found, (_, p)| found.with(walk.search(p, left)));
                    fields.with(in_map(walk, left))
                })
            }
            _ => Found::LEAF,
        }
    }

    /// One level (a struct, a list, a map) over what `below` finds, searched with a level less left.
    fn level(&mut self, left: usize, below: impl FnOnce(&mut Self, usize) -> Found) -> Found {
        if left == 0 {
            return Found { depth: 1, cut: true, back_to: usize::MAX };
        }
        let below = below(self, left - 1);
        Found { depth: 1 + below.depth, ..below }
    }

    /// The depth of component `name`, searched `left` levels down.
    fn component(&mut self, name: &str, left: usize) -> Found {
        let Some((name, schema)) = self.spec.components.iter().find(|(n, _)| n == name) else { return Found::LEAF };
        if let Some(depth) = self.known.get(name.as_str()) {
            return Found { depth: *depth, ..Found::LEAF };
        }
        if let Some(at) = self.path.iter().position(|open| *open == name.as_str()) {
            return Found { back_to: at, ..Found::LEAF };
        }
        let at = self.path.len();
        self.path.push(name);
        let found = self.search(schema, left);
        self.path.pop();
        let settled = !found.cut && found.back_to >= at;
        if settled {
            self.known.insert(name, found.depth);
        }
        Found { back_to: if found.back_to >= at { usize::MAX } else { found.back_to }, ..found }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A file of the components `schemas`, and one operation with a parameter of `root`'s type when given.
    fn spec(schemas: serde_json::Value, root: Option<&str>) -> String {
        let params = root.map_or(json!([]), |r| {
            json!([{"name": "Root", "in": "query", "style": "json", "schema": {"$ref": format!("#/components/schemas/{r}")}}])
        });
        json!({"info": {"product": "p", "version": "1"}, "components": {"schemas": schemas},
               "apis": {"Put": {"methods": ["post"], "parameters": params}}})
        .to_string()
    }

    fn chain(n: usize) -> serde_json::Value {
        let schemas: serde_json::Map<String, serde_json::Value> = (0..n)
            .map(|i| {
                let next = json!({"$ref": format!("#/components/schemas/A{}", i + 1)});
                let properties = if i + 1 < n { json!({"Next": next}) } else { json!({"Value": {"type": "string"}}) };
                (format!("A{i}"), json!({"type": "object", "properties": properties}))
            })
            .collect();
        serde_json::Value::Object(schemas)
    }

    fn problems(text: &str) -> Vec<String> {
        match super::super::read(text, None) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.into_iter().map(|p| format!("{}: {}", p.pointer, p.message)).collect(),
        }
    }

    #[test]
    fn a_chain_of_3000_refs_is_a_clear_error_not_a_crash() {
        let found = problems(&spec(chain(3000), Some("A0")));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("/apis/Put/parameters/0/schema: its types nest more than 32 levels"), "{found:?}");
        // Unused by any operation, the chain is still generated: named at its first component.
        let found = problems(&spec(chain(3000), None));
        assert!(found[0].starts_with("/components/schemas/A0: its types nest"), "{found:?}");
    }

    #[test]
    fn chains_within_the_limit_and_cycles_are_accepted() {
        assert!(problems(&spec(chain(MAX_DEPTH - 1), Some("A0"))).is_empty());
        assert!(!problems(&spec(chain(MAX_DEPTH), Some("A0"))).is_empty(), "the request struct is a level too");
        let cycle = json!({
            "A": {"type": "object", "properties": {"B": {"$ref": "#/components/schemas/B"}}},
            "B": {"type": "object", "properties": {"A": {"$ref": "#/components/schemas/A"}, "Self": {"$ref": "#/components/schemas/B"}}}
        });
        assert!(problems(&spec(cycle, Some("A"))).is_empty());
    }

    /// Lists and maps are levels too: lists nested in lists, and objects each holding a list or a map of
    /// the next, fail in rustc well before 40 objects would.
    #[test]
    fn lists_and_maps_count_as_levels() {
        let nest = |levels: usize, wrap: &dyn Fn(serde_json::Value) -> serde_json::Value| {
            let schema = (0..levels).fold(json!({"type": "string"}), |inner, _| wrap(inner));
            json!({"info": {"product": "p", "version": "1"},
                   "apis": {"Put": {"methods": ["post"], "parameters": [{"name": "Root", "in": "query", "style": "json", "schema": schema}]}}})
            .to_string()
        };
        let list = |inner| json!({"type": "array", "items": inner});
        let map = |inner| json!({"type": "object", "additionalProperties": inner});
        let object_of_list = |inner| json!({"type": "object", "properties": {"L": {"type": "array", "items": inner}}});
        let object_of_map =
            |inner| json!({"type": "object", "properties": {"M": {"type": "object", "additionalProperties": inner}}});
        // The request struct is a level above the parameter.
        for (within, wrap) in [(MAX_DEPTH - 1, &list as &dyn Fn(_) -> _), (MAX_DEPTH - 1, &map)] {
            assert!(problems(&nest(within, wrap)).is_empty());
            assert!(problems(&nest(within + 1, wrap))[0].contains("nest more than 32 levels"));
        }
        for wrap in [&object_of_list as &dyn Fn(_) -> _, &object_of_map] {
            assert!(problems(&nest((MAX_DEPTH - 1) / 2, wrap)).is_empty());
            assert!(problems(&nest(MAX_DEPTH / 2, wrap))[0].contains("nest more than 32 levels"));
        }
    }

    /// Each level refers to the next twice: a search without remembering would take 2^40 steps.
    #[test]
    fn shared_components_are_searched_once() {
        let schemas: serde_json::Map<String, serde_json::Value> = (0..30)
            .map(|i| {
                let next = json!({"$ref": format!("#/components/schemas/D{}", i + 1)});
                (format!("D{i}"), json!({"type": "object", "properties": {"L": next, "R": next}}))
            })
            .chain([("D30".to_owned(), json!({"type": "string"}))])
            .collect();
        assert!(problems(&spec(serde_json::Value::Object(schemas), Some("D0"))).is_empty());
    }
}
