//! Drive a real program in a pseudo-terminal and look at what it drew.
//!
//! [`Tui::spawn`] starts a program on the slave side of a pty of a fixed size. A reader thread
//! feeds everything the program writes into a [`vt100::Parser`] (our model of the terminal) and
//! keeps a copy of the raw bytes. Tests send keys with [`Tui::send`] and wait for the screen with
//! [`Tui::wait_for`] / [`Tui::wait_stable`].
//!
//! ```ignore
//! let mut tui = Tui::spawn(support::threatboard_bin(), &["open", "session.toml"],
//!                          dir.path(), DEFAULT_SIZE, &[])
//!     .expect("spawn threatboard");
//! tui.wait_for("Start today's run", DEFAULT_TIMEOUT).expect("first frame"); // wait before
//! tui.send("<esc>j<ret>");                   // typing: until the program is in raw mode, the
//! tui.wait_for("Edit component", DEFAULT_TIMEOUT).expect("form open");   // pty's line
//! tui.send("<esc>q");                                                    // discipline eats keys
//! assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
//! ```
//!
//! # Key notation ([`Tui::send`])
//!
//! Plain text is sent as UTF-8. `<name>` sends one key, encoded the way xterm does in its default
//! (legacy) mode, which is what crossterm parses when the kitty keyboard protocol is not in use:
//!
//! | notation                                   | bytes                    | crossterm sees        |
//! |--------------------------------------------|--------------------------|-----------------------|
//! | `<ret>` `<enter>` `<cr>`                   | `\r`                     | Enter                 |
//! | `<esc>`                                    | `\x1b`, then a pause     | Esc                   |
//! | `<tab>`                                    | `\t`                     | Tab                   |
//! | `<S-tab>` `<backtab>`                      | `\x1b[Z`                 | BackTab + SHIFT       |
//! | `<bs>` `<backspace>`                       | `\x7f`                   | Backspace             |
//! | `<space>`                                  | ` `                      | Char(' ')             |
//! | `<lt>` `<gt>` `<minus>`                    | `<` `>` `-`              | Char                  |
//! | `<up>` `<down>` `<right>` `<left>`         | `\x1b[A` `B` `C` `D`     | Up, Down, Right, Left |
//! | `<home>` `<end>`                           | `\x1b[H` `\x1b[F`        | Home, End             |
//! | `<ins>` `<del>`                            | `\x1b[2~` `\x1b[3~`      | Insert, Delete        |
//! | `<pgup>` `<pgdn>`                          | `\x1b[5~` `\x1b[6~`      | PageUp, PageDown      |
//! | `<F1>`..`<F4>`                             | `\x1bOP`..`\x1bOS`       | F(1)..F(4)            |
//! | `<F5>`..`<F12>`                            | `\x1b[{n}~`, n = 15 17 18 19 20 21 23 24 | F(5)..F(12) |
//! | `<C-a>`..`<C-z>` (case-insensitive)        | `0x01`..`0x1a`           | Ctrl+a..Ctrl+z        |
//! | `<C-space>` `<C-@>`                        | `0x00`                   | Ctrl+' '              |
//! | `<C-[>` `<C-\>` `<C-]>` `<C-^>` `<C-_>`    | `0x1b` `0x1c`..`0x1f`    | Esc, Ctrl+4..Ctrl+7   |
//! | `<A-x>` (any char or `ret` `esc` `bs` `tab` `space`) | `\x1b` then the key | Alt+x             |
//! | `<S-x>` (ASCII letter)                     | the uppercase letter     | Char('X') + SHIFT     |
//! | `<C-left>`, `<S-A-up>`, `<C-del>`, `<S-F5>`… | `\x1b[1;{m}D`, `\x1b[3;{m}~`, … with m = 1 + Shift + 2·Alt + 4·Ctrl | the key + modifiers |
//!
//! Names are case-insensitive, modifier prefixes (`C-`, `A-`, `S-`) are not. A `<` that does not
//! start a `<name>` (no closing `>`, or whitespace inside) is sent literally; `<lt>` always works.
//! An unknown name, or a combination legacy encoding cannot express (`<C-1>`, `<C-ret>`,
//! `<C-S-a>`), makes `send` panic naming the key: that is a bug in the test.
//!
//! Legacy encoding has aliases crossterm cannot tell apart: `<C-i>` is Tab, `<C-m>` is Enter,
//! `<C-h>` arrives as Ctrl+h (not Backspace), `<C-[>` is Esc, `<C-j>` is Ctrl+j in raw mode.
//!
//! **Esc timing.** crossterm treats an ESC followed, in the same read, by more bytes as the start
//! of an escape sequence or an Alt prefix. So whenever a key's bytes end in ESC (`<esc>`, or a
//! literal `\x1b` in the text), `send` writes everything so far, flushes, and sleeps
//! [`ESC_PAUSE`] (30 ms) before sending the rest. `<A-x>` is written in one piece on purpose.
//!
//! # Waiting
//!
//! Nothing here sleeps for a fixed time except the Esc pause: wait for what the program shows.
//! Send keys only once the program has drawn its first frame (before it enters raw mode the
//! pty's line discipline would echo and line-buffer them). [`Tui::wait_stable`] measures silence,
//! so it can return before a slow program has even started: `wait_for` something first. Waits
//! poll every 10 ms; [`DEFAULT_TIMEOUT`] is 10 s. A `wait_for` fails at once, with the screen,
//! when the program has exited and closed the terminal.
//!
//! # Terminal queries
//!
//! The reader thread answers the queries a crossterm program may send, so it never waits for a
//! reply that does not come: `CSI 6 n` (cursor position, answered `CSI row;col R` with the
//! cursor as the parser sees it at that point of the output), `CSI 5 n` (status: `CSI 0 n`),
//! `CSI c` (primary device attributes: `CSI ?1;2c`), `CSI 18 t` (text area size:
//! `CSI 8;rows;cols t`). The kitty keyboard query `CSI ? u` is deliberately not answered, so
//! crossterm concludes the terminal has no keyboard enhancement and keys arrive as in the table.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use portable_pty::{ChildKiller, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// Default for every wait: generous, because CI runs tests in parallel on two busy cores.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The fixed terminal size end-to-end tests use unless they test sizes: (cols, rows).
pub const DEFAULT_SIZE: (u16, u16) = (120, 30);
/// How long [`Tui::send`] sleeps after a key that ends in a lone ESC.
pub const ESC_PAUSE: Duration = Duration::from_millis(30);
/// How often the waits look at the screen.
const POLL: Duration = Duration::from_millis(10);
/// After the child exits, how long to wait for the reader to drain the rest of its output.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// A program running in a pseudo-terminal, with a model of the terminal it draws on.
pub struct Tui {
    program: String,
    child: Box<std::process::Child>,
    /// `None` once [`Tui::hang_up`] closed it.
    master: Option<Box<dyn MasterPty + Send>>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    shared: Arc<Mutex<Shared>>,
    reader: Option<JoinHandle<()>>,
    exit_code: Option<i32>,
    /// The status behind `exit_code`: whether the program exited or a signal ended it.
    exit_status: Option<std::process::ExitStatus>,
}

