//! What the evaluator's test files share: running a script with its output captured,
//! and listing the `.lfe` files of a golden folder.

#![allow(dead_code)] // Each test file uses part of it.

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use cube_lfe::{run_script, ScriptOptions};

/// An output sink the test can read back.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `source` as the script `name` with `args`: (stdout, stderr, status).
pub fn run_captured(
    source: &str,
    name: &str,
    args: &[String],
    opts: &ScriptOptions,
) -> (String, String, i32) {
    let out = Shared::default();
    let mut err = Vec::new();
    let status = run_script(source, name, args, Box::new(out.clone()), &mut err, opts);
    let stdout = String::from_utf8_lossy(&out.0.borrow()).into_owned();
    (stdout, String::from_utf8_lossy(&err).into_owned(), status)
}

/// The repository's `tests/lfe/<folder>`.
pub fn lfe_dir(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/lfe")
        .join(folder)
}

/// The `.lfe` files directly in `dir`, sorted.
pub fn lfe_files(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "lfe"))
        .collect();
    paths.sort();
    paths
}

/// A golden file's text: empty when the file is absent; a file that is there but is
/// not UTF-8 (the real `lfe` writes characters below 256 as Latin-1 bytes) stops the
/// test, so that it never compares against nothing.
#[allow(dead_code)]
pub fn golden(path: &Path) -> String {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .unwrap_or_else(|_| panic!("{} is not UTF-8: regenerate it from a program that prints only ASCII or Unicode above 255", path.display())),
        Err(_) => String::new(),
    }
}
