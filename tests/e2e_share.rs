//! End to end on loopback, in three pseudo-terminals: a facilitator shares a session and two
//! attendees, Ana and Ben, join it. A brainwriting round starts (every screen shows its
//! countdown); both send ideas, and Ana's stay hidden from Ben until the round ends. In
//! question 2's inbox the facilitator accepts one idea, merges one into an existing threat and
//! dismisses one; each attendee sees what became of their ideas. The saved TOML then holds
//! exactly that work with its authors (and the run recorded for today), nothing of the
//! dismissed idea, and quitting tells the attendees the session ended.
#![cfg(unix)]

mod support;

use std::path::Path;
use std::time::Duration;
use support::{Tui, threatboard_bin};
use threatboard::model::{LibraryRef, Session, StrideSet};

/// Every wait: generous, three programs share two busy cores.
const WAIT: Duration = Duration::from_secs(20);

const SHOP: &str = concat!(
    support::shop_zones!(),
    support::shop_browser_and_api!(""),
    support::shop_db!(),
    support::shop_browser_flow!("protocol = \"https\"\n"),
    "\n[[flows]]\nid = \"api-db\"\nfrom = \"api\"\nto = \"db\"\nlabel = \"Queries\"\nprotocol = \"sql\"\n",
    "\n[[threats]]\nid = \"TH-001\"\ntarget = \"browser-api\"\ntitle = \"Captured orders are tampered with in transit\"\nstride = \"T\"\nrefs = [\"capec:CAPEC-94\"]\n",
);

/// Ana's first idea: accepted as a new threat.
const ACCEPTED: &str = "Attacker forges a session token to place orders as another user";
/// Ben's idea: merged into TH-001.
const MERGED: &str = "Captured checkout requests get replayed later";
/// Ana's second idea: dismissed.
const DISMISSED: &str = "Database password leaks into verbose logs";

/// Sends `keys` and waits until the screen shows every one of `expect`.
fn step(tui: &mut Tui, who: &str, keys: &str, expect: &[&str]) -> String {
    tui.send(keys);
    wait_all(tui, who, expect)
}

/// Waits until the screen shows every one of `expect` at once (a frame arrives in pieces).
fn wait_all(tui: &Tui, who: &str, expect: &[&str]) -> String {
    tui.wait_until(&format!("{expect:?}"), WAIT, |screen| {
        expect.iter().all(|needle| screen.contains(needle))
    })
    .unwrap_or_else(|e| panic!("{who}: {e}"))
}

/// Waits until `done(screen)`.
fn wait(tui: &Tui, who: &str, what: &str, done: impl FnMut(&str) -> bool) -> String {
    tui.wait_until(what, WAIT, done)
        .unwrap_or_else(|e| panic!("{who}: {e}"))
}

/// The first screen line that starts with `marker` (after any spaces and borders).
fn selected_line<'s>(screen: &'s str, marker: &str) -> Option<&'s str> {
    screen
        .lines()
        .find(|l| l.trim_start_matches([' ', '│']).starts_with(marker))
}

/// Whether `text` holds `prefix` followed by a clock like `2:59` or `02:59`.
fn shows_clock(text: &str, prefix: &str, suffix: &str) -> bool {
    text.match_indices(prefix).any(|(at, _)| {
        let rest = &text[at + prefix.len()..];
        let clock: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ':')
            .collect();
        let mut parts = clock.split(':');
        let ok = matches!(
            (parts.next(), parts.next(), parts.next()),
            (Some(m), Some(s), None) if !m.is_empty() && s.len() == 2
        );
        ok && rest[clock.len()..].starts_with(suffix)
    })
}

/// Moves an attendee's element selection (`▸`) down to the element `id`.
fn attendee_select(tui: &mut Tui, who: &str, id: &str) {
    for _ in 0..8 {
        let screen = tui.screen();
        let current = screen
            .lines()
            .find(|l| l.starts_with('▸'))
            .unwrap_or_default()
            .to_string();
        if current.contains(&format!(" {id} ")) {
            return;
        }
        tui.send("j");
        wait(tui, who, "the selection to move", |s| {
            s.lines().find(|l| l.starts_with('▸')).unwrap_or_default() != current
        });
    }
    panic!("{who}: could not select {id}:\n{}", tui.screen());
}

/// Moves the facilitator's element selection in question 2 down to the row titled `title`.
fn facilitator_select(tui: &mut Tui, title: &str) {
    for _ in 0..8 {
        let screen = tui.screen();
        let current = selected_line(&screen, "▸ ").unwrap_or_default().to_string();
        if current.contains(title) {
            return;
        }
        tui.send("j");
        wait(tui, "facilitator", "the selection to move", |s| {
            selected_line(s, "▸ ").unwrap_or_default() != current
        });
    }
    panic!("facilitator: could not select {title}:\n{}", tui.screen());
}

