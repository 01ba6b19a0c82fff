//! The process environment as providers see it: variables, files and the home directory, behind a trait
//! so tests can hand in their own.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Variables and files, as credential providers and [`crate::Config`] read them.
pub trait Environment: Send + Sync + fmt::Debug {
    /// A variable's value, `None` when unset or not valid Unicode.
    fn var(&self, name: &str) -> Option<String>;

    /// A file's contents.
    fn read_file(&self, path: &Path) -> io::Result<String>;

    /// The home directory: `HOME`, else `USERPROFILE`.
    fn home_dir(&self) -> Option<PathBuf> {
        self.var("HOME").or_else(|| self.var("USERPROFILE")).filter(|h| !h.is_empty()).map(PathBuf::from)
    }

    /// A variable that is set and non-empty.
    fn non_empty_var(&self, name: &str) -> Option<String> {
        self.var(name).filter(|v| !v.is_empty())
    }
}

/// The real process environment and file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEnvironment;

impl Environment for OsEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn read_file(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// An environment given in full: variables and files in memory. For tests, and for programs that take
/// their settings from somewhere other than the process environment.
#[derive(Default, Clone)]
pub struct FixedEnvironment {
    vars: BTreeMap<String, String>,
    files: BTreeMap<PathBuf, String>,
}

impl FixedEnvironment {
    /// No variables, no files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a variable.
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// Adds a file.
    pub fn file(mut self, path: impl Into<PathBuf>, contents: impl Into<String>) -> Self {
        self.files.insert(path.into(), contents.into());
        self
    }
}

impl fmt::Debug for FixedEnvironment {
    // Variable values can be secrets: names only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedEnvironment")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("files", &self.files.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Environment for FixedEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn read_file(&self, path: &Path) -> io::Result<String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{} not found", path.display())))
    }
}
