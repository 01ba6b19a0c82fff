//! The generator behind `#[acsgen::api]`, as a library: API metadata JSON in, the source text of a typed
//! client out. The proc-macro crate (`acsgen-macros`) is a thin layer over it — arguments, spans, the
//! compiler's lexer — and tools that need the reader at run time (the fuzz target, an emulator serving any
//! spec) link it directly, which a proc-macro crate cannot be. [`paging`] states the paginator rule in
//! wire names for such tools.
//!
//! One direction, three stages: [`spec`] reads the metadata into a checked model, collecting every problem
//! with its JSON pointer; `ir` names every item and resolves every type; `emit` writes the code. No
//! input makes any stage panic (property-tested and fuzzed).

mod emit;
#[cfg(test)]
mod held_up_tests;
mod ir;
pub mod paging;
pub mod spec;
#[cfg(test)]
mod tests;

/// What the generator needs, free of tokens and spans (so tests can drive it directly).
pub struct Request<'a> {
    /// The spec file's text.
    pub text: &'a str,
    /// The spec path as the user wrote it, for messages.
    pub label: &'a str,
    /// The absolute spec path, for `include_str!`.
    pub spec_path: &'a str,
    /// Generate only these operations (all when `None`).
    pub operations: Option<Vec<String>>,
    /// The path of the runtime crate in generated code (`::acsgen`, or `crate` inside it).
    pub runtime: &'a str,
    /// Operations safe to resend besides the read-only ones.
    pub idempotent: Vec<String>,
    /// Overrides the endpoint rule the file's endpoint list suggests.
    pub central: Option<bool>,
}

/// Where a diagnostic belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The spec file (its path, as written).
    Spec,
    /// The `i`th name of the `operations` list.
    Operation(usize),
    /// The `i`th name of the `idempotent` list.
    Idempotent(usize),
}

/// Generates the module's source text, or every problem found.
pub fn generate(request: &Request<'_>) -> Result<String, Vec<(At, String)>> {
    let mut diagnostics = Vec::new();
    let known = |name: &str, names: &[String]| names.iter().any(|n| n == name);
    let needs_names = request.operations.is_some() || !request.idempotent.is_empty();
    let names = if needs_names { spec::operation_names(request.text) } else { Vec::new() };
    for (list, at) in [
        (request.operations.as_deref().unwrap_or_default(), At::Operation as fn(usize) -> At),
        (&request.idempotent[..], At::Idempotent),
    ] {
        for (i, name) in list.iter().enumerate() {
            if !names.is_empty() && !known(name, &names) {
                diagnostics.push((at(i), unknown_operation(name, &names, request.label)));
            }
        }
    }
    let spec = match spec::read(request.text, request.operations.as_deref()) {
        Ok(spec) => Some(spec),
        Err(problems) => {
            for p in problems {
                let message = if p.pointer.is_empty() {
                    format!("{}: {}", request.label, p.message)
                } else {
                    format!("{}: {}: {}", request.label, p.pointer, p.message)
                };
                diagnostics.push((At::Spec, message));
            }
            None
        }
    };
    match spec {
        Some(spec) if diagnostics.is_empty() => {
            let options = ir::Options { idempotent: request.idempotent.clone(), central: request.central };
            let ir = ir::build(&spec, &options);
            Ok(emit::module(&ir, request.runtime, request.spec_path))
        }
        _ => Err(diagnostics),
    }
}

fn unknown_operation(name: &str, names: &[String], label: &str) -> String {
    let wanted = name.to_ascii_lowercase();
    let mut close: Vec<(usize, &String)> =
        names.iter().map(|n| (strsim::levenshtein(&n.to_ascii_lowercase(), &wanted), n)).collect();
    close.sort();
    let limit = (name.len() / 4).max(2);
    let suggestions: Vec<String> =
        close.iter().take_while(|(d, _)| *d <= limit).take(3).map(|(_, n)| format!("`{n}`")).collect();
    if suggestions.is_empty() {
        format!("`{name}` is not an operation of {label}")
    } else {
        format!("`{name}` is not an operation of {label}; did you mean {}?", suggestions.join(" or "))
    }
}
