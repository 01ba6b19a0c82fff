//! Rust names from wire names: snake_case and PascalCase, ASCII only, never a keyword, never starting with
//! a digit, and unique within their scope (later claimants get a suffix, so the result depends only on
//! declaration order).

use std::collections::{HashMap, HashSet};

use heck::{ToSnakeCase, ToUpperCamelCase};

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in",
    "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
    "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box",
    "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen", "union", "_",
];

/// Keeps ASCII letters, digits and `_`; everything else becomes `_`; runs of `_` collapse.
fn ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if c == '_' && out.ends_with('_') {
            continue;
        }
        out.push(c);
    }
    out.trim_matches('_').to_owned()
}

fn finish(mut name: String, digit_prefix: &str, fallback: &str) -> String {
    if name.is_empty() {
        name = fallback.to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, digit_prefix);
    }
    if KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// `PhoneNumberList` → `phone_number_list`; `calleeNumber` → `callee_number`; `type` → `type_`.
pub fn snake(text: &str, fallback: &str) -> String {
    finish(ascii(&ascii(text).to_snake_case()), "n", fallback)
}

/// `phone_number_list` → `PhoneNumberList`; `1st` → `N1st`.
pub fn pascal(text: &str, fallback: &str) -> String {
    finish(ascii(&ascii(text).to_upper_camel_case()), "N", fallback)
}

/// An enum variant from a value: `EXCEL` → `Excel`, `root-account` → `RootAccount`, `1` → `V1`.
pub fn variant(value: &str) -> String {
    let negative = value.strip_prefix('-').filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    let value = negative.map_or_else(|| value.to_owned(), |rest| format!("neg {rest}"));
    let name = ascii(&ascii(&value).to_upper_camel_case());
    let name = if name.is_empty() { "Value".to_owned() } else { name };
    if name.starts_with(|c: char| c.is_ascii_digit()) { format!("V{name}") } else { finish(name, "V", "Value") }
}

/// The order in which a struct's members claim their names: declaration order, except that among wire
/// names differing only by case (`Key`, `key`) the capitalised spelling claims first and gets the plain
/// name, the others a suffix. Decided by the names alone — never by `deprecated`, which a spec update may
/// flip without swapping two same-typed setters under a caller's code.
pub fn claim_order(wires: &[&str]) -> Vec<usize> {
    let mut first_of: HashMap<String, usize> = HashMap::new();
    let groups: Vec<usize> =
        wires.iter().enumerate().map(|(i, w)| *first_of.entry(w.to_ascii_lowercase()).or_insert(i)).collect();
    let mut order: Vec<usize> = (0..wires.len()).collect();
    order.sort_by_key(|&i| (groups[i], !wires[i].starts_with(|c: char| c.is_ascii_uppercase()), i));
    order
}

/// Names already taken in one scope (a module's types, a struct's fields, a client's methods).
#[derive(Debug, Default, Clone)]
pub struct Scope {
    reserved: &'static [&'static str],
    taken: HashSet<String>,
}

impl Scope {
    pub fn with_reserved(reserved: &'static [&'static str]) -> Self {
        Self { reserved, taken: HashSet::new() }
    }

    fn take(&mut self, name: &str) -> bool {
        !self.reserved.contains(&name) && self.taken.insert(name.to_owned())
    }

    /// Claims `name`, or `name2`, `name3`… (`name_2` for snake case) when taken.
    pub fn claim(&mut self, name: String) -> String {
        if self.take(&name) {
            return name;
        }
        let snake_like = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        (2..)
            .map(|n| if snake_like { format!("{name}_{n}") } else { format!("{name}{n}") })
            .find(|candidate| self.take(candidate))
            .unwrap_or(name)
    }

    /// Claims the first free of `candidates`, else numbers the last.
    pub fn claim_first(&mut self, candidates: &[String]) -> String {
        for c in candidates {
            if !self.reserved.contains(&c.as_str()) && !self.taken.contains(c) {
                return self.claim(c.clone());
            }
        }
        self.claim(candidates.last().cloned().unwrap_or_else(|| "Type".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_names() {
        assert_eq!(snake("PhoneNumberList", "f"), "phone_number_list");
        assert_eq!(snake("calleeNumber", "f"), "callee_number");
        assert_eq!(snake("type", "f"), "type_");
        assert_eq!(snake("Self", "f"), "self_");
        assert_eq!(snake("1stName", "f"), "n1st_name");
        assert_eq!(snake("startWordParam.key1", "f"), "start_word_param_key1");
        assert_eq!(snake("名字", "field"), "field");
        assert_eq!(snake("OSSFileName", "f"), "oss_file_name");
        assert_eq!(snake("--", "f"), "f");
    }

    #[test]
    fn pascal_and_variants() {
        assert_eq!(pascal("data", "T"), "Data");
        assert_eq!(pascal("Self", "T"), "Self_");
        assert_eq!(pascal("2fa", "T"), "N2fa");
        assert_eq!(variant("EXCEL"), "Excel");
        assert_eq!(variant("root-account"), "RootAccount");
        assert_eq!(variant("1"), "V1");
        assert_eq!(variant("-1"), "Neg1");
        assert_eq!(variant("中"), "Value");
    }

    #[test]
    fn the_capitalised_spelling_claims_first() {
        assert_eq!(claim_order(&["key", "Other", "Key", "value", "VALUE", "Value"]), [2, 0, 1, 4, 5, 3]);
        assert_eq!(claim_order(&["a", "b"]), [0, 1]);
    }

    #[test]
    fn scopes_number_collisions_in_order() {
        let mut scope = Scope::with_reserved(&["send"]);
        assert_eq!(scope.claim("send".into()), "send_2");
        assert_eq!(scope.claim("a".into()), "a");
        assert_eq!(scope.claim("a".into()), "a_2");
        let mut types = Scope::default();
        assert_eq!(types.claim("Data".into()), "Data");
        assert_eq!(types.claim_first(&["Data".into(), "ResponseData".into()]), "ResponseData");
        assert_eq!(types.claim("Data".into()), "Data2");
    }
}
