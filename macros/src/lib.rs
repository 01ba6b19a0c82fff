//! `#[acsgen::api(spec = "…")]`: Alibaba Cloud API metadata in, a typed client out. Use it through the
//! `acsgen` crate, which re-exports it and provides the runtime the generated code calls.
//!
//! A thin layer over the generator library, `acsgen-codegen` (spec → model → IR → source text): it reads
//! the attribute's arguments and the spec file, hands the text of the generated module to the compiler's
//! lexer, and turns the generator's problems into compile errors at the literal they concern (the `spec`
//! path, or a name in `operations` / `idempotent`). Nothing here panics on any input (a last guard turns an
//! internal panic into an error that says so).

mod args;

use std::path::{Path, PathBuf};
use std::time::Instant;

use proc_macro::TokenStream;
use quote::quote;

use acsgen_codegen::{At, Request, generate};
use args::Args;

/// Generates a typed client for the API metadata file `spec` inside the annotated module.
///
/// ```ignore
/// #[acsgen::api(spec = "api-spec/aiccs-2019-10-15.json")]
/// pub mod aiccs {}
/// ```
///
/// Options: `spec = "path"` (required; relative to `CARGO_MANIFEST_DIR`), `operations = ["A", "B"]` (generate
/// only these), `crate = "::acsgen"` (where the runtime is), `idempotent = ["A"]` (operations safe to resend
/// besides the read-only ones), `endpoint_rule = "central" | "regional"` (overrides what the endpoint list
/// suggests). Editing the spec file rebuilds the crate.
#[proc_macro_attribute]
pub fn api(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(args as Args);
    let module = syn::parse_macro_input!(item as syn::ItemMod);
    let span = args.spec.span();
    let label = args.spec.value();
    let started = Instant::now();
    let output = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| expand(args, module)));
    let tokens = match output {
        Ok(Expansion::Tokens(tokens)) => tokens.into(),
        Ok(Expansion::Module { head, items, source }) => {
            // The generated text goes to the compiler's own lexer: proc-macro2's `parse` would first
            // re-lex it with its (here unoptimized) fallback lexer, which costs more than generating it.
            let mut body = proc_macro::TokenStream::from(items);
            match source.parse::<proc_macro::TokenStream>() {
                Ok(generated) => body.extend(generated),
                Err(e) => {
                    let message = format!(
                        "internal error in acsgen (please report it, with the spec file): generated code does not lex: {e}"
                    );
                    body.extend(proc_macro::TokenStream::from(syn::Error::new(span, message).to_compile_error()));
                }
            }
            let mut module = proc_macro::TokenStream::from(head);
            module.extend([proc_macro::TokenTree::Group(proc_macro::Group::new(proc_macro::Delimiter::Brace, body))]);
            module
        }
        Err(panic) => {
            let detail = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            syn::Error::new(span, format!("internal error in acsgen (please report it, with the spec file): {detail}"))
                .to_compile_error()
                .into()
        }
    };
    report_timing(&label, started);
    tokens
}

/// What an expansion produces: tokens (an error), or the module's head, the user's items and the
/// generated source text.
enum Expansion {
    Tokens(proc_macro2::TokenStream),
    Module { head: proc_macro2::TokenStream, items: proc_macro2::TokenStream, source: String },
}

fn expand(args: Args, module: syn::ItemMod) -> Expansion {
    let syn::ItemMod { attrs, vis, unsafety, mod_token, ident, content, semi, .. } = module;
    let Some((_, items)) = content else {
        return Expansion::Tokens(
            syn::Error::new_spanned(
                quote!(#mod_token #ident #semi),
                "#[acsgen::api] needs an inline module: `pub mod name {}`",
            )
            .to_compile_error(),
        );
    };
    let _ = unsafety;
    let label = args.spec.value();
    let path = resolve(&label);
    let head = quote! { #(#attrs)* #vis #mod_token #ident };
    let items = quote! { #(#items)* };
    let wrap = |generated: proc_macro2::TokenStream| Expansion::Tokens(quote! { #head { #items #generated } });
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            let message = if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "spec file not found: {} (`spec` is relative to the crate's Cargo.toml directory)",
                    path.display()
                )
            } else {
                format!("cannot read spec file {}: {e}", path.display())
            };
            return wrap(syn::Error::new(args.spec.span(), message).to_compile_error());
        }
    };
    let request = Request {
        text: &text,
        label: &label,
        spec_path: &path.to_string_lossy(),
        operations: args.operations.as_ref().map(|ops| ops.iter().map(syn::LitStr::value).collect()),
        runtime: &args.runtime,
        idempotent: args.idempotent.iter().map(syn::LitStr::value).collect(),
        central: args.central,
    };
    match generate(&request) {
        Ok(source) => Expansion::Module { head, items, source },
        Err(diagnostics) => {
            let mut errors = diagnostics.into_iter().map(|(at, message)| {
                let span = match at {
                    At::Spec => args.spec.span(),
                    At::Operation(i) => {
                        args.operations.as_ref().and_then(|o| o.get(i)).map_or(args.spec.span(), syn::LitStr::span)
                    }
                    At::Idempotent(i) => args.idempotent.get(i).map_or(args.spec.span(), syn::LitStr::span),
                };
                syn::Error::new(span, message)
            });
            let mut first = errors.next().unwrap_or_else(|| syn::Error::new(args.spec.span(), "invalid spec"));
            for e in errors {
                first.combine(e);
            }
            wrap(first.to_compile_error())
        }
    }
}

/// `spec` relative to the crate being compiled.
fn resolve(spec: &str) -> PathBuf {
    let path = Path::new(spec);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    let base = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default();
    base.join(path)
}

/// With `ACSGEN_TIMINGS=<file>`, appends how long this expansion took, from the attribute's arguments to
/// the finished tokens (used by the expansion benchmark).
fn report_timing(label: &str, started: Instant) {
    if let Some(file) = std::env::var_os("ACSGEN_TIMINGS") {
        use std::io::Write as _;
        let line = format!("{label}\t{:.1}\n", started.elapsed().as_secs_f64() * 1000.0);
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(file) {
            let _ = f.write_all(line.as_bytes());
        }
    }
}
