//! How deep a file's types nest. rustc checks that a generated request is `Send` and `Sync` by descending
//! through its fields, and gives up past a fixed recursion depth (E0275, "overflow evaluating the
//! requirement"); a long chain of `$ref`s crashes it. Every object, list and map is a level (measured: 41
//! lists nested in one another already fail, as do 25 objects each holding a list of the next). A file
//! whose types nest deeper than [`MAX_DEPTH`] levels — through inline schemas and `$ref`s alike — is
//! refused with an error at the schema that starts the chain.
//!
//! The components and their `$ref`s form a graph, taken apart into strongly connected groups (Tarjan's
//! algorithm, without recursion) and measured from the groups nothing is reached from upward, so each
//! component is measured once whatever order the file lists them in and however often it is shared. A
//! component outside any cycle nests exactly as deep as its deepest path. Within a cycle, the fields
//! leading back are boxed and rustc settles the cycle once it meets a type again, so it descends at most
//! once through each member: a group is bounded by the sum of its members' own levels plus the deepest
//! type it leads out to. The bound is loose only for groups that are already large.

use std::collections::HashMap;

use super::{Additional, Kind, Problem, Schema, Spec};

/// Levels of objects, lists and maps a type may nest: below rustc's limit whichever of them nest (the
/// tightest, lists in lists, fails at 41).
pub const MAX_DEPTH: usize = 32;

/// Depths are counted up to this and no further: all that matters past it is "too deep".
const CAP: usize = MAX_DEPTH + 1;

/// The problems: each operation parameter, response and component whose types nest too deep.
pub fn check(spec: &Spec) -> Vec<Problem> {
    let depths = Depths::of(spec);
    let mut problems = Vec::new();
    for api in &spec.apis {
        for param in &api.params {
            // The request struct is one level above its parameters.
            too_deep(&param.schema.pointer, 1 + depths.of_schema(&param.schema), &mut problems);
        }
        if let Some(response) = &api.response {
            too_deep(&response.pointer, depths.of_schema(response), &mut problems);
        }
    }
    if problems.is_empty() {
        // Components no operation uses are still generated: the deepest one names the chain.
        let deepest = depths.components.iter().enumerate().rev().max_by_key(|(_, depth)| **depth);
        if let Some((at, depth)) = deepest {
            too_deep(&spec.components[at].1.pointer, *depth, &mut problems);
        }
    }
    problems
}

fn too_deep(pointer: &str, depth: usize, problems: &mut Vec<Problem>) {
    if depth > MAX_DEPTH {
        problems.push(Problem {
            pointer: pointer.to_owned(),
            message: format!(
                "its types nest more than {MAX_DEPTH} levels deep (objects, lists and maps, inline or through `$ref`s): rustc cannot check types nested that deep (E0275), so acsgen supports at most {MAX_DEPTH}"
            ),
        });
    }
}

/// What a schema holds without following its `$ref`s: its own levels, and each `$ref` with the number of
/// levels around it.
#[derive(Default)]
struct Inline {
    levels: usize,
    refs: Vec<(usize, usize)>,
}

impl Inline {
    fn of(schema: &Schema, index: &HashMap<&str, usize>) -> Inline {
        let mut inline = Inline::default();
        inline.walk(schema, 0, index);
        inline
    }

    /// Walks `schema`, found `above` levels down; `index` gives a component's position by name.
    fn walk(&mut self, schema: &Schema, above: usize, index: &HashMap<&str, usize>) {
        match &schema.kind {
            Kind::Ref(name) => {
                // A `$ref` to a component the file lacks is reported by the reader.
                if let Some(&target) = index.get(name.as_str()) {
                    self.refs.push((target, above));
                }
            }
            Kind::Array(items) => self.level(above, |inline, below| inline.walk(items, below, index)),
            Kind::Object { properties, additional } => {
                // Members of a typed map are a level below the map, itself a field of the struct if any.
                let map = |inline: &mut Self, above| {
                    if let Additional::Typed(value) = additional {
                        inline.level(above, |inline, below| inline.walk(value, below, index));
                    }
                };
                if properties.is_empty() {
                    return map(self, above);
                }
                self.level(above, |inline, below| {
                    properties.iter().for_each(|(_, field)| inline.walk(field, below, index));
                    map(inline, below);
                });
            }
            _ => {}
        }
    }

