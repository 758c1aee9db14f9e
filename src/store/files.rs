//! Reading the files a user names and writing the outputs they ask for, safely: reads stop at a
//! size cap and never open a FIFO or device (opening a FIFO blocks until a writer comes), writes
//! never replace a device, FIFO or symlink with a regular file. Every command reads and writes
//! through here so those rules hold everywhere.

use super::StoreError;
use crate::model::text::escape_control;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// What kind of input a command reads: its name in messages and how large it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputKind {
    /// Plural, for "threatboard reads {what} only" and "{what} are limited to".
    pub what: &'static str,
    pub max_bytes: usize,
}

impl InputKind {
    pub const SESSION: InputKind = InputKind {
        what: "session files",
        max_bytes: super::MAX_SESSION_BYTES,
    };
    /// The shipped ATT&CK library is a few MB; 64 MB is room for any real library.
    pub const LIBRARY: InputKind = InputKind {
        what: "library files",
        max_bytes: 64 * 1024 * 1024,
    };
    /// MITRE's Enterprise ATT&CK bundle is about 50 MB and grows with each release; 512 MB
    /// leaves room for years of growth while still stopping `/dev/zero`-like inputs.
    pub const STIX_BUNDLE: InputKind = InputKind {
        what: "STIX bundles",
        max_bytes: 512 * 1024 * 1024,
    };
    /// A project config holds a few settings; 1 MB is far more than any real one.
    pub const PROJECT_CONFIG: InputKind = InputKind {
        what: "project configs",
        max_bytes: 1024 * 1024,
    };
    pub const THREAT_DRAGON: InputKind = InputKind {
        what: "Threat Dragon models",
        max_bytes: crate::interop::threat_dragon::MAX_MODEL_BYTES,
    };
    pub const THREAGILE: InputKind = InputKind {
        what: "Threagile models",
        max_bytes: crate::interop::threagile::MAX_MODEL_BYTES,
    };
    pub const OTM: InputKind = InputKind {
        what: "OTM models",
        max_bytes: crate::interop::otm::MAX_MODEL_BYTES,
    };
    pub const TM_BOM: InputKind = InputKind {
        what: "TM-BOM models",
        max_bytes: crate::interop::tm_bom::MAX_MODEL_BYTES,
    };
}

/// A path as it may be printed on a terminal: control characters (ESC, BEL...) escaped, so a
/// hostile file name cannot drive the terminal.
pub fn display_path(path: &Path) -> String {
    escape_control(&path.to_string_lossy()).into_owned()
}

/// "a FIFO", "a directory"...: what a file that is not a regular file is, for messages.
pub(crate) fn kind_name(file_type: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Reads a file the user named, at most `kind.max_bytes`. Anything but a regular file (after
/// following symlinks) is refused before it is opened: opening a FIFO for reading blocks, and a
/// device like `/dev/zero` never ends.
pub fn read_input(path: &Path, kind: InputKind) -> Result<Vec<u8>, StoreError> {
    let meta = fs::metadata(path).map_err(|e| StoreError::io(path, e))?;
    if !meta.is_file() {
        return Err(StoreError::NotRegularInput {
            path: path.to_path_buf(),
            kind: kind_name(&meta.file_type()),
            what: kind.what,
        });
    }
    let file = fs::File::open(path).map_err(|e| StoreError::io(path, e))?;
    let size_hint = usize::try_from(meta.len()).unwrap_or(0);
    match read_capped(file, kind.max_bytes, size_hint) {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(StoreError::TooLarge {
            path: path.to_path_buf(),
            max_mb: kind.max_bytes / (1024 * 1024),
            what: kind.what,
        }),
        Err(e) => Err(StoreError::io(path, e)),
    }
}

/// Everything `reader` holds, or `None` as soon as it gives more than `max_bytes`: a file that
/// grows while read, or lies about its size, cannot make this read more than one byte past the
/// cap.
fn read_capped(
    reader: impl Read,
    max_bytes: usize,
    size_hint: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    let limit = u64::try_from(max_bytes).unwrap_or(u64::MAX);
    let mut bytes = Vec::with_capacity(size_hint.min(max_bytes));
    // One byte past the cap tells "exactly at the cap" from "larger".
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() <= max_bytes).then_some(bytes))
}

