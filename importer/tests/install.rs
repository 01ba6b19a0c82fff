//! `cargo install --locked --path importer` gives a working `acsgen-import` command: installed into a
//! scratch root (built in the workspace's build directory, so it shares the release build of the
//! Quick start), it imports the sample into its bundled emulator.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("importer/ sits in the workspace").to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"))
}

#[test]
fn the_installed_command_imports_the_sample() {
    let root = target_dir().join("tests/install");
    let _ = std::fs::remove_dir_all(&root);
    let importer = workspace_root().join("importer");
    let output = Command::new(env!("CARGO"))
        .args(["install", "--locked", "--quiet", "--path"])
        .arg(&importer)
        .arg("--root")
        .arg(&root)
        .arg("--target-dir")
        .arg(target_dir())
        .output()
        .unwrap();
    assert!(output.status.success(), "cargo install failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let installed = root.join("bin/acsgen-import");
    let report = root.join("import-report.json");
    let output = Command::new(&installed)
        .current_dir(workspace_root())
        .args(["--emulator", "examples/data/callees.csv", "--report"])
        .arg(&report)
        .output()
        .unwrap();
    let shown = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.contains("3000 imported in 3 batches, 0 rejected, 0 uncertain"), "{shown}");
    assert!(shown.contains("the emulator holds 3000 records"), "{shown}");
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(written["imported"], 3000);
}
