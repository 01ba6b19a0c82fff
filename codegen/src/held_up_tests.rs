//! Regression tests from a hostile-input pass: inputs the generator held up against, kept that way. Each
//! drives [`generate`] (spec text in, generated source or problems out) as the macro does.

use std::collections::HashSet;

use quote::ToTokens as _;

use crate::{At, Request, generate};

fn request(text: &str) -> Request<'_> {
    Request {
        text,
        label: "hostile.json",
        spec_path: "/spec.json",
        operations: None,
        runtime: "::acsgen",
        idempotent: Vec::new(),
        central: None,
    }
}

/// A file with one operation, `Put`, whose one parameter, `Root`, has the schema `schema` (JSON text).
fn put(schema: &str) -> String {
    let api = format!(
        r#"{{"methods":["post"],"parameters":[{{"name":"Root","in":"query","style":"json","schema":{schema}}}]}}"#
    );
    format!(r#"{{"info":{{"product":"p","version":"1"}},"apis":{{"Put":{api}}}}}"#)
}

/// Runs `f` on a thread with a 2 MiB stack. rustc expands proc macros on its main thread, which it gives
/// 8 MiB (`rustc_interface`'s default stack size), so passing here leaves a fourfold margin.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(2 << 20).spawn(f).unwrap().join().unwrap()
}

/// The generated source as a file, or a panic saying why it does not parse.
fn parse(source: &str) -> syn::File {
    syn::parse_file(source).unwrap_or_else(|e| panic!("generated code does not parse: {e}"))
}