/// An attendee writes an idea on the selected element and waits until the host has it.
fn send_idea(tui: &mut Tui, who: &str, statement: &str, letters: &str, refs: &str) {
    step(tui, who, "n", &["New idea", "Statement"]);
    let mut keys = format!("{statement}<tab>{letters}");
    if !refs.is_empty() {
        keys.push_str(&format!("<tab>{refs}"));
    }
    keys.push_str("<ret>");
    tui.send(&keys);
    wait(tui, who, "the idea pending", |s| {
        !s.contains("New idea") && idea_status(s, statement) == Some("pending")
    });
    // The ideas pane has the focus now; back to the elements (only their `▸` is left).
    tui.send("<tab>");
    wait(tui, who, "the elements focused", |s| {
        s.lines().filter(|l| l.starts_with('▸')).count() == 1
    });
}

/// What became of the idea whose statement starts like `statement`, as its line (or, when it
/// is selected and shown in full, the lines under it) says.
fn idea_status(screen: &str, statement: &str) -> Option<&'static str> {
    let prefix = &statement[..20];
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines.iter().position(|l| l.contains(prefix))?;
    let rest = lines[at..lines.len().min(at + 5)].join("\n");
    let rest = &rest[rest.find(prefix)?..];
    [
        "pending",
        "accepted as TH-002",
        "merged into TH-001",
        "dismissed",
        "sending…",
        "not sent yet",
        "not taken",
    ]
    .into_iter()
    .filter_map(|status| rest.find(status).map(|i| (i, status)))
    .min()
    .map(|(_, status)| status)
}

fn join(dir: &Path, addr: &str, code: &str, name: &str, size: (u16, u16)) -> Tui {
    let home = dir.join(name);
    std::fs::create_dir_all(&home).expect("attendee dir");
    let home_text = home.to_string_lossy().into_owned();
    let state = home.join("state").to_string_lossy().into_owned();
    let tui = Tui::spawn(
        threatboard_bin(),
        &["join", addr, "--code", code, "--name", name],
        &home,
        size,
        &[
            ("USER", name),
            ("HOME", &home_text),
            ("XDG_STATE_HOME", &state),
        ],
    )
    .expect("spawns an attendee");
    wait_all(&tui, name, &[&format!("Shop · {name} · connected")]);
    tui
}

