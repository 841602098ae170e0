//! Writing reports and snapshots: to stdout, or to a file atomically (a temporary file in the same
//! directory, flushed and synced, then renamed over the target) so a reader never sees half a file.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `contents` to `path` atomically.
pub fn atomic_write(path: &Path, contents: &[u8]) -> Result<()> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".azaudit-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(contents).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Writes to `path` atomically, or to stdout when `path` is `None` or `-`.
pub fn write_output(path: Option<&Path>, contents: &str) -> Result<()> {
    match path {
        Some(p) if p != Path::new("-") => atomic_write(p, contents.as_bytes()),
        _ => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`azaudit … | head`) is not an error worth a message.
            match out.write_all(contents.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Io {
                    path: "<stdout>".into(),
                    source: e,
                }),
                _ => Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_whole_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.json");
        std::fs::write(&target, "old contents that are longer than the new ones").unwrap();
        atomic_write(&target, b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "{}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("report.json")]);
    }

    #[test]
    fn atomic_write_into_a_missing_directory_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("no/such/dir/report.json");
        let err = atomic_write(&target, b"{}").unwrap_err();
        assert!(err.to_string().contains("report.json"), "{err}");
        assert!(!target.exists());
    }
}
