//! The `#[acsgen::api]` attribute (placeholder while the generator is built).
use proc_macro::TokenStream;

/// Generates a typed client from an API metadata file.
#[proc_macro_attribute]
pub fn api(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