#[test]
fn a_round_of_ideas_from_two_attendees_ends_in_the_file_with_their_authors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let host_dir = root.join("host");
    std::fs::create_dir_all(host_dir.join("sessions")).expect("dirs");
    let file = host_dir.join("sessions/shop.toml");
    // Written as the app writes it, so that the saved file differs only by what was done.
    let original = threatboard::store::parse(SHOP)
        .expect("the session parses")
        .0;
    let original_text = threatboard::store::to_toml(&original).expect("serializes");
    let original = threatboard::store::parse(&original_text)
        .expect("the canonical session parses")
        .0;
    std::fs::write(&file, &original_text).expect("write session");

    let host_home = host_dir.to_string_lossy().into_owned();
    let host_state = host_dir.join("state").to_string_lossy().into_owned();
    let today_before = chrono::Local::now().date_naive();
    let mut host = Tui::spawn(
        threatboard_bin(),
        &["open", "sessions/shop.toml", "--share", "127.0.0.1:0"],
        &host_dir,
        (120, 40),
        &[
            ("USER", "tester"),
            ("HOME", &host_home),
            ("XDG_STATE_HOME", &host_state),
        ],
    )
    .expect("spawns the facilitator");
    let h = "facilitator";
    wait_all(&host, h, &["Start today's run"]);
    let screen = step(
        &mut host,
        h,
        "<ret>",
        &["Sharing with the room", "--name <your name>"],
    );

    // The join command, as an attendee would copy it.
    let command = screen
        .lines()
        .find_map(|l| l.split_once("threatboard join ").map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("a join command on screen:\n{screen}"));
    let words: Vec<&str> = command.split_whitespace().collect();
    let (addr, code) = match words.as_slice() {
        [addr, "--code", code, "--name", ..] => (addr.to_string(), code.to_string()),
        _ => panic!("join command {command:?}"),
    };
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
        "{addr}"
    );
    // Four groups of four base-32 characters: 80 bits, more than the 64 asked for.
    let groups: Vec<&str> = code.split('-').collect();
    assert!(
        groups.len() == 4
            && groups
                .iter()
                .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_alphanumeric())),
        "code {code:?}"
    );

    host.send("<esc>");
    wait(&host, h, "the join dialog closed", |s| {
        !s.contains("Sharing with the room") && s.contains("sharing · 0 attendees")
    });

    let mut ana = join(root, &addr, &code, "Ana", (80, 24));
    let mut ben = join(root, &addr, &code, "Ben", (120, 40));
    wait_all(&host, h, &["sharing · 2 attendees"]);

    // A round of 3 minutes: its countdown on every screen.
    step(&mut host, h, "B", &["Brainwriting round", "Minutes"]);
    host.send("<ret>");
    wait(&host, h, "the round's countdown", |s| {
        !s.contains("Brainwriting round") && shows_clock(s, "sharing · 2 attendees · round 1 ", "")
    });
    for (tui, who) in [(&ana, "Ana"), (&ben, "Ben")] {
        wait(tui, who, "the round's countdown", |s| {
            shows_clock(s, "round 1: ", " left")
                && s.contains("your ideas are hidden from the others")
        });
    }

    // Both write ideas; the first elements listed are the flows that cross a boundary.
    attendee_select(&mut ana, "Ana", "browser-api");
    send_idea(&mut ana, "Ana", ACCEPTED, "ST", "");
    attendee_select(&mut ben, "Ben", "browser-api");
    // Ben's echo comes after anything the host would have told him about Ana's idea.
    send_idea(&mut ben, "Ben", MERGED, "TR", "capec:CAPEC-60");
    attendee_select(&mut ana, "Ana", "api-db");
    send_idea(&mut ana, "Ana", DISMISSED, "I", "");

    // Question 2 counts the ideas waiting per element.
    step(&mut host, h, "2", &["2/4 What can go wrong?"]);
    wait(&host, h, "pending counts", |s| {
        s.lines()
            .any(|l| l.contains("*2 ") && l.contains("browser → api: Orders"))
            && s.lines()
                .any(|l| l.contains("*1 ") && l.contains("api → db: Queries"))
    });
    // The host has every idea; during the round Ben sees none of Ana's.
    let ben_screen = ben.wait_stable(Duration::from_millis(300), WAIT);
    for hidden in [&ACCEPTED[..20], &DISMISSED[..20], "From the others", "Ana"] {
        assert!(
            !ben_screen.contains(hidden),
            "Ben sees {hidden:?} during the round:\n{ben_screen}"
        );
    }
    assert!(
        shows_clock(&ben_screen, "round 1: ", " left"),
        "{ben_screen}"
    );

    // The round ends early: everyone's ideas are visible to all.
    host.send("B");
    wait(&host, h, "the round over", |s| {
        s.contains("sharing · 2 attendees") && !s.contains("round 1")
    });
    let ben_screen = wait(&ben, "Ben", "Ana's ideas", |s| {
        !s.contains("round 1:")
            && s.contains("From the others:")
            && s.lines().any(|l| {
                l.contains("Ana: browser-api [ST]")
                    && l.contains(&ACCEPTED[..20])
                    && l.ends_with("pending")
            })
            && s.lines()
                .any(|l| l.contains("Ana: api-db [I]") && l.contains(&DISMISSED[..20]))
    });
    assert!(
        !ben_screen.contains("your ideas are hidden"),
        "{ben_screen}"
    );
    wait(&ana, "Ana", "Ben's idea", |s| {
        !s.contains("round 1:")
            && s.contains("From the others:")
            && s.lines().any(|l| l.contains("Ben: browser-api [TR]"))
    });

    // The inbox on the crossing flow: both its ideas with their authors.
    facilitator_select(&mut host, "browser → api: Orders");
    step(
        &mut host,
        h,
        "i",
        &[
            "Inbox: attendees' ideas",
            "browser-api  browser → api: Orders: 2 ideas pending",
            "▸ #1 Ana  [ST]",
            ACCEPTED,
            "#2 Ben  [TR]  capec:CAPEC-60",
            MERGED,
        ],
    );
    // Accept Ana's: a new threat.
    let screen = step(&mut host, h, "a", &["1 idea pending", "▸ #2 Ben"]);
    assert!(!screen.contains("#1 Ana"), "{screen}");
    wait(&ana, "Ana", "accepted", |s| {
        idea_status(s, ACCEPTED) == Some("accepted as TH-002")
    });
    // Merge Ben's into TH-001, chosen from the element's threats.
    step(
        &mut host,
        h,
        "m",
        &[
            "Merge 1 idea (refs, letters and authors) into which threat?",
            "▸ TH-001 [T] Captured orders are tampered with in transit",
            "TH-002 [ST] Attacker forges a session token",
        ],
    );
    step(&mut host, h, "<down>", &["▸ TH-002 [ST]"]);
    step(&mut host, h, "<up>", &["▸ TH-001 [T]"]);
    step(
        &mut host,
        h,
        "<ret>",
        &["0 ideas pending", "No ideas waiting here"],
    );
    wait(&ben, "Ben", "merged", |s| {
        idea_status(s, MERGED) == Some("merged into TH-001")
    });
    // The other element's inbox: dismiss Ana's second idea.
    host.send("<esc>");
    wait(&host, h, "the inbox closed", |s| {
        !s.contains("Inbox: attendees' ideas")
    });
    facilitator_select(&mut host, "api → db: Queries");
    step(
        &mut host,
        h,
        "i",
        &[
            "api-db  api → db: Queries: 1 idea pending",
            "▸ #3 Ana  [I]",
            DISMISSED,
        ],
    );
    step(
        &mut host,
        h,
        "x",
        &["0 ideas pending", "No ideas waiting here"],
    );
    wait(&ana, "Ana", "dismissed", |s| {
        idea_status(s, DISMISSED) == Some("dismissed")
            && idea_status(s, ACCEPTED) == Some("accepted as TH-002")
    });
    // Ben sees what became of everyone's ideas.
    wait(&ben, "Ben", "every decision", |s| {
        s.lines()
            .any(|l| l.contains("Ana: browser-api [ST]") && l.ends_with("accepted as TH-002"))
            && s.lines()
                .any(|l| l.contains("Ana: api-db [I]") && l.ends_with("dismissed"))
            && idea_status(s, MERGED) == Some("merged into TH-001")
    });
    host.send("<esc>");
    wait(&host, h, "the inbox closed", |s| {
        !s.contains("Inbox: attendees' ideas")
            && !s.lines().any(|l| l.contains("*1 ") || l.contains("*2 "))
    });

    // Saved: exactly the accepted work, with its authors, and today's run.
    step(&mut host, h, "<C-s>", &["saved sessions/shop.toml"]);
    let text = std::fs::read_to_string(&file).expect("the session was written");
    let written: Session = threatboard::store::parse(&text)
        .unwrap_or_else(|e| panic!("the written session parses: {e:?}\n{text}"))
        .0;
    let today_after = chrono::Local::now().date_naive();

    let run = match written.runs.as_slice() {
        [run] => run,
        runs => panic!("one run, today's: {runs:?}\n{text}"),
    };
    assert!(
        run.date == today_before || run.date == today_after,
        "{run:?}"
    );
    assert_eq!(run.facilitator, "tester");
    assert_eq!(run.trigger, "initial");

    let mut expected = original.clone();
    expected.runs = written.runs.clone();
    {
        let merged = &mut expected.threats[0];
        merged.stride = StrideSet::parse("TR");
        merged.refs.push(LibraryRef::raw("capec:CAPEC-60"));
        merged.raised_by = vec!["Ben".to_string()];
    }
    let mut accepted = expected.threats[0].clone();
    accepted.id = "TH-002".into();
    accepted.target = "browser-api".into();
    accepted.title = ACCEPTED.to_string();
    accepted.stride = StrideSet::parse("ST");
    accepted.refs = Vec::new();
    accepted.raised_by = vec!["Ana".to_string()];
    expected.threats.push(accepted);
    assert_eq!(written, expected, "the written session:\n{text}");
    assert_eq!(
        text,
        threatboard::store::to_toml(&expected).expect("serializes"),
        "the written text"
    );

    // And in the TOML as written: the authors, nothing of the dismissed idea.
    assert!(text.contains("raised_by = [\"Ana\"]"), "{text}");
    assert!(text.contains("raised_by = [\"Ben\"]"), "{text}");
    assert!(text.contains(ACCEPTED), "{text}");
    for trace in ["leaks into verbose logs", "Database password", MERGED] {
        assert!(!text.contains(trace), "{trace:?} in:\n{text}");
    }
    assert_eq!(text.matches("[[threats]]").count(), 2, "{text}");

    // Quitting ends the session for everyone.
    host.send("q");
    assert_eq!(host.wait_exit(WAIT), Some(0), "the facilitator quits");
    for (tui, who) in [(&mut ana, "Ana"), (&mut ben, "Ben")] {
        wait_all(
            tui,
            who,
            &[
                &format!("{who} · ended"),
                "The facilitator ended the session",
            ],
        );
        tui.send("q");
        assert_eq!(tui.wait_exit(WAIT), Some(0), "{who} quits");
    }
}
