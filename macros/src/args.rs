//! The attribute's arguments: `spec = "…"` (required), `operations = […]`, `crate = "…"`,
//! `idempotent = […]` and `endpoint_rule = "central" | "regional"`.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{LitStr, Token, bracketed};

pub struct Args {
    pub spec: LitStr,
    pub operations: Option<Vec<LitStr>>,
    pub runtime: String,
    pub idempotent: Vec<LitStr>,
    pub central: Option<bool>,
}

fn list(input: ParseStream<'_>) -> syn::Result<Vec<LitStr>> {
    let content;
    bracketed!(content in input);
    Ok(Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?.into_iter().collect())
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut spec = None;
        let mut operations = None;
        let mut runtime = None;
        let mut idempotent = Vec::new();
        let mut central = None;
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("spec") {
                spec = Some(meta.value()?.parse::<LitStr>()?);
            } else if meta.path.is_ident("operations") {
                operations = Some(list(meta.value()?)?);
            } else if meta.path.is_ident("crate") {
                let path: LitStr = meta.value()?.parse()?;
                // Checked here so a typo is reported at the literal, not deep in generated code.
                path.parse::<syn::Path>()
                    .map_err(|_| syn::Error::new(path.span(), "expected a path, such as \"::acsgen\""))?;
                runtime = Some(path.value());
            } else if meta.path.is_ident("idempotent") {
                idempotent = list(meta.value()?)?;
            } else if meta.path.is_ident("endpoint_rule") {
                let rule: LitStr = meta.value()?.parse()?;
                central = Some(match rule.value().as_str() {
                    "central" => true,
                    "regional" => false,
                    _ => return Err(syn::Error::new(rule.span(), "expected \"central\" or \"regional\"")),
                });
            } else {
                return Err(meta
                    .error("unknown option; expected `spec`, `operations`, `crate`, `idempotent` or `endpoint_rule`"));
            }
            Ok(())
        });
        syn::parse::Parser::parse2(parser, input.parse::<proc_macro2::TokenStream>()?)?;
        let spec = spec.ok_or_else(|| {
            syn::Error::new(input.span(), "missing `spec = \"path/to/metadata.json\"` (relative to CARGO_MANIFEST_DIR)")
        })?;
        Ok(Args { spec, operations, runtime: runtime.unwrap_or_else(|| "::acsgen".to_owned()), idempotent, central })
    }
}
