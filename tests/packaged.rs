//! The crates as a registry would serve them: `cargo package` packs and verifies the five published
//! crates together, then a new crate depends on them by version — `acsgen` with feature `aiccs`, as a
//! user writes it — resolved to the packed `.crate` files (unpacked, not the workspace's folders), and
//! makes a call to the emulator through the ready-made client, then imports a few rows with the
//! importer's library.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use acsgen_tests::{target_dir, workspace_root};

const PUBLISHED: [&str; 5] = ["acsgen-codegen", "acsgen-macros", "acsgen", "acsgen-emulator", "acsgen-import"];

const USER_MAIN: &str = r#"
use acsgen::aiccs::{CalleeRecord, Client, DataType};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = acsgen_emulator::Emulator::new().start_local().await?;
    let config = acsgen::Config::builder().endpoint(emulator.endpoint()).credentials(emulator.credentials()).build()?;
    let client = Client::new(&config);
    let task = emulator.create_task();
    let records = vec![CalleeRecord::new("13800000000").out_id("a"), CalleeRecord::new("13900000000").out_id("b")];
    let answer = client.import_task_number_datas(task.as_str(), DataType::Json).phone_number_list(records).send().await?;
    println!("batch {:?}; the emulator holds {:?} records", answer.data, emulator.record_count(&task));
    // The importer library, from its package too.
    let mut options = acsgen_import::ImportOptions::new(task.clone(), std::env::temp_dir().join("packaged-user.json"));
    options.rate = None;
    let _ = std::fs::remove_file(&options.journal);
    let rows = (0..3u64).map(|i| acsgen_import::Row { line: i + 2, record: Ok(CalleeRecord::new(format!("1{i:010}"))) });
    let summary = acsgen_import::import_rows(&client, &options, rows, |_| {}).await?;
    println!("imported {} more; the emulator holds {:?} records", summary.imported, emulator.record_count(&task));
    Ok(())
}
"#;

fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Cargo, offline (everything it needs was fetched when the workspace was built), with its own build
/// directory so that it never waits for the one running this test, and its own home (see [`cargo_home`]).
fn cargo(dir: &Path, build: &Path) -> Command {
    let mut command = Command::new(env!("CARGO"));
    command.current_dir(dir).env("CARGO_TARGET_DIR", build).env("CARGO_HOME", cargo_home(build)).arg("--offline");
    command
}

/// A cargo home of the test's own, sharing the real one's registry index and downloaded crates: cargo
/// keeps the sources it unpacks from `cargo package`'s temporary registry under the home's
/// `registry/src`, and would verify against a stale copy of an unchanged version there. Those copies
/// are removed here, every time.
fn cargo_home(build: &Path) -> PathBuf {
    let home = build.join("cargo-home");
    let real = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"));
    fs::create_dir_all(home.join("registry/src")).unwrap();
    for shared in ["registry/index", "registry/cache"] {
        let link = home.join(shared);
        if fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(real.join(shared), &link).unwrap();
        }
    }
    for unpacked in fs::read_dir(home.join("registry/src")).unwrap() {
        let unpacked = unpacked.unwrap().path();
        // crates.io's sources never change under one version; the temporary registry's do.
        if !unpacked.file_name().is_some_and(|name| name.to_string_lossy().starts_with("index.crates.io")) {
            fs::remove_dir_all(&unpacked).unwrap();
        }
    }
    home
}

/// Packs and verifies the published crates; gives each one's `.crate` file.
fn package(build: &Path) -> Vec<PathBuf> {
    // What the verification builds from the temporary registry is fingerprinted by version alone, as
    // registry crates are: an earlier run's build of an unchanged version would be taken as current.
    let mut clean = cargo(&workspace_root(), build);
    clean.arg("clean");
    for name in PUBLISHED {
        clean.args(["-p", name]);
    }
    run(&mut clean);
    let mut command = cargo(&workspace_root(), build);
    // The working tree, committed or not, is what is tested.
    command.args(["package", "--allow-dirty"]);
    for name in PUBLISHED {
        command.args(["-p", name]);
    }
    run(&mut command);
    PUBLISHED.iter().map(|name| build.join(format!("package/{name}-0.1.0.crate"))).collect()
}

/// The published crates the user's crate pulls in: all four.
const USED: [&str; 5] = PUBLISHED;

/// A crate that depends on the published crates by version, each patched to its unpacked `.crate`.
fn user_crate(dir: &Path, unpacked: &Path) {
    let patches: String = USED
        .iter()
        .map(|name| {
            format!("{name} = {{ path = {:?} }}\n", unpacked.join(format!("{name}-0.1.0")).display().to_string())
        })
        .collect();
    let manifest = format!(
        "[package]\nname = \"packaged-user\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n\
         [dependencies]\nacsgen = {{ version = \"0.1\", features = [\"aiccs\"] }}\nacsgen-emulator = \"0.1\"\n\
         acsgen-import = {{ version = \"0.1\", default-features = false }}\n\
         tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n[patch.crates-io]\n{patches}"
    );
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    fs::write(dir.join("src/main.rs"), USER_MAIN).unwrap();
    // The workspace's versions of everything else, so nothing new needs fetching.
    fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
}

#[test]
fn a_crate_built_from_the_packages_calls_the_emulator() {
    let work = target_dir().join("tests/packaged");
    let build = work.join("target");
    let (unpacked, user) = (work.join("unpacked"), work.join("user"));
    let _ = fs::remove_dir_all(&unpacked);
    let _ = fs::remove_dir_all(&user);
    fs::create_dir_all(&unpacked).unwrap();
    for file in package(&build) {
        run(Command::new("tar").arg("-xzf").arg(&file).arg("-C").arg(&unpacked));
    }
    assert!(
        unpacked.join("acsgen-0.1.0/api-spec/aiccs-2019-10-15.json").is_file(),
        "the ready client's spec ships inside the acsgen package"
    );
    user_crate(&user, &unpacked);
    let output = run(cargo(&user, &build).args(["run", "--quiet"]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("; the emulator holds Some(2) records"), "{stdout}");
    assert!(stdout.contains("imported 3 more; the emulator holds Some(5) records"), "{stdout}");
    assert!(stdout.starts_with("batch Some("), "{stdout}");
    // Built from the unpacked packages, not the workspace's folders.
    let tree = run(cargo(&user, &build).args(["tree", "--prefix", "none", "--format", "{p}"]));
    let tree = String::from_utf8_lossy(&tree.stdout);
    for name in USED {
        let from = unpacked.join(format!("{name}-0.1.0"));
        let line = tree.lines().find(|line| line.starts_with(&format!("{name} v"))).unwrap_or_default();
        assert!(line.contains(&from.display().to_string()), "{name} is not the package's: {line:?}\n{tree}");
    }
}