/// Users rely on a file whose inline objects nest absurdly deep (5,000 levels of `properties` in one
/// parameter) being a compile error that says where, never a crash of rustc or of the macro. serde_json's
/// recursion limit (128 brackets) refuses it while parsing, at the line and column of the 128th bracket,
/// before any recursive code of ours runs; nesting within that limit but past 32 levels is refused by
/// the depth check, at the parameter's JSON pointer; 31 levels (32 with the request struct) generate.
/// All of it runs on a 2 MiB stack.
#[test]
fn inline_objects_nested_5000_deep_are_an_error_that_says_where() {
    const LEVEL: &str = r#"{"type":"object","properties":{"P":"#;
    let nest = |levels: usize| put(&format!(r#"{}{{"type":"string"}}{}"#, LEVEL.repeat(levels), "}}".repeat(levels)));
    let results = on_small_stack(move || [5000, 60, 32, 31].map(|levels| generate(&request(&nest(levels)))));
    let [deepest, past_limit, at_limit, within] = results;

    // Five brackets enclose the schema and each level opens two: the 128th opens the 62nd level.
    let text = nest(5000);
    let column = text.find(LEVEL).unwrap() + 61 * LEVEL.len() + 1;
    let message = format!("hostile.json: not valid JSON: recursion limit exceeded at line 1 column {column}");
    assert_eq!(deepest, Err(vec![(At::Spec, message)]));

    let too_deep = "hostile.json: /apis/Put/parameters/0/schema: its types nest more than 32 levels deep";
    for (levels, result) in [(60, past_limit), (32, at_limit)] {
        let errors = result.expect_err("refused");
        assert_eq!(errors.len(), 1, "{levels} levels: {errors:?}");
        assert!(errors[0].0 == At::Spec && errors[0].1.starts_with(too_deep), "{levels} levels: {errors:?}");
    }

    let source = within.unwrap_or_else(|e| panic!("31 levels: {e:?}"));
    parse(&source);
    // The innermost object (level 31) is named after its parent: `P`, `PP`, … (30 letters).
    assert!(source.contains(&format!("pub struct {} {{", "P".repeat(30))), "{source}");
}

/// The Rust types of the named fields of each struct at the top of the generated module, as
/// `(struct, field, type)` with the type's tokens unspaced.
fn top_fields(file: &syn::File) -> Vec<(String, String, String)> {
    let Some(syn::Item::Mod(syn::ItemMod { content: Some((_, items)), .. })) = file.items.first() else {
        panic!("no generated module")
    };
    let mut out = Vec::new();
    for item in items {
        if let syn::Item::Struct(s) = item {
            for f in &s.fields {
                let ty: String = f.ty.to_token_stream().to_string().split_whitespace().collect();
                out.push((s.ident.to_string(), f.ident.as_ref().unwrap().to_string(), ty));
            }
        }
    }
    out
}

/// Users rely on components that refer to each other (`A` has a field of type `B`, `B` one of type `A`)
/// giving types rustc accepts: a struct cannot hold itself, so every field whose type leads back to its
/// own struct without a list in between is boxed — here both halves of the cycle, optional or required —
/// with the constructor and setters boxing the value and validation looking through the box, while a field
/// outside the cycle stays as it is. (`tests/specs/shapes.json` only refers back through a list.)
#[test]
fn mutually_recursive_components_are_boxed_where_the_cycle_closes() {
    let text = r##"{"info":{"product":"p","version":"1"},"components":{"schemas":{
        "A":{"type":"object","properties":{"B":{"$ref":"#/components/schemas/B"},"C":{"$ref":"#/components/schemas/C"}}},
        "B":{"type":"object","properties":{"A":{"$ref":"#/components/schemas/A","required":true}}},
        "C":{"type":"object","properties":{"N":{"type":"string","maxLength":3}}}}},
        "apis":{"Put":{"methods":["post"],"parameters":[
            {"name":"Root","in":"query","style":"json","schema":{"$ref":"#/components/schemas/A"}}],
            "responses":{"200":{"schema":{"$ref":"#/components/schemas/B"}}}}}}"##;
    let source = generate(&request(text)).unwrap_or_else(|e| panic!("{e:?}"));
    let fields = top_fields(&parse(&source));
    let field = |s: &str, f: &str| fields.iter().find(|(a, b, _)| a == s && b == f).map(|(_, _, ty)| ty.as_str());
    assert_eq!(field("A", "b"), Some("Option<Box<B>>"), "{fields:?}");
    assert_eq!(field("B", "a"), Some("Box<A>"), "{fields:?}");
    assert_eq!(field("A", "c"), Some("Option<C>"), "{fields:?}");
    assert_eq!(field("PutRequest", "root"), Some("Option<A>"), "{fields:?}");

    let compact: String = source.split_whitespace().collect();
    assert!(compact.contains("pubfnnew(a:A)->Self{Self{a:Box::new(a),}}"), "{source}");
    assert!(compact.contains("pubfnb(mutself,value:B)->Self{self.b=Some(Box::new(value));self}"), "{source}");
    assert_eq!(compact.matches("Validate::validate(&**x,v)").count(), 2, "{source}");
    // Both are read from responses too (`B` is the answer): through the box, by the runtime's `Box<T>` impl.
    assert!(compact.contains(r#"a:o.take("A")?,"#) && compact.contains(r#"b:o.take("B")?,"#), "{source}");
}

/// Names declared twice in one scope of `items`, which rustc refuses and syn does not check: types and
/// modules, functions and constants, each struct's fields, each enum's variants, each type's inherent
/// associated items.
fn clashes(items: &[syn::Item], scope: &str, out: &mut Vec<String>) {
    let mut seen = HashSet::new();
    let mut declare = |namespace: String, name: String, out: &mut Vec<String>| {
        if name != "_" && !seen.insert((namespace.clone(), name.clone())) {
            out.push(format!("{scope}: {namespace} {name}"));
        }
    };
    for item in items {
        match item {
            syn::Item::Struct(s) => {
                declare("type".into(), s.ident.to_string(), out);
                for f in s.fields.iter().filter_map(|f| f.ident.as_ref()) {
                    declare(format!("field of {}", s.ident), f.to_string(), out);
                }
            }
            syn::Item::Enum(e) => {
                declare("type".into(), e.ident.to_string(), out);
                for v in &e.variants {
                    declare(format!("variant of {}", e.ident), v.ident.to_string(), out);
                }
            }
            syn::Item::Type(t) => declare("type".into(), t.ident.to_string(), out),
            syn::Item::Mod(m) => {
                declare("type".into(), m.ident.to_string(), out);
                if let Some((_, inner)) = &m.content {
                    clashes(inner, &format!("{scope}::{}", m.ident), out);
                }
            }
            syn::Item::Fn(f) => declare("value".into(), f.sig.ident.to_string(), out),
            syn::Item::Const(c) => declare("value".into(), c.ident.to_string(), out),
            syn::Item::Static(s) => declare("value".into(), s.ident.to_string(), out),
            syn::Item::Impl(i) if i.trait_.is_none() => {
                let ty = i.self_ty.to_token_stream().to_string();
                for member in &i.items {
                    match member {
                        syn::ImplItem::Fn(f) => declare(format!("item of {ty}"), f.sig.ident.to_string(), out),
                        syn::ImplItem::Const(c) => declare(format!("item of {ty}"), c.ident.to_string(), out),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// Users rely on any name a file uses — Rust keywords, `Self`, emoji, Chinese, a leading digit, names
/// that differ only in case, names the generated code uses itself (`new`, `send`) — giving code that
/// parses (syn refuses keywords and emoji as identifiers) with no name declared twice in one scope, while
/// every wire name (operation, parameter, property, enum value) is sent and read exactly as written.
#[test]
fn keyword_emoji_and_case_clashing_names_give_valid_unique_identifiers() {
    let names = ["type", "self", "Self", "crate", "async", "😀", "名前", "1st", "Name", "name", "NAME", "new", "send"];
    // Written out by hand, so the file declares everything in this order (serde_json's map would sort it).
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    let each = |template: &str| quoted.iter().map(|q| template.replace('Q', q)).collect::<Vec<_>>().join(",");
    let object = format!(r#"{{"type":"object","properties":{{{}}}}}"#, each(r#"Q:{"type":"string"}"#));
    let params = format!(
        r#"{},{{"name":"Object","in":"query","style":"json","schema":{object}}},{{"name":"Enum","in":"query","schema":{{"type":"string","enum":[{}]}}}}"#,
        each(r#"{"name":Q,"in":"query","schema":{"type":"string"}}"#),
        quoted.join(",")
    );
    let op = format!(r#""Op":{{"parameters":[{params}],"responses":{{"200":{{"schema":{object}}}}}}}"#);
    let text = format!(r#"{{"info":{{"product":"p","version":"1"}},"apis":{{{},{op}}}}}"#, each("Q:{}"));

    let source = generate(&request(&text)).unwrap_or_else(|e| panic!("{e:?}"));
    let file = parse(&source);
    let mut found = Vec::new();
    clashes(&file.items, "", &mut found);
    assert!(found.is_empty(), "declared twice: {found:?}");

    let listed: Vec<String> = names.iter().chain(&["Op"]).map(|n| format!("{n:?}")).collect();
    assert!(source.contains(&format!("pub const OPERATIONS: &[&str] = &[{}];", listed.join(", "))), "{source}");
    for n in names {
        let sent = format!("::encode::Location::Query, {n:?}, ");
        assert_eq!(source.matches(&sent).count(), 1, "parameter {n:?}");
        assert_eq!(source.matches(&format!("map.serialize_entry({n:?}, v)")).count(), 1, "property {n:?} sent");
        assert_eq!(source.matches(&format!("o.take({n:?})?")).count(), 1, "property {n:?} read");
        assert_eq!(source.matches(&format!("{n:?} => Self::")).count(), 1, "enum value {n:?}");
    }
}

/// Users rely on a huge documentation string (a 50 MB operation description, with escapes, Chinese text,
/// quote-hash sequences and line breaks) costing time in proportion to its size and being emitted once,
/// intact, as the method's doc comment. No timing is asserted; a quadratic step would show as a hang.
#[test]
fn a_50_mb_description_becomes_one_intact_doc_comment() {
    // As JSON text, and as the line it stands for.
    const JSON_LINE: &str = r##"一个很长的描述 with \"quotes\", a \\ backslash and r#\"raw\"# fences.\n"##;
    const LINE: &str = r##"一个很长的描述 with "quotes", a \ backslash and r#"raw"# fences."##;
    let lines = 50_000_000 / JSON_LINE.len();
    let description = format!("{}The end.", JSON_LINE.repeat(lines));
    let text =
        format!(r#"{{"info":{{"product":"p","version":"1"}},"apis":{{"Put":{{"description":"{description}"}}}}}}"#);
    drop(description);
    let source = generate(&request(&text)).unwrap_or_else(|e| panic!("{e:?}"));
    drop(text);
    let doc_len = lines * (LINE.len() + 1) + "The end.".len();
    assert!(source.len() < doc_len + 16_384, "{} bytes for {doc_len} of documentation", source.len());

    let file = parse(&source);
    drop(source);
    let syn::Item::Mod(syn::ItemMod { content: Some((_, items)), .. }) = &file.items[0] else { panic!() };
    let client = items.iter().find_map(|i| match i {
        syn::Item::Impl(i) if i.self_ty.to_token_stream().to_string() == "Client" => Some(i),
        _ => None,
    });
    let method = client.unwrap().items.iter().find_map(|i| match i {
        syn::ImplItem::Fn(f) if f.sig.ident == "put" => Some(f),
        _ => None,
    });
    let doc = match &method.expect("Client::put").attrs[0].meta {
        syn::Meta::NameValue(syn::MetaNameValue { path, value: syn::Expr::Lit(lit), .. }) if path.is_ident("doc") => {
            let syn::Lit::Str(s) = &lit.lit else { panic!("doc is not a string") };
            s.value()
        }
        other => panic!("not a doc attribute: {}", other.to_token_stream()),
    };
    let mut doc_lines = doc.split('\n');
    assert!(doc_lines.by_ref().take(lines).all(|l| l == LINE), "the description's lines changed");
    assert_eq!(doc_lines.next(), Some("The end."));
    assert_eq!(doc_lines.next(), Some(""));
    assert_eq!(
        doc_lines.next(),
        Some("`Put` POST, not idempotent: never resent once it may have reached the service.")
    );
}
