//! IR → Rust source. The emitter writes text and the compiler lexes it once (`TokenStream::from_str`):
//! in an unoptimized proc-macro build this is several times faster than assembling thousands of `quote!`
//! fragments, and ECS (347 operations) must expand in a few hundred milliseconds. Every identifier comes
//! from `ir::names` (valid, never a keyword) and every string is written as an escaped literal, so the text
//! always lexes.
//!
//! Generated items live in a private module `__acsgen` re-exported into the user's module, so the lint
//! allowances generated code needs never apply to the user's own items. Standard types are written with
//! prelude names inside `__acsgen`, where a user's `type Result<T> = …` in their module cannot reach them.

mod items;
mod paging;

use std::fmt::Write as _;

use crate::ir::{Home, Ir, Ty};

// Inside `__acsgen` only the standard prelude and our own names are in scope (our names never shadow
// prelude ones: `ir` reserves them), so these short names are unambiguous.
const OPTION: &str = "Option";
const VEC: &str = "Vec";
const STRING: &str = "String";
const MAP: &str = "BTreeMap";
const BOX: &str = "Box";
const RESULT: &str = "Result";

/// The runtime crate, as imported at the top of `__acsgen` and of each operation's module.
const RT: &str = "__rt";

/// A Rust string literal for `text`. Only `"`, `\\` and control characters need escapes; everything else
/// (descriptions are often Chinese) is copied as is, which is far cheaper than `{:?}` (it checks every
/// character against Unicode printability tables).
pub fn lit(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f | 0x7f => "",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{{{b:x}}}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
    out
}

/// The most `#`s a raw string's fence may have (rustc refuses more).
const MAX_FENCE: usize = 255;

/// Appends `prefix`, `text` as a raw string literal, then `suffix`. A raw string cannot hold a carriage
/// return, nor a quote followed by [`MAX_FENCE`] `#`s; such text is written as an escaped literal instead.
fn raw_literal(out: &mut String, prefix: &str, text: &str, suffix: &str) {
    // The fence needs one more `#` than the longest run of `#` after a quote in the text.
    let hashes = longest_quoted_hash_run(text) + 1;
    if text.contains('\r') || hashes > MAX_FENCE {
        out.push_str(prefix);
        out.push_str(&lit(text));
        out.push_str(suffix);
        return;
    }
    let fence = "#".repeat(hashes);
    out.push_str(prefix);
    out.push('r');
    out.push_str(&fence);
    out.push('"');
    out.push_str(text);
    out.push('"');
    out.push_str(&fence);
    out.push_str(suffix);
}

/// The longest run of `#` right after a `"` in `text` (one pass).
fn longest_quoted_hash_run(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut longest = 0;
    for (at, _) in bytes.iter().enumerate().filter(|(_, b)| **b == b'"') {
        let run = bytes[at + 1..].iter().take_while(|b| **b == b'#').count();
        longest = longest.max(run);
    }
    longest
}

/// Writes the generated items of `ir`; `runtime` is the path to the runtime crate as the user gave it,
/// `spec_path` the absolute path of the spec file.
pub fn module(ir: &Ir, runtime: &str, spec_path: &str) -> String {
    let mut w = Writer { out: String::with_capacity(ir.ops.len() * 6000 + 4096), ir, runtime: runtime.to_owned() };
    w.line("#[allow(clippy::all, clippy::pedantic, clippy::nursery, rustdoc::all, deprecated, unused, non_camel_case_types, non_snake_case, unreachable_pub, missing_docs, unused_qualifications)]");
    w.line("mod __acsgen {");
    let runtime_path = w.runtime_from_top();
    w.line(&format!("use {runtime_path} as {RT};"));
    w.line("use ::std::collections::BTreeMap;");
    w.line(&format!("const _: &str = ::core::include_str!({});", lit(spec_path)));
    items::service(&mut w);
    items::operations(&mut w);
    items::client(&mut w);
    let mut declared = vec![Vec::new(); ir.ops.len()];
    for (i, def) in ir.types.iter().enumerate() {
        match def.home {
            Home::Top => items::type_def(&mut w, i, Home::Top),
            Home::Op(op) => declared[op].push(i),
        }
    }
    for (i, op) in ir.ops.iter().enumerate() {
        items::operation(&mut w, op, i, &declared[i]);
    }
    w.line("}");
    w.line("#[doc(inline)]");
    w.line("pub use self::__acsgen::*;");
    w.out
}