/// What the reader thread maintains.
struct Shared {
    parser: vt100::Parser<Term>,
    raw: Vec<u8>,
    last_output: Instant,
    /// The reader saw end of output: every process holding the pty's slave side is gone.
    eof: bool,
    /// Set by [`Tui::hang_up`]: the reader closes its copy of the master side after its next
    /// read, which leaves the terminal with no master at all.
    hang_up: bool,
}

/// vt100 callbacks: tracks the window title and collects replies to terminal queries.
#[derive(Default)]
struct Term {
    title: String,
    replies: Vec<u8>,
}

impl vt100::Callbacks for Term {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.title = String::from_utf8_lossy(title).into_owned();
    }

    fn unhandled_osc(&mut self, _: &mut vt100::Screen, params: &[&[u8]]) {
        // vt100 splits an OSC on ';' and only recognises a title without one.
        if let [kind, rest @ ..] = params
            && (*kind == b"0" || *kind == b"2")
            && rest.len() > 1
        {
            self.title = String::from_utf8_lossy(&rest.join(&b';')).into_owned();
        }
    }

    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        if i1.is_some() || i2.is_some() {
            return; // private queries (CSI ? u, CSI > c, ...) stay unanswered
        }
        let first = params.first().and_then(|p| p.first()).copied().unwrap_or(0);
        let reply = match (c, first) {
            ('n', 6) => {
                let (row, col) = screen.cursor_position();
                format!("\x1b[{};{}R", row + 1, col + 1)
            }
            ('n', 5) => "\x1b[0n".to_owned(),
            ('c', 0) => "\x1b[?1;2c".to_owned(),
            ('t', 18) => {
                let (rows, cols) = screen.size();
                format!("\x1b[8;{rows};{cols}t")
            }
            _ => return,
        };
        self.replies.extend_from_slice(reply.as_bytes());
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere (a failed assertion) must not hide the screen from the error message.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn nonzero(n: u16, what: &str) -> Result<NonZeroU16, String> {
    NonZeroU16::new(n).ok_or_else(|| format!("terminal {what} must not be 0"))
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    // Like a shell: a death by signal N reads as 128 + N.
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(-1)
}

