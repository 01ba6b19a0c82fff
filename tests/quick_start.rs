//! The README's Quick start, as written: its first command — the main job — is taken from the README and
//! run word for word (cargo finds the workspace from a scratch directory below its root, where the
//! sample's relative path is given a copy of the sample), and must import the sample into the emulator.
//! The README's offline-testing example is `offline_example.rs` word for word (which the suite runs).

use std::fs;
use std::process::Command;

use acsgen_tests::workspace_root;

/// The commands of the README's Quick start section.
fn quick_start_commands() -> Vec<String> {
    let readme = fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let section = readme.split("\n## Quick start").nth(1).expect("a Quick start section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let block = section.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("a sh block");
    block.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

#[test]
fn the_quick_start_commands_are_the_documented_ones() {
    assert_eq!(
        quick_start_commands(),
        [
            "cargo run --release --example import_callees -- --emulator examples/data/callees.csv",
            "cargo test --workspace"
        ]
    );
}

#[test]
fn the_quick_start_main_job_imports_the_sample() {
    let command = quick_start_commands().remove(0);
    // Below the workspace's root (whatever the build directory), so that cargo finds the workspace.
    let dir = workspace_root().join("target/tests/quick-start");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("examples/data")).unwrap();
    fs::copy(workspace_root().join("examples/data/callees.csv"), dir.join("examples/data/callees.csv")).unwrap();
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[0], "cargo");
    let output = Command::new(env!("CARGO"))
        .args(&words[1..])
        .current_dir(&dir)
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .output()
        .unwrap();
    let shown = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{command}:\n{shown}");
    assert!(shown.contains("3000 imported in 3 batches, 0 rejected, 0 uncertain"), "{shown}");
    assert_eq!(shown.lines().filter(|l| l.starts_with("batch ")).count(), 3, "every batch ID is printed: {shown}");
    assert!(shown.contains("the emulator holds 3000 records"), "{shown}");
    assert!(dir.join("import-report.json").is_file() && dir.join("import-report.journal").is_file());
}

#[test]
fn the_offline_testing_example_is_the_test_the_suite_runs() {
    let readme = fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let section = readme.split("\n## Testing your code offline").nth(1).expect("a Testing your code offline section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let block = section.split("```rust\n").nth(1).and_then(|b| b.split("```").next()).expect("a rust block");
    assert_eq!(block, include_str!("offline_example.rs"), "the README's example differs from tests/offline_example.rs");
}