/// Accumulates source text and knows how to name things from a given scope.
pub struct Writer<'a> {
    pub out: String,
    pub ir: &'a Ir,
    runtime: String,
}

impl Writer<'_> {
    pub fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// One `#[doc = …]` attribute holding every line, as a raw string (one attribute per item lexes far
    /// faster than one per line, and a raw string needs no escaping); a fallback when there is nothing to
    /// say, so `missing_docs` stays quiet.
    pub fn docs(&mut self, lines: &[String], fallback: &str) {
        let mut text = String::new();
        if lines.iter().all(|l| l.trim().is_empty()) {
            text.push_str(fallback);
        } else {
            for (i, l) in lines.iter().enumerate() {
                if i > 0 {
                    text.push('\n');
                }
                text.push_str(l);
            }
        }
        raw_literal(&mut self.out, "#[doc = ", &text, "]\n");
    }

    /// The runtime crate as generated code names it.
    pub fn rt(&self, _home: Home) -> &'static str {
        RT
    }

    /// The runtime crate's path as written in `__acsgen` (one level below the user's module).
    fn runtime_from_top(&self) -> String {
        if self.runtime.starts_with("::") || self.runtime == "crate" || self.runtime.starts_with("crate::") {
            self.runtime.clone()
        } else {
            format!("super::{}", self.runtime)
        }
    }

    /// The path of type `index` from `home`.
    pub fn type_path(&self, index: usize, from: Home) -> String {
        let def = &self.ir.types[index];
        match (def.home, from) {
            (a, b) if a == b => def.name.clone(),
            (Home::Top, Home::Op(_)) => format!("super::{}", def.name),
            (Home::Op(i), Home::Top) => format!("{}::{}", self.ir.ops[i].ident, def.name),
            (Home::Op(i), Home::Op(_)) => format!("super::{}::{}", self.ir.ops[i].ident, def.name),
            _ => def.name.clone(),
        }
    }

    /// The Rust type of `ty` as written from `home`.
    pub fn ty(&self, ty: &Ty, from: Home) -> String {
        match ty {
            Ty::String => STRING.to_owned(),
            Ty::I32 => "i32".to_owned(),
            Ty::I64 => "i64".to_owned(),
            Ty::F64 => "f64".to_owned(),
            Ty::Bool => "bool".to_owned(),
            Ty::Json => format!("{}::__private::serde_json::Value", self.rt(from)),
            Ty::Bytes => format!("{}::__private::bytes::Bytes", self.rt(from)),
            Ty::Vec(t) => format!("{VEC}<{}>", self.ty(t, from)),
            Ty::Map(t) => format!("{MAP}<{STRING}, {}>", self.ty(t, from)),
            Ty::Named(i) => self.type_path(*i, from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_FENCE, lit};

    #[test]
    fn raw_literals_lex_back_to_the_same_text() {
        let long_run = format!("\"{}", "#".repeat(MAX_FENCE));
        let many_runs = "\"#".repeat(100_000) + &format!("\"{}", "#".repeat(2000));
        let texts =
            ["plain", "a \"# quote-hash", "\"## and \"#", "中文 \\ \t", "carriage\rreturn", &long_run, &many_runs];
        for text in texts {
            let mut out = String::new();
            super::raw_literal(&mut out, "", text, "");
            // rustc refuses a raw string fenced with more `#`s (and the attribute then fails).
            let fence = out.strip_prefix('r').map_or(0, |raw| raw.bytes().take_while(|b| *b == b'#').count());
            assert!(fence <= MAX_FENCE, "a fence of {fence}");
            let parsed: syn::LitStr = syn::parse_str(&out).unwrap();
            assert_eq!(parsed.value(), text);
        }
    }

    #[test]
    fn literals_lex_back_to_the_same_text() {
        for text in ["plain", "quote \" and \\ backslash", "中文\n\r\t\u{1}\u{7f}", "{}{{", ""] {
            let parsed: syn::LitStr = syn::parse_str(&lit(text)).unwrap();
            assert_eq!(parsed.value(), text);
        }
    }
}