impl Tui {
    /// Starts `bin args…` in `cwd`, on a pty of `size` = (cols, rows).
    ///
    /// The child inherits this process's environment except `NO_COLOR`, `COLUMNS` and `LINES`,
    /// with `TERM=xterm-256color`; then `env` is applied (so it can set `NO_COLOR` or another
    /// `TERM`).
    pub fn spawn(
        bin: &Path,
        args: &[&str],
        cwd: &Path,
        size: (u16, u16),
        env: &[(&str, &str)],
    ) -> Result<Tui, String> {
        let program = bin.display().to_string();
        let (cols, rows) = size;
        let parser = vt100::Parser::new_with_callbacks(
            nonzero(rows, "rows")?,
            nonzero(cols, "cols")?,
            0,
            Term::default(),
        );

        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| format!("opening a pty for {program}: {e}"))?;

        let mut cmd = CommandBuilder::new(bin);
        cmd.args(args);
        cmd.cwd(cwd);
        for var in ["NO_COLOR", "COLUMNS", "LINES"] {
            cmd.env_remove(var);
        }
        cmd.env("TERM", "xterm-256color");
        for (key, value) in env {
            cmd.env(key, value);
        }

        let child = pair
            .slave
            .spawn_command(cmd)
            .map_err(|e| format!("spawning {program} in {}: {e}", cwd.display()))?;
        // Our copy of the slave side must go, or the reader never sees end of output.
        drop(pair.slave);
        let child: Box<dyn portable_pty::Child> = child;
        let mut child = match child.downcast::<std::process::Child>() {
            Ok(child) => child,
            Err(mut other) => {
                let _ = other.kill();
                return Err(
                    "portable-pty returned a child that is not a std::process::Child \
                            (this harness is unix only)"
                        .to_owned(),
                );
            }
        };

        let master = pair.master;
        let setup = (|| {
            let reader = master
                .try_clone_reader()
                .map_err(|e| format!("cloning the pty reader: {e}"))?;
            let writer = master
                .take_writer()
                .map_err(|e| format!("taking the pty writer: {e}"))?;
            Ok::<_, String>((reader, writer))
        })();
        let (reader, writer) = match setup {
            Ok(io) => io,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };

