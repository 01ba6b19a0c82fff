//! Writes the modules of the vendor-file suite: one `#[acsgen::api]` module per real metadata file in the
//! directory `ACSGEN_VENDOR_METADATA` names (absolute, or relative to the workspace root). Unset, the
//! suite is empty; set to a directory that lacks a file, the build fails naming it.

use std::path::{Path, PathBuf};

include!("vendor_files.rs");

fn main() {
    println!("cargo::rerun-if-env-changed=ACSGEN_VENDOR_METADATA");
    println!("cargo::rustc-check-cfg=cfg(vendor_metadata)");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("vendor.rs");
    let Some(dir) = std::env::var_os("ACSGEN_VENDOR_METADATA") else {
        std::fs::write(&out, "").expect("write the suite's modules");
        return;
    };
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = manifest.join("../..").join(dir);
    let mut modules = String::new();
    for (module, file) in VENDOR_FILES {
        let path = dir.join(file);
        if !path.is_file() {
            eprintln!("ACSGEN_VENDOR_METADATA is {}, which has no {file}", dir.display());
            std::process::exit(1);
        }
        println!("cargo::rerun-if-changed={}", path.display());
        modules.push_str(&module_for(module, &path));
    }
    std::fs::write(&out, modules).expect("write the suite's modules");
    println!("cargo::rustc-cfg=vendor_metadata");
}

fn module_for(module: &str, path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_owned());
    format!(
        "/// `{}`.\n#[acsgen::api(spec = {:?})]\npub mod {module} {{}}\n",
        path.display(),
        path.display().to_string()
    )
}
