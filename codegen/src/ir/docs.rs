//! Documentation text from the metadata, made safe for rustdoc: fenced blocks become `text` blocks and
//! indentation is dropped, so nothing in a vendor description is ever compiled as a doctest.

use crate::spec::{Docs, Schema};

/// Sanitized lines of `text`.
pub fn lines(text: &str, out: &mut Vec<String>) {
    let mut in_fence = false;
    let text: std::borrow::Cow<'_, str> =
        if text.contains('\r') { text.replace("\r\n", "\n").replace('\r', "\n").into() } else { text.into() };
    for raw in text.split('\n') {
        let line = raw.trim();
        if line.starts_with("```") || line.starts_with("~~~") {
            out.push(if in_fence { "```".to_owned() } else { "```text".to_owned() });
            in_fence = !in_fence;
        } else if in_fence {
            out.push(raw.trim_end().to_owned());
        } else {
            out.push(line.to_owned());
        }
    }
    if in_fence {
        out.push("```".to_owned());
    }
}

/// Joins paragraphs with blank lines.
pub fn paragraphs(parts: &[Option<&str>]) -> Vec<String> {
    let mut out = Vec::new();
    for part in parts.iter().flatten() {
        if part.trim().is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(String::new());
        }
        lines(part, &mut out);
    }
    out
}

/// Headline and description: the title or summary, then the description when it says more.
pub fn describe(docs: &Docs) -> Vec<String> {
    let headline = docs.title.as_deref().or(docs.summary.as_deref());
    let mut parts = vec![headline];
    if docs.summary.is_some() && docs.title.is_some() && docs.summary != docs.title {
        parts.push(docs.summary.as_deref());
    }
    if docs.description.as_deref() != headline {
        parts.push(docs.description.as_deref());
    }
    paragraphs(&parts)
}

/// A field's documentation: its description, example and constraints.
pub fn field(schema: &Schema) -> Vec<String> {
    let mut out = describe(&schema.docs);
    let mut facts = Vec::new();
    if let Some(n) = schema.max_length {
        facts.push(format!("At most {n} characters."));
    }
    if let Some(n) = schema.min_length {
        facts.push(format!("At least {n} characters."));
    }
    if let Some(n) = schema.max_items {
        facts.push(format!("At most {n} items."));
    }
    if let Some(n) = schema.min_items {
        facts.push(format!("At least {n} items."));
    }
    if let Some(p) = &schema.pattern {
        facts.push(format!("Pattern: `{p}`."));
    }
    if !schema.enum_values.is_empty() {
        let values: Vec<String> = schema.enum_values.iter().map(|v| format!("`{v}`")).collect();
        facts.push(format!("One of {}.", values.join(", ")));
    }
    if let Some(example) = schema.example.as_deref().filter(|e| !e.contains('`') && !e.contains('\n')) {
        facts.push(format!("Example: `{example}`."));
    }
    if !facts.is_empty() {
        if !out.is_empty() {
            out.push(String::new());
        }
        out.push(facts.join(" "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_never_becomes_a_doctest() {
        let mut out = Vec::new();
        lines("Intro\n    indented code\n```json\n{\"a\": 1}\n```\n```\nunclosed", &mut out);
        assert_eq!(out, ["Intro", "indented code", "```text", "{\"a\": 1}", "```", "```text", "unclosed", "```"]);
    }
}
