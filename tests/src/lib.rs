//! Support for acsgen's cross-crate tests: the Python virtual environment holding the vendor's official
//! SDK (created under `target/` on first use), and child processes that announce where they listen.
//! Its doctests are the Rust snippets of the README, the reference pages under `docs/` and the published
//! crates' READMEs: each is compiled (and run, unless marked `no_run`) by the suite.

pub mod capture;

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace").to_path_buf()
}

/// The directory build output goes to (`CARGO_TARGET_DIR`, else `target/`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"))
}

/// A file under `tests/python/`.
pub fn python_script(name: &str) -> PathBuf {
    workspace_root().join("tests/python").join(name)
}

/// The Python interpreter of the virtual environment that holds the vendor's official SDK, pinned by
/// `tests/python/requirements.txt`. Created on first use (under a file lock, so parallel test binaries
/// wait for one another); reused while the requirements file is unchanged.
pub fn python() -> PathBuf {
    let venv = target_dir().join("python-venv");
    let interpreter = venv.join("bin/python");
    let requirements = python_script("requirements.txt");
    let wanted = fs::read_to_string(&requirements).expect("tests/python/requirements.txt");
    let stamp = venv.join("acsgen-requirements.txt");
    fs::create_dir_all(target_dir()).expect("target directory");
    let lock = File::create(target_dir().join("python-venv.lock")).expect("lock file");
    lock.lock().expect("lock the venv");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) && interpreter.exists() {
        return interpreter;
    }
    let _ = fs::remove_dir_all(&venv);
    let python3 = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run(Command::new(&python3).args(["-m", "venv"]).arg(&venv), "create the Python venv");
    run(
        Command::new(&interpreter)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements),
        "install the official Python SDK from PyPI",
    );
    fs::write(&stamp, wanted).expect("venv stamp");
    interpreter
}

fn run(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A child process serving HTTP; killed when dropped.
pub struct ChildServer {
    child: Child,
    /// `http://HOST:PORT`, as the child announced it.
    pub endpoint: String,
}

impl ChildServer {
    /// Starts `command` and waits (up to 60 s) for its first stdout line, `listening on http://HOST:PORT`.
    pub fn start(command: &mut Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok);
            let _ = tx.send(first);
            // Keep draining so the child never blocks on a full pipe.
            for _ in lines {}
        });
        let started = Instant::now();
        let line = rx.recv_timeout(Duration::from_secs(60)).ok().flatten();
        let Some(endpoint) = line.as_deref().and_then(|l| l.strip_prefix("listening on ")).map(str::to_owned) else {
            let _ = child.kill();
            panic!("{command:?} did not announce its address within {:?}: {line:?}", started.elapsed());
        };
        Self { child, endpoint }
    }

    /// The process ID.
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A configuration for a client of `emulator`, with its first key and without retries (a test counts
/// every call).
pub fn emulator_config(emulator: &acsgen_emulator::RunningEmulator) -> acsgen::Config {
    acsgen::Config::builder()
        .endpoint(emulator.endpoint())
        .credentials(emulator.credentials())
        .retry_policy(acsgen::RetryPolicy::disabled())
        .build()
        .expect("a valid configuration")
}

/// Every item of a paginator's stream, each expected to be `Ok`.
pub async fn collected<T>(stream: impl futures_core::Stream<Item = Result<T, acsgen::Error>>) -> Vec<T> {
    use futures_util::StreamExt as _;
    stream.map(|item| item.expect("an item")).collect().await
}

/// The documentation's Rust snippets, as doctests (spec paths resolve through `tests/api-spec`).
#[cfg(doctest)]
mod documentation {
    #[doc = include_str!("../../README.md")]
    pub struct Readme;
    #[doc = include_str!("../../docs/generated-code.md")]
    pub struct GeneratedCode;
    #[doc = include_str!("../../docs/runtime.md")]
    pub struct Runtime;
    #[doc = include_str!("../../docs/importer.md")]
    pub struct Importer;
    #[doc = include_str!("../../docs/emulator.md")]
    pub struct Emulator;
    #[doc = include_str!("../../docs/performance.md")]
    pub struct Performance;
    #[doc = include_str!("../../runtime/README.md")]
    pub struct AcsgenReadme;
    #[doc = include_str!("../../macros/README.md")]
    pub struct MacrosReadme;
    #[doc = include_str!("../../importer/README.md")]
    pub struct ImportReadme;
    #[doc = include_str!("../../emulator/README.md")]
    pub struct EmulatorReadme;
}
