//! Load: turn the command line's inputs (files, directories, `-`) into source
//! files, in a stable order, each within the size limit.

use crate::diagnostic::{Code, Diagnostic, SourceFile};
use crate::dom::limits::MAX_FILE_BYTES;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const STDIN: &str = "-";

/// Read every input. Directories are walked recursively for `*.yaml` and
/// `*.yml`, sorted by path; hidden directories (`.git`) are skipped.
pub fn load_inputs(inputs: &[String]) -> (Vec<Arc<SourceFile>>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        if input == STDIN {
            let mut text = String::new();
            let limited = std::io::stdin()
                .take(MAX_FILE_BYTES as u64 + 1)
                .read_to_string(&mut text);
            match limited {
                Ok(n) if n > MAX_FILE_BYTES => errors.push(too_large("<stdin>")),
                Ok(_) => files.push(Arc::new(SourceFile {
                    name: "<stdin>".into(),
                    text,
                })),
                Err(e) => errors.push(Diagnostic::error(
                    Code::Io,
                    format!("cannot read standard input: {e}"),
                )),
            }
            continue;
        }
        let path = Path::new(input);
        if path.is_dir() {
            let mut found = Vec::new();
            if let Err(e) = walk(path, &mut found) {
                errors.push(io_error(path, &e));
            }
            found.sort();
            for p in found {
                read_file(&p, &mut files, &mut errors);
            }
        } else {
            read_file(path, &mut files, &mut errors);
        }
    }
    (files, errors)
}

/// Collect `*.yaml`/`*.yml` files below `dir`, skipping hidden folders.
pub fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let file_type = entry.file_type()?;
        if file_type.is_dir() && !hidden {
            walk(&path, found)?;
        } else if !file_type.is_dir() && is_yaml(&path) {
            found.push(path);
        }
    }
    Ok(())
}

/// Read the given files (already chosen, e.g. confined to a source directory).
pub fn load_paths(paths: &[PathBuf]) -> (Vec<Arc<SourceFile>>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        read_file(p, &mut files, &mut errors);
    }
    (files, errors)
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn read_file(path: &Path, files: &mut Vec<Arc<SourceFile>>, errors: &mut Vec<Diagnostic>) {
    let name = path.display().to_string();
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES as u64 => return errors.push(too_large(&name)),
        Ok(_) => {}
        Err(e) => return errors.push(io_error(path, &e)),
    }
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => files.push(Arc::new(SourceFile { name, text })),
            Err(_) => errors.push(Diagnostic::error(
                Code::Io,
                format!("{name} is not UTF-8 text"),
            )),
        },
        Err(e) => errors.push(io_error(path, &e)),
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(Code::Io, format!("cannot read {}: {e}", path.display()))
}

fn too_large(name: &str) -> Diagnostic {
    Diagnostic::error(
        Code::YamlLimit,
        format!("{name} is larger than {MAX_FILE_BYTES} bytes"),
    )
    .help("oamc reads Application manifests; split very large files")
}