/// Like [`read_input`], but a missing file is `None`.
pub(crate) fn read_input_if_exists(
    path: &Path,
    kind: InputKind,
) -> Result<Option<Vec<u8>>, StoreError> {
    match read_input(path, kind) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Symlinks followed through chains longer than this are a loop (Linux allows 40).
const MAX_SYMLINK_HOPS: usize = 40;

/// The file a path finally names, following symlinks in its last component (a dangling link
/// gives the path it points to, which a write then creates). Directories on the way need no
/// resolving: a rename inside them works through a symlinked directory too.
pub(crate) fn resolve_symlinks(path: &Path) -> Result<PathBuf, StoreError> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_SYMLINK_HOPS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&current).map_err(|e| StoreError::io(path, e))?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(StoreError::io(path, e)),
        }
    }
    Err(StoreError::io(
        path,
        std::io::Error::other("too many levels of symbolic links"),
    ))
}

/// How an existing output target is written.
enum Target {
    /// Missing or a regular file: replaced atomically.
    Replace,
    /// A FIFO or character device (`/dev/null`, a terminal): written in place, as a shell
    /// redirection would; renaming over it would replace the device itself.
    InPlace,
}

/// Decides how to write `resolved` (symlinks already followed); refuses directories, sockets and
/// block devices.
fn target_kind(resolved: &Path, named: &Path) -> Result<Target, StoreError> {
    let meta = match fs::metadata(resolved) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::Replace),
        Err(e) => return Err(StoreError::io(named, e)),
    };
    if meta.is_file() {
        return Ok(Target::Replace);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() || t.is_char_device() {
            return Ok(Target::InPlace);
        }
    }
    Err(StoreError::NotWritable {
        path: named.to_path_buf(),
        kind: kind_name(&meta.file_type()),
    })
}

fn write_in_place(path: &Path, named: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| StoreError::io(named, e))?;
    match file.write_all(bytes).and_then(|()| file.flush()) {
        Ok(()) => Ok(()),
        // A reader that went away (`-o fifo` read by `head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(StoreError::io(named, e)),
    }
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<(), StoreError> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(StoreError::io(Path::new("standard output"), e)),
    }
}

/// Whether an output path means standard output.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Writes a command's output to the file the user named (`-o`): `-` is standard output; a FIFO
/// or character device is written in place; a symlink is followed and the file it names is
/// replaced atomically; a directory, socket or block device is refused.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    if is_stdout(path) {
        return write_stdout(bytes);
    }
    let resolved = resolve_symlinks(path)?;
    match target_kind(&resolved, path)? {
        Target::InPlace => write_in_place(&resolved, path, bytes),
        Target::Replace => super::write_atomic(&resolved, bytes),
    }
}

