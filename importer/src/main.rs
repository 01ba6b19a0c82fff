//! `acsgen-import`: loads a CSV or JSON Lines file of callees of any size into an aiccs AI call task —
//! validated, in batches of up to 1,000, within a request rate, journaled, resumable, with a report.

fn main() -> std::process::ExitCode {
    acsgen_import::cli::main("acsgen-import")
}