        let writer: Arc<Mutex<Box<dyn Write + Send>>> = Arc::new(Mutex::new(writer));
        let shared = Arc::new(Mutex::new(Shared {
            parser,
            raw: Vec::new(),
            last_output: Instant::now(),
            eof: false,
            hang_up: false,
        }));
        let reader = {
            let shared = Arc::clone(&shared);
            let writer = Arc::clone(&writer);
            thread::Builder::new()
                .name("pty-reader".into())
                .spawn(move || read_loop(reader, &shared, &writer))
        };
        let reader = match reader {
            Ok(handle) => handle,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("starting the pty reader thread: {e}"));
            }
        };

        Ok(Tui {
            program,
            child,
            master: Some(master),
            writer,
            shared,
            reader: Some(reader),
            exit_code: None,
            exit_status: None,
        })
    }

    /// Sends keys written in the notation of the module docs. Panics on an unknown key name or a
    /// failed write (the program has gone away).
    pub fn send(&mut self, keys: &str) {
        let batches = encode_keys(keys).unwrap_or_else(|e| panic!("send({keys:?}): {e}"));
        for batch in batches {
            self.send_raw(&batch);
            if batch.last() == Some(&0x1b) {
                thread::sleep(ESC_PAUSE);
            }
        }
    }

    /// Sends bytes as they are, in one write.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let mut writer = lock(&self.writer);
        if let Err(e) = writer.write_all(bytes).and_then(|()| writer.flush()) {
            panic!(
                "writing {} bytes to {}'s pty failed (has it exited?): {e}",
                bytes.len(),
                self.program
            );
        }
    }

    /// Pastes `text` the way a terminal in bracketed-paste mode does: `ESC[200~ text ESC[201~`,
    /// in one write, the text unchanged (newlines stay `\n`). Beyond the pty's input buffer
    /// (4 KiB on Linux) the write blocks until the program reads.
    pub fn paste(&mut self, text: &str) {
        let mut bytes = Vec::with_capacity(text.len() + 12);
        bytes.extend_from_slice(b"\x1b[200~");
        bytes.extend_from_slice(text.as_bytes());
        bytes.extend_from_slice(b"\x1b[201~");
        self.send_raw(&bytes);
    }

    /// The screen as text: every row (all `rows` of them, so line N is row N), trailing
    /// whitespace trimmed, joined by `\n`.
    pub fn screen(&self) -> String {
        render(&lock(&self.shared).parser)
    }

    /// Polls the screen until it contains `needle`; `Ok(screen)`, or `Err` with the last screen
    /// on timeout or when the program has ended and closed the terminal without drawing it.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Result<String, String> {
        self.wait_until(&format!("{needle:?}"), timeout, |screen| {
            screen.contains(needle)
        })
    }

    /// Polls the screen until `done(screen)`; `what` names the condition in the error, which
    /// carries the last screen, on timeout or at end of output.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let (screen, eof) = {
                let shared = lock(&self.shared);
                (render(&shared.parser), shared.eof)
            };
            if done(&screen) {
                return Ok(screen);
            }
            if eof {
                return Err(format!(
                    "{} closed the terminal before the screen showed {what}; last screen:\n{}",
                    self.program,
                    framed(&screen)
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "timed out after {timeout:?} waiting for the screen to show {what}; \
                     last screen:\n{}",
                    framed(&screen)
                ));
            }
            thread::sleep(POLL);
        }
    }

    /// Waits until no output arrived for `quiet` (counted from this call at the earliest), or the
    /// program closed the terminal, and returns the screen. On timeout returns the screen as it
    /// is (a program that never stops drawing is for the caller's assertions to catch).
    pub fn wait_stable(&self, quiet: Duration, timeout: Duration) -> String {
        let start = Instant::now();
        let deadline = start + timeout;
        loop {
            {
                let shared = lock(&self.shared);
                let now = Instant::now();
                let since = shared.last_output.max(start);
                if shared.eof || now.duration_since(since) >= quiet || now >= deadline {
                    return render(&shared.parser);
                }
            }
            thread::sleep(POLL.min(quiet));
        }
    }

    /// The cursor as `(col, row)`, 0-based: x then y, like ratatui's `Position` and crossterm
    /// (note: vt100's own `cursor_position` is `(row, col)`).
    pub fn cursor(&self) -> (u16, u16) {
        let (row, col) = lock(&self.shared).parser.screen().cursor_position();
        (col, row)
    }

    /// Whether the program hid the cursor (`CSI ?25 l`).
    pub fn cursor_hidden(&self) -> bool {
        lock(&self.shared).parser.screen().hide_cursor()
    }

    /// Whether the program is on the alternate screen (`CSI ?1049 h`).
    pub fn alternate_screen(&self) -> bool {
        lock(&self.shared).parser.screen().alternate_screen()
    }

    /// The window title last set with OSC 0 or OSC 2 (`""` if never set).
    pub fn title(&self) -> String {
        lock(&self.shared).parser.callbacks().title.clone()
    }

    /// The terminal size as `(cols, rows)`.
    pub fn size(&self) -> (u16, u16) {
        let (rows, cols) = lock(&self.shared).parser.screen().size();
        (cols.get(), rows.get())
    }

    /// Resizes the pty (the program gets SIGWINCH) and the terminal model. Panics on a 0 size.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        let (nz_rows, nz_cols) = match (nonzero(rows, "rows"), nonzero(cols, "cols")) {
            (Ok(r), Ok(c)) => (r, c),
            (Err(e), _) | (_, Err(e)) => panic!("resize({cols}, {rows}): {e}"),
        };
        // The model first, so that whatever the program draws after SIGWINCH lands on it.
        lock(&self.shared).parser.set_size(nz_rows, nz_cols);
        let size = PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        };
        let Some(master) = &self.master else {
            panic!("resizing {}'s pty after hanging up", self.program);
        };
        if let Err(e) = master.resize(size) {
            panic!("resizing {}'s pty to {cols}x{rows}: {e}", self.program);
        }
    }

    /// Closes the terminal as a closed window or a dropped SSH connection does: the program
    /// gets SIGHUP and its terminal reads end of file. The last master descriptor (the
    /// reader's) closes after the program's next output, so a program that draws a clock is
    /// hung up within a second or so.
    pub fn hang_up(&mut self) {
        lock(&self.shared).hang_up = true;
        self.master = None;
        *lock(&self.writer) = Box::new(std::io::sink());
    }

    /// Waits for the program to exit and for its remaining output to be read; returns its exit
    /// code (128 + N for a death by signal N). On timeout kills it (SIGKILL) and returns `None`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        if let Some(code) = self.exit_code {
            return Some(code);
        }
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    let code = exit_code(status);
                    self.exit_code = Some(code);
                    self.exit_status = Some(status);
                    self.drain();
                    return Some(code);
                }
                Ok(None) => {}
                Err(e) => panic!("waiting for {} failed: {e}", self.program),
            }
            if Instant::now() >= deadline {
                self.kill();
                return None;
            }
            thread::sleep(POLL);
        }
    }

    /// Kills the program with SIGKILL (no chance to clean up or save) and reaps it.
    /// [`Tui::wait_exit`] afterwards returns `Some(137)`.
    pub fn kill(&mut self) {
        if self.exit_code.is_some() {
            return;
        }
        // std's kill is SIGKILL (portable-pty's would send SIGHUP first); fails only if reaped
        let _ = std::process::Child::kill(&mut self.child);
        match self.child.wait() {
            Ok(status) => {
                self.exit_code = Some(exit_code(status));
                self.exit_status = Some(status);
            }
            Err(e) => panic!("reaping {} after SIGKILL failed: {e}", self.program),
        }
        self.drain();
    }

    /// The signal that ended the program, if one did (rather than the program exiting, say
    /// with 128 + N after handling signal N); `None` while it runs or after a normal exit.
    /// [`Tui::wait_exit`] reads both as the same code.
    pub fn killed_by(&self) -> Option<i32> {
        self.exit_status.and_then(|status| status.signal())
    }

    /// Whether the program is still running.
    pub fn is_running(&mut self) -> bool {
        self.exit_code.is_none() && matches!(self.child.try_wait(), Ok(None))
    }

    /// The program's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every byte the program wrote to the terminal so far.
    pub fn raw_output(&self) -> Vec<u8> {
        lock(&self.shared).raw.clone()
    }

    /// Waits (bounded) until the reader has seen end of output, so that the screen and
    /// `raw_output` are complete. A grandchild still holding the pty can keep it open: then
    /// this gives up after [`DRAIN_TIMEOUT`].
    fn drain(&mut self) {
        let deadline = Instant::now() + DRAIN_TIMEOUT;
        while Instant::now() < deadline {
            if self.reader.as_ref().is_none_or(JoinHandle::is_finished) {
                break;
            }
            thread::sleep(POLL);
        }
        if let Some(handle) = self.reader.take_if(|h| h.is_finished()) {
            let _ = handle.join();
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if self.exit_code.is_none() {
            let _ = std::process::Child::kill(&mut self.child);
            let _ = self.child.wait();
        }
        // The reader thread ends by itself at end of output; it is not joined here so that a
        // grandchild holding the pty open cannot hang the test.
    }
}