/// Like [`write_output`], but never replaces an existing regular file (or symlink): for outputs
/// documented as "refuses to overwrite". A FIFO or character device is still written to, since
/// that loses nothing.
pub fn write_output_new(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    if is_stdout(path) {
        return write_stdout(bytes);
    }
    let resolved = resolve_symlinks(path)?;
    match target_kind(&resolved, path)? {
        Target::InPlace => write_in_place(&resolved, path, bytes),
        Target::Replace => super::write_new(path, bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo runs");
        assert!(status.success(), "mkfifo {}", path.display());
    }

    #[test]
    fn display_path_escapes_control_characters() {
        let shown = display_path(Path::new("a\u{1b}]0;x\u{7}.toml"));
        assert_eq!(shown, "a\\e]0;x\\u{7}.toml");
    }

    #[test]
    fn reading_stops_one_byte_past_the_cap_of_an_endless_input() {
        // An endless reader, like /dev/zero: without the cap this never returns.
        let read = read_capped(std::io::repeat(b'x'), 1000, 0).expect("read");
        assert!(read.is_none());
        let counted = read_capped(&b"12345"[..], 5, 5).expect("read");
        assert_eq!(counted.as_deref(), Some(&b"12345"[..]));
    }

    #[test]
    fn read_input_stops_at_the_cap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.toml");
        fs::write(&path, vec![b'x'; 101]).expect("write");
        let small = InputKind {
            what: "tests",
            max_bytes: 100,
        };
        let err = read_input(&path, small).err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(
                |e| e.ends_with("big.toml: larger than 0 MB; tests are limited to 0 MB")
            ),
            "{err:?}"
        );
        let fits = InputKind {
            max_bytes: 101,
            ..small
        };
        assert_eq!(read_input(&path, fits).map(|b| b.len()).ok(), Some(101));
    }

    #[cfg(unix)]
    #[test]
    fn read_input_refuses_devices_without_reading_them() {
        // /dev/zero never ends: only the type check keeps this test from running out of memory.
        let err = read_input(Path::new("/dev/zero"), InputKind::SESSION)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            err,
            "/dev/zero: not a regular file (a character device); threatboard reads session files only"
        );
    }

    #[cfg(unix)]
    #[test]
    fn read_input_refuses_a_fifo() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("x.toml");
        mkfifo(&fifo);
        // Opening a FIFO for reading would block this test forever; the check comes first.
        let err = read_input(&fifo, InputKind::SESSION)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.ends_with(
                "x.toml: not a regular file (a FIFO); threatboard reads session files only"
            ),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn output_through_a_symlink_keeps_the_symlink() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real.md");
        let link = dir.path().join("link.md");
        fs::write(&real, "old").expect("write");
        std::os::unix::fs::symlink("real.md", &link).expect("symlink");
        write_output(&link, b"new").expect("written");
        assert!(
            fs::symlink_metadata(&link)
                .expect("link")
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).expect("real"), "new");
    }

    #[cfg(unix)]
    #[test]
    fn output_to_a_dangling_symlink_creates_its_target() {
        let dir = tempfile::tempdir().expect("tempdir");
        let link = dir.path().join("link.md");
        std::os::unix::fs::symlink("made.md", &link).expect("symlink");
        write_output(&link, b"new").expect("written");
        assert!(
            fs::symlink_metadata(&link)
                .expect("link")
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("made.md")).expect("made"),
            "new"
        );
    }

    #[cfg(unix)]
    #[test]
    fn output_to_a_fifo_writes_into_it() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("out.fifo");
        mkfifo(&fifo);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(&fifo).expect("read fifo"))
        };
        write_output(&fifo, b"through the pipe").expect("written");
        // Checked before joining: had the FIFO been renamed over, the reader would wait forever.
        assert!(
            fs::symlink_metadata(&fifo)
                .expect("fifo")
                .file_type()
                .is_fifo()
        );
        assert_eq!(reader.join().expect("reader"), b"through the pipe");
    }

    #[cfg(unix)]
    #[test]
    fn output_to_a_character_device_writes_in_place() {
        use std::os::unix::fs::FileTypeExt;
        // A null device of our own (mknod needs root): should the in-place write regress into
        // a rename, only this copy is replaced, never the system's /dev/null.
        let dir = tempfile::tempdir().expect("tempdir");
        let null = dir.path().join("null");
        let made = std::process::Command::new("mknod")
            .arg(&null)
            .args(["c", "1", "3"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            eprintln!("skipped: mknod not permitted here");
            return;
        }
        write_output(&null, b"gone").expect("written to the device");
        assert!(
            fs::symlink_metadata(&null)
                .expect("device")
                .file_type()
                .is_char_device()
        );
    }

    #[test]
    fn output_to_a_directory_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = write_output(dir.path(), b"x")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.ends_with(": a directory; not writing output there"),
            "{err}"
        );
    }
}
