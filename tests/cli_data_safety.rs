//! Data safety (the hostile tester's findings): outputs never replace special files or symlinks,
//! inputs that are not regular files are refused instead of blocking, file names cannot drive
//! the terminal. Every run has a time guard, so a regression that blocks fails instead of
//! hanging the suite.

use std::io::Read;
#[cfg(unix)]
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Long enough for any of these commands on a slow machine; only a blocked run gets near it.
const GUARD: Duration = Duration::from_secs(20);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs the binary in `dir`; kills it and fails the test if it has not exited by itself within
/// the guard time.
fn threatboard_in(dir: &Path, args: &[&std::ffi::OsStr]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!("threatboard {args:?} did not exit by itself (blocked?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().expect("stdout"),
        stderr: err.join().expect("stderr"),
    }
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    threatboard_in(dir, &args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
fn file_type(path: &Path) -> std::fs::FileType {
    std::fs::symlink_metadata(path)
        .expect("the path exists")
        .file_type()
}

fn session_in(dir: &Path) -> PathBuf {
    let path = dir.join("s.toml");
    std::fs::copy(fixture("valid-minimal.toml"), &path).expect("copy fixture");
    path
}

// ---- item 1: outputs -------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn report_through_a_symlink_writes_its_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    session_in(dir.path());
    std::fs::write(dir.path().join("real.md"), "old").expect("write");
    std::os::unix::fs::symlink("real.md", dir.path().join("link.md")).expect("symlink");
    let out = run(dir.path(), &["report", "s.toml", "-o", "link.md"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(file_type(&dir.path().join("link.md")).is_symlink());
    let written = std::fs::read_to_string(dir.path().join("real.md")).expect("real");
    assert!(written.contains("Malformed example"), "{written}");
}

#[cfg(unix)]
#[test]
fn import_stix_through_a_symlink_keeps_the_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("real.toml"), "old").expect("write");
    std::os::unix::fs::symlink("real.toml", dir.path().join("lib.toml")).expect("symlink");
    let bundle = fixture("capec/capec-3.9.sample.json");
    let out = threatboard_in(
        dir.path(),
        &[
            "library".as_ref(),
            "import-stix".as_ref(),
            bundle.as_os_str(),
            "-o".as_ref(),
            "lib.toml".as_ref(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(file_type(&dir.path().join("lib.toml")).is_symlink());
    let written = std::fs::read_to_string(dir.path().join("real.toml")).expect("real");
    assert!(written.contains("[library]"), "{written}");
}

#[cfg(unix)]
#[test]
fn report_into_a_fifo_writes_into_it_and_leaves_it_a_fifo() {
    let dir = tempfile::tempdir().expect("tempdir");
    session_in(dir.path());
    let fifo = dir.path().join("out.fifo");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap_or_default())
    };
    let out = run(dir.path(), &["report", "s.toml", "-o", "out.fifo"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Checked before joining the reader: had the FIFO been renamed over, it would wait forever.
    assert!(file_type(&fifo).is_fifo(), "the FIFO was replaced");
    let read = reader.join().expect("reader");
    assert!(read.contains("Malformed example"), "{read}");
}

#[cfg(unix)]
#[test]
fn report_into_a_null_device_leaves_it_a_device() {
    let dir = tempfile::tempdir().expect("tempdir");
    session_in(dir.path());
    // The tester's case is `-o /dev/null` as root. As root, this test makes its own null device
    // so that a regression replaces that copy and not the machine's /dev/null; otherwise the
    // real /dev/null is safe to use (an ordinary user cannot rename over it: the old code failed
    // with "permission denied").
    let own = dir.path().join("null");
    let made_own = Command::new("mknod")
        .arg(&own)
        .args(["c", "1", "3"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let target = if made_own {
        own
    } else if std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap_or(0)
        != 0
    {
        PathBuf::from("/dev/null")
    } else {
        eprintln!("skipped: root without mknod; not risking the real /dev/null");
        return;
    };
    let out = threatboard_in(
        dir.path(),
        &[
            "report".as_ref(),
            "s.toml".as_ref(),
            "-o".as_ref(),
            target.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(file_type(&target).is_char_device());
    assert!(file_type(Path::new("/dev/null")).is_char_device());
}

#[test]
fn dash_means_standard_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    session_in(dir.path());
    let out = run(dir.path(), &["report", "s.toml", "-o", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Malformed example"));
    assert!(!dir.path().join("-").exists(), "wrote a file named -");

    let model = fixture("threat-dragon/demo-threat-model.json");
    let out = threatboard_in(
        dir.path(),
        &[
            "import".as_ref(),
            "threat-dragon".as_ref(),
            model.as_os_str(),
            "-o".as_ref(),
            "-".as_ref(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("title = \"Demo Threat Model\""));
    assert!(!dir.path().join("-").exists(), "wrote a file named -");
}

#[test]
fn output_to_a_directory_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    session_in(dir.path());
    std::fs::create_dir(dir.path().join("out")).expect("mkdir");
    let out = run(dir.path(), &["report", "s.toml", "-o", "out"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("out: a directory; not writing output there"),
        "{}",
        text(&out.stderr)
    );
    assert!(dir.path().join("out").is_dir());
}

// ---- items 2 and 3: inputs ----------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn validate_refuses_a_fifo_instead_of_blocking() {
    let dir = tempfile::tempdir().expect("tempdir");
    mkfifo(&dir.path().join("x.toml"));
    let out = run(dir.path(), &["validate", "x.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "x.toml: not a regular file (a FIFO); threatboard reads session files only\n"
    );
}

#[cfg(unix)]
#[test]
fn every_reader_refuses_a_fifo() {
    let dir = tempfile::tempdir().expect("tempdir");
    mkfifo(&dir.path().join("in.json"));
    for (args, what) in [
        (&["library", "import-stix", "in.json"][..], "STIX bundles"),
        (
            &["import", "threat-dragon", "in.json"][..],
            "Threat Dragon models",
        ),
        (&["check", "in.json"][..], "session files"),
        (&["report", "in.json"][..], "session files"),
        (&["diff", "in.json", "in.json"][..], "session files"),
    ] {
        let out = run(dir.path(), args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(&format!(
                "in.json: not a regular file (a FIFO); threatboard reads {what} only"
            )),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[cfg(unix)]
#[test]
fn validate_refuses_an_endless_device() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &["validate", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("/dev/zero: not a regular file (a character device)"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_huge_session_file_is_refused_after_reading_only_the_cap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.toml");
    // Sparse: 8 GB on paper, nothing on disk. Reading it whole would need 8 GB of memory.
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(8 << 30).expect("set_len");
    drop(file);
    let out = run(dir.path(), &["validate", "huge.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "huge.toml: larger than 64 MB; session files are limited to 64 MB\n"
    );
}

#[cfg(unix)]
#[test]
fn the_start_screen_scan_skips_a_fifo_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    mkfifo(&dir.path().join("x.toml"));
    std::fs::copy(fixture("valid-minimal.toml"), dir.path().join("y.toml")).expect("copy");
    let scanned = {
        let dir = dir.path().to_path_buf();
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = send.send(threatboard::tui::screens::start::StartState::scan(&dir));
        });
        // A guard, not a timing assertion: a regression blocks forever in open().
        receive.recv_timeout(GUARD).expect("the scan returned")
    };
    assert_eq!(scanned.entries.len(), 2);
    let fifo = &scanned.entries[0];
    assert!(
        fifo.summary
            .as_ref()
            .err()
            .is_some_and(|e| e.contains("not a regular file (a FIFO)")),
        "{:?}",
        fifo.summary
    );
    assert!(scanned.entries[1].summary.is_ok());
}

// ---- item 5: file names -------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn file_names_with_escape_sequences_are_printed_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evil = "evil\u{1b}]0;pwned\u{7}.toml";
    let shown = "evil\\e]0;pwned\\u{7}.toml";
    std::fs::copy(fixture("valid-minimal.toml"), dir.path().join(evil)).expect("copy");
    let broken = "bad\u{1b}[31m\u{7}.toml";
    let broken_shown = "bad\\e[31m\\u{7}.toml";
    std::fs::write(dir.path().join(broken), "schema = 1\ntitle = \n").expect("write");
    for args in [
        vec!["validate", evil],
        vec!["validate", broken],
        vec!["check", evil],
        vec!["check", broken],
        vec!["report", evil, "-o", evil],
    ] {
        let out = run(dir.path(), &args);
        let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        assert!(
            !all.iter().any(|b| *b == 0x1b || *b == 0x07),
            "{args:?} printed a raw control character: {:?}",
            text(&all)
        );
        let printed = text(&all);
        assert!(
            printed.contains(shown) || printed.contains(broken_shown),
            "{args:?}: {printed}"
        );
    }
}