    /// A level (a struct, a list, a map) found `above` levels down, over what `below` walks.
    fn level(&mut self, above: usize, below: impl FnOnce(&mut Self, usize)) {
        self.levels = self.levels.max(above + 1);
        below(self, above + 1);
    }
}

/// The depth of every component, in the file's order, counted up to [`CAP`].
struct Depths<'a> {
    index: HashMap<&'a str, usize>,
    components: Vec<usize>,
}

impl<'a> Depths<'a> {
    fn of(spec: &'a Spec) -> Depths<'a> {
        let index: HashMap<&str, usize> =
            spec.components.iter().enumerate().map(|(at, (name, _))| (name.as_str(), at)).collect();
        let inline: Vec<Inline> = spec.components.iter().map(|(_, schema)| Inline::of(schema, &index)).collect();
        let edges: Vec<Vec<usize>> =
            inline.iter().map(|i| i.refs.iter().map(|(target, _)| *target).collect()).collect();
        let groups = Tarjan::groups(&edges);
        let mut group_of = vec![0; inline.len()];
        for (at, group) in groups.iter().enumerate() {
            group.iter().for_each(|&member| group_of[member] = at);
        }
        let mut components = vec![0; inline.len()];
        // Each group only leads to groups found before it.
        for (at, group) in groups.iter().enumerate() {
            let outside = |target: usize| group_of[target] != at;
            let depth = group_depth(group, &inline, &components, outside);
            group.iter().for_each(|&member| components[member] = depth);
        }
        Depths { index, components }
    }

    /// How many levels `schema` nests, `$ref`s followed.
    fn of_schema(&self, schema: &Schema) -> usize {
        let inline = Inline::of(schema, &self.index);
        let through_refs = inline.refs.iter().map(|&(target, above)| above + self.components[target]);
        through_refs.fold(inline.levels, usize::max).min(CAP)
    }
}

/// The depth of a strongly connected `group` of components, those it leads `outside` to already in
/// `depths`.
fn group_depth(group: &[usize], inline: &[Inline], depths: &[usize], outside: impl Fn(usize) -> bool) -> usize {
    let exits = || group.iter().flat_map(|&member| inline[member].refs.iter().filter(|(target, _)| outside(*target)));
    if let [only] = group {
        // Exact: its deepest path, a `$ref` to itself adding nothing.
        return exits().map(|&(target, above)| above + depths[target]).fold(inline[*only].levels, usize::max).min(CAP);
    }
    let own: usize = group.iter().map(|&member| inline[member].levels).sum();
    let deepest_exit = exits().map(|&(target, _)| depths[target]).max().unwrap_or(0);
    (own + deepest_exit).min(CAP)
}

/// Tarjan's algorithm for the strongly connected groups of a graph, with its own stack of calls.
struct Tarjan {
    /// When each node was first reached (`UNSEEN` before).
    order: Vec<usize>,
    /// The earliest node still open that each node reaches.
    low: Vec<usize>,
    /// Nodes reached whose group is not settled yet, and whether each node is among them.
    open: Vec<usize>,
    is_open: Vec<bool>,
    next: usize,
}

impl Tarjan {
    const UNSEEN: usize = usize::MAX;

    /// The groups of the graph whose node `n` leads to `edges[n]`, each after every group it leads to.
    fn groups(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
        let n = edges.len();
        let mut tarjan = Tarjan {
            order: vec![Self::UNSEEN; n],
            low: vec![0; n],
            open: Vec::new(),
            is_open: vec![false; n],
            next: 0,
        };
        let mut found = Vec::new();
        for root in 0..n {
            if tarjan.order[root] == Self::UNSEEN {
                tarjan.search(root, edges, &mut found);
            }
        }
        found
    }