fn read_loop(
    mut reader: Box<dyn Read + Send>,
    shared: &Mutex<Shared>,
    writer: &Mutex<Box<dyn Write + Send>>,
) {
    let mut buf = [0u8; 8192];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // Linux reports EIO once every process has closed the slave side.
            Err(_) => break,
        };
        let (replies, hang_up) = {
            let mut shared = lock(shared);
            shared.raw.extend_from_slice(&buf[..n]);
            shared.parser.process(&buf[..n]);
            shared.last_output = Instant::now();
            let replies = std::mem::take(&mut shared.parser.callbacks_mut().replies);
            (replies, shared.hang_up)
        };
        if hang_up {
            // Dropping the reader closes the last master descriptor: the kernel hangs up the
            // terminal, sending SIGHUP to the program, whose reads then see end of file.
            break;
        }
        if !replies.is_empty() {
            let mut writer = lock(writer);
            // The program may be gone already; nobody is left to read the reply then.
            let _ = writer.write_all(&replies).and_then(|()| writer.flush());
        }
    }
    lock(shared).eof = true;
}

fn render(parser: &vt100::Parser<Term>) -> String {
    let screen = parser.screen();
    let (_, cols) = screen.size();
    screen
        .rows(0, cols.get())
        .map(|row| row.trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn framed(screen: &str) -> String {
    let mut out = String::from("┌────\n");
    for line in screen.lines() {
        out.push('│');
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("└────");
    out
}

/// Encodes keys written in the notation of the module docs into write batches: `send` writes
/// each batch at once and pauses [`ESC_PAUSE`] after any batch that ends in a lone ESC.
pub fn encode_keys(keys: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut batches = Vec::new();
    let mut current = Vec::new();
    let mut rest = keys;
    while let Some(c) = rest.chars().next() {
        let mut bytes = None;
        if c == '<'
            && let Some(end) = rest[1..].find('>')
        {
            let name = &rest[1..=end];
            if !name.is_empty() && !name.contains('<') && !name.contains(char::is_whitespace) {
                bytes = Some(encode_key(name)?);
                rest = &rest[end + 2..];
            }
        }
        let bytes = match bytes {
            Some(bytes) => bytes,
            None => {
                rest = &rest[c.len_utf8()..];
                c.to_string().into_bytes()
            }
        };
        current.extend_from_slice(&bytes);
        if bytes.last() == Some(&0x1b) {
            batches.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        batches.push(current);
    }
    Ok(batches)
}

/// Encodes one key name (what goes between `<` and `>`).
pub fn encode_key(name: &str) -> Result<Vec<u8>, String> {
    let (mut ctrl, mut alt, mut shift) = (false, false, false);
    let mut base = name;
    loop {
        let flag = match base.get(..2) {
            Some("C-") => &mut ctrl,
            Some("A-") => &mut alt,
            Some("S-") => &mut shift,
            _ => break,
        };
        if base.len() == 2 {
            break; // "C-" alone: let it fail below as an unknown key
        }
        *flag = true;
        base = &base[2..];
    }
    let unsupported = || format!("<{name}> cannot be encoded for a legacy (xterm) terminal");

    enum Key {
        Char(char),
        Plain(&'static [u8]),
        Tab,
        Csi(char),
        Ss3(char),
        Tilde(u8),
    }
    let mut chars = base.chars();
    let key = match (chars.next(), chars.next()) {
        (Some(c), None) => Key::Char(c),
        _ => match base.to_ascii_lowercase().as_str() {
            "ret" | "enter" | "cr" => Key::Plain(b"\r"),
            "esc" => Key::Plain(b"\x1b"),
            "bs" | "backspace" => Key::Plain(b"\x7f"),
            "tab" => Key::Tab,
            "backtab" if !(ctrl || alt || shift) => return Ok(b"\x1b[Z".to_vec()),
            "space" => Key::Char(' '),
            "lt" => Key::Char('<'),
            "gt" => Key::Char('>'),
            "minus" => Key::Char('-'),
            "up" => Key::Csi('A'),
            "down" => Key::Csi('B'),
            "right" => Key::Csi('C'),
            "left" => Key::Csi('D'),
            "home" => Key::Csi('H'),
            "end" => Key::Csi('F'),
            "ins" | "insert" => Key::Tilde(2),
            "del" | "delete" => Key::Tilde(3),
            "pgup" | "pageup" => Key::Tilde(5),
            "pgdn" | "pagedown" => Key::Tilde(6),
            "f1" => Key::Ss3('P'),
            "f2" => Key::Ss3('Q'),
            "f3" => Key::Ss3('R'),
            "f4" => Key::Ss3('S'),
            "f5" => Key::Tilde(15),
            "f6" => Key::Tilde(17),
            "f7" => Key::Tilde(18),
            "f8" => Key::Tilde(19),
            "f9" => Key::Tilde(20),
            "f10" => Key::Tilde(21),
            "f11" => Key::Tilde(23),
            "f12" => Key::Tilde(24),
            _ => {
                return Err(format!(
                    "unknown key <{name}> (write a literal '<' as <lt>)"
                ));
            }
        },
    };

    let modifier = 1 + u8::from(shift) + 2 * u8::from(alt) + 4 * u8::from(ctrl);
    let mut out = Vec::new();
    match key {
        Key::Char(c) => {
            if alt {
                out.push(0x1b);
            }
            let c = match (shift, c.is_ascii_alphabetic()) {
                (false, _) => c,
                (true, true) if !ctrl => c.to_ascii_uppercase(),
                (true, _) => return Err(unsupported()),
            };
            if ctrl {
                let byte = match c {
                    'a'..='z' | 'A'..='Z' => c.to_ascii_lowercase() as u8 & 0x1f,
                    ' ' | '@' => 0x00,
                    '[' => 0x1b,
                    '\\' => 0x1c,
                    ']' => 0x1d,
                    '^' => 0x1e,
                    '_' => 0x1f,
                    _ => return Err(unsupported()),
                };
                out.push(byte);
            } else {
                out.extend_from_slice(c.to_string().as_bytes());
            }
        }
        Key::Plain(bytes) => {
            if ctrl || shift {
                return Err(unsupported());
            }
            if alt {
                out.push(0x1b);
            }
            out.extend_from_slice(bytes);
        }
        Key::Tab => match (ctrl, alt, shift) {
            (false, false, false) => out.push(b'\t'),
            (false, false, true) => out.extend_from_slice(b"\x1b[Z"),
            (false, true, false) => out.extend_from_slice(b"\x1b\t"),
            _ => return Err(unsupported()),
        },
        Key::Csi(letter) if modifier == 1 => out.extend(format!("\x1b[{letter}").bytes()),
        Key::Ss3(letter) if modifier == 1 => out.extend(format!("\x1bO{letter}").bytes()),
        Key::Csi(letter) | Key::Ss3(letter) => {
            out.extend(format!("\x1b[1;{modifier}{letter}").bytes());
        }
        Key::Tilde(n) if modifier == 1 => out.extend(format!("\x1b[{n}~").bytes()),
        Key::Tilde(n) => out.extend(format!("\x1b[{n};{modifier}~").bytes()),
    }
    Ok(out)
}
