//! `import_callees`: loads a CSV or JSON Lines file of callees of any size into an AI call task —
//! validated, in batches of up to 1,000, within a request rate, journaled, resumable, with a report. The
//! `acsgen-import` command under another name (flags, output and exit statuses: `docs/importer.md`).
//!
//! ```sh
//! cargo run --release --example import_callees -- --emulator examples/data/callees.csv
//! cargo run --release --example import_callees -- --task-id 119181071278 crm-export.csv
//! ```

fn main() -> std::process::ExitCode {
    acsgen_import::cli::main("import_callees")
}