    fn search(&mut self, root: usize, edges: &[Vec<usize>], found: &mut Vec<Vec<usize>>) {
        let mut calls = vec![(root, 0)];
        self.reach(root);
        while let Some(&(node, edge)) = calls.last() {
            if let Some(&target) = edges[node].get(edge) {
                calls.last_mut().into_iter().for_each(|call| call.1 += 1);
                if self.order[target] == Self::UNSEEN {
                    self.reach(target);
                    calls.push((target, 0));
                } else if self.is_open[target] {
                    self.low[node] = self.low[node].min(self.order[target]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(caller, _)) = calls.last() {
                self.low[caller] = self.low[caller].min(self.low[node]);
            }
            if self.low[node] == self.order[node] {
                found.push(self.close(node));
            }
        }
    }

    fn reach(&mut self, node: usize) {
        (self.order[node], self.low[node], self.is_open[node]) = (self.next, self.next, true);
        self.next += 1;
        self.open.push(node);
    }

    /// Takes the group `root` heads off the open nodes.
    fn close(&mut self, root: usize) -> Vec<usize> {
        let mut group = Vec::new();
        while let Some(member) = self.open.pop() {
            self.is_open[member] = false;
            group.push(member);
            if member == root {
                break;
            }
        }
        group
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

    /// `n` components, each referring to every other one.
    fn all_to_all(n: usize) -> serde_json::Value {
        let schemas: serde_json::Map<String, serde_json::Value> = (0..n)
            .map(|i| {
                let properties: serde_json::Map<String, serde_json::Value> = (0..n)
                    .filter(|j| *j != i)
                    .map(|j| (format!("F{j}"), json!({"$ref": format!("#/components/schemas/C{j}")})))
                    .collect();
                (format!("C{i}"), json!({"type": "object", "properties": properties}))
            })
            .collect();
        serde_json::Value::Object(schemas)
    }

    /// A cycle is measured once through each member, whichever component the file lists first (rustc
    /// itself fails on 40 structs that each box all the others, and checks 30).
    #[test]
    fn cycles_are_measured_the_same_in_any_order() {
        for n in [8, 12, 30] {
            assert!(problems(&spec(all_to_all(n), Some("C0"))).is_empty(), "{n} components");
            assert!(problems(&spec(all_to_all(n), None)).is_empty(), "{n} components");
        }
        assert!(problems(&spec(all_to_all(40), Some("C0")))[0].contains("nest more than 32 levels"));
        assert!(problems(&spec(all_to_all(40), None))[0].starts_with("/components/schemas/C0: its types nest"));
        // A ring of three with a tail: the same answer whichever member is listed first.
        let ring = |first: usize| {
            let names = ["R0", "R1", "R2"];
            let schemas: serde_json::Map<String, serde_json::Value> = (0..3)
                .map(|k| (first + k) % 3)
                .map(|i| {
                    let next = json!({"$ref": format!("#/components/schemas/{}", names[(i + 1) % 3])});
                    let tail = json!({"$ref": "#/components/schemas/A0"});
                    (names[i].to_owned(), json!({"type": "object", "properties": {"Next": next, "Tail": tail}}))
                })
                .chain(chain(28).as_object().unwrap().clone())
                .collect();
            problems(&spec(serde_json::Value::Object(schemas), Some("R0"))).len()
        };
        assert_eq!([ring(0), ring(1), ring(2)], [0, 0, 0]);
    }

    /// Sixty levels, each referring to the next twice: refused at once, not searched 2^60 times.
    #[test]
    fn a_deep_shared_chain_is_refused_without_searching_every_path() {
        let schemas: serde_json::Map<String, serde_json::Value> = (0..60)
            .map(|i| {
                let next = json!({"$ref": format!("#/components/schemas/D{}", i + 1)});
                (format!("D{i}"), json!({"type": "object", "properties": {"L": next, "R": next}}))
            })
            .chain([("D60".to_owned(), json!({"type": "string"}))])
            .collect();
        let found = problems(&spec(serde_json::Value::Object(schemas), Some("D0")));
        assert!(found[0].starts_with("/apis/Put/parameters/0/schema: its types nest"), "{found:?}");
    }
}
