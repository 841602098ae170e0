//! Writing reports and snapshots: to stdout, or to a file atomically (a temporary file beside the
//! file, flushed and synced, then renamed over it) so a reader never sees half a file.
//!
//! A symlink is followed and its final target replaced (the link stays a link). A target that is not
//! a regular file — a FIFO, a terminal, `/dev/null`, `/dev/stdout` — is written in place: renaming
//! over it would replace the node (as root, even in `/dev`) and the reader would get nothing.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// How many symlinks are followed before giving up (Linux's own limit).
const MAX_LINKS: usize = 40;

fn write_error(path: &Path, e: &std::io::Error) -> Error {
    use std::io::ErrorKind::*;
    let problem = match e.kind() {
        StorageFull => "no space left on device".to_string(),
        PermissionDenied => "permission denied".to_string(),
        NotFound => "no such file or directory".to_string(),
        ReadOnlyFilesystem => "read-only file system".to_string(),
        IsADirectory => "is a directory".to_string(),
        _ => e.to_string(),
    };
    Error::Output {
        path: path.to_path_buf(),
        problem,
    }
}

/// The file a write to `path` lands in: `path` with every symlink along the final component
/// followed, even a dangling one (its target is created).
fn resolve(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p).map_err(|e| write_error(path, &e))?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(Error::Output {
        path: path.to_path_buf(),
        problem: "too many levels of symbolic links".into(),
    })
}

/// Where a destination writes, for telling whether two destinations are the same file: `None` is
/// standard output (also for `-` and `/dev/stdout`), otherwise the canonical path of the target.
pub fn destination_key(path: Option<&Path>) -> Option<PathBuf> {
    let p = path.filter(|p| !is_stdout(p))?;
    let target = resolve(p).unwrap_or_else(|_| p.to_path_buf());
    if let Ok(c) = std::fs::canonicalize(&target) {
        return Some(c);
    }
    // Not there yet: its directory may still be reached by another spelling.
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = target.file_name().map(PathBuf::from).unwrap_or_default();
    Some(
        std::fs::canonicalize(dir)
            .unwrap_or_else(|_| dir.to_path_buf())
            .join(name),
    )
}

/// `-` and the names of this process's standard output.
fn is_stdout(p: &Path) -> bool {
    ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]
        .iter()
        .any(|s| p == Path::new(s))
}

/// Writes `contents` to `path` atomically, following symlinks to the file they name.
pub fn atomic_write(path: &Path, contents: &[u8]) -> Result<()> {
    atomic_write_with(path, &mut |w| w.write_all(contents))
}

/// What a destination receives: a function writing the document into a writer, so that a large
/// report streams into its file instead of being built as one string first.
pub type Body<'a> = dyn FnMut(&mut dyn Write) -> std::io::Result<()> + 'a;

fn atomic_write_with(path: &Path, body: &mut Body<'_>) -> Result<()> {
    let target = resolve(path)?;
    let io = |e: std::io::Error| write_error(path, &e);
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".azaudit-")
        .suffix(".tmp")
        .permissions(new_file_permissions())
        .tempfile_in(dir)
        .map_err(io)?;
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        body(&mut w).and_then(|_| w.flush()).map_err(io)?;
    }
    tmp.as_file().sync_all().map_err(io)?;
    // Keep the permissions of the file being replaced (a report others read, a FIFO's mode aside).
    if let Ok(m) = std::fs::metadata(&target) {
        let _ = tmp.as_file().set_permissions(m.permissions());
    }
    tmp.persist(&target).map_err(|e| io(e.error))?;
    Ok(())
}

/// A new report or snapshot is created like any file (mode 0666 less the umask), so a forwarder
/// or a sidecar of another user can read it; a replaced file keeps its own mode.
fn new_file_permissions() -> std::fs::Permissions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(0o666)
    }
    #[cfg(not(unix))]
    {
        let f = tempfile::tempfile().expect("a temporary file");
        f.metadata().expect("its metadata").permissions()
    }
}

/// Checks, before any work, that `path` can be written: an existing FIFO or device, or a file
/// whose directory exists and accepts new files. A scan of a whole tenant should not end in
/// "cannot write".
pub fn check_destination(path: Option<&Path>) -> Result<()> {
    let Some(p) = path.filter(|p| !is_stdout(p)) else {
        return Ok(());
    };
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => {
            return Err(Error::Output {
                path: p.to_path_buf(),
                problem: "is a directory".into(),
            });
        }
        Ok(m) if !m.is_file() => return Ok(()),
        _ => {}
    }
    let target = resolve(p)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".azaudit-check-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| write_error(p, &e))
}

/// Writes straight into an existing node that is not a regular file (FIFO, device, terminal).
fn write_in_place(path: &Path, body: &mut Body<'_>) -> Result<()> {
    let io = |e: std::io::Error| write_error(path, &e);
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
    body(&mut w).and_then(|_| w.flush()).map_err(io)
}

fn write_stdout(body: &mut Body<'_>) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    // A closed pipe (`azaudit … | head`) is not an error worth a message.
    match body(&mut out).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(write_error(Path::new("standard output"), &e))
        }
        _ => Ok(()),
    }
}

/// Writes to stdout when `path` is `None`, `-` or `/dev/stdout`; in place to a FIFO or device;
/// otherwise atomically to the file (through symlinks).
pub fn write_output(path: Option<&Path>, contents: &str) -> Result<()> {
    write_output_with(path, &mut |w| w.write_all(contents.as_bytes()))
}

/// [`write_output`] for a document written by `body`, streamed to its destination.
pub fn write_output_with(path: Option<&Path>, body: &mut Body<'_>) -> Result<()> {
    let Some(p) = path.filter(|p| !is_stdout(p)) else {
        return write_stdout(body);
    };
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => Err(Error::Output {
            path: p.to_path_buf(),
            problem: "is a directory".into(),
        }),
        Ok(m) if !m.is_file() => write_in_place(p, body),
        _ => atomic_write_with(p, body),
    }
}
