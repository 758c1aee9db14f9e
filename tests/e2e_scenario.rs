//! End to end in a pseudo-terminal: the whole 30-minute "Payment webhooks" session as a team
//! would run it, every key counted. Question 1 takes down 3 boundaries, 2 assets, 5 components
//! and 5 flows on the quick-add line (the budget is 400 keys, so that it fits its 8 minutes);
//! question 2 adds 8 threats, 6 from the rules' suggestions and 2 typed by hand; question 3 six
//! mitigations with owners and due dates and one accepted risk; question 4 the retrospective.
//! Then the written file is checked entry by entry. Run with `--nocapture` to see the counts.
#![cfg(unix)]

mod support;

use support::{DEFAULT_TIMEOUT, Tui, step, threatboard_bin};
use threatboard::model::{Classification, ComponentKind, Session, Technology};

/// Every key sent, per part of the session: a `<name>` is one key, any other character one.
#[derive(Default)]
struct Keys {
    parts: Vec<(&'static str, usize)>,
}

impl Keys {
    fn count(keys: &str) -> usize {
        let mut n = 0;
        let mut rest = keys;
        while let Some(c) = rest.chars().next() {
            // The harness's notation: `<name>` with no space or `<` inside is one key.
            if c == '<'
                && let Some(end) = rest[1..].find('>')
                && !rest[1..=end].is_empty()
                && !rest[1..=end].contains(|c: char| c == '<' || c.is_whitespace())
            {
                rest = &rest[end + 2..];
            } else {
                rest = &rest[c.len_utf8()..];
            }
            n += 1;
        }
        n
    }

    fn add(&mut self, part: &'static str, keys: &str) {
        let n = Self::count(keys);
        match self.parts.iter_mut().find(|(p, _)| *p == part) {
            Some((_, total)) => *total += n,
            None => self.parts.push((part, n)),
        }
    }

    fn of(&self, part: &str) -> usize {
        self.parts
            .iter()
            .find(|(p, _)| *p == part)
            .map_or(0, |(_, n)| *n)
    }
}

/// Sends counted keys and waits for the screen to show `expect`.
fn go(tui: &mut Tui, keys: &mut Keys, part: &'static str, sent: &str, expect: &str) {
    keys.add(part, sent);
    step(tui, sent, expect);
}

#[test]
fn payment_webhooks_session_with_question_1_in_at_most_400_keys() {
    assert_eq!(Keys::count("ab<tab> <C-s>x<lt>"), 7);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let mut tui = Tui::spawn(
        threatboard_bin(),
        &["new", "Payment webhooks"],
        root,
        (120, 40),
        &[("USER", "dana")],
    )
    .expect("spawns");
    let mut keys = Keys::default();
    tui.wait_for("Start today's run", DEFAULT_TIMEOUT)
        .expect("asks for today's run");
    go(
        &mut tui,
        &mut keys,
        "run",
        "<tab><C-u>Dana<tab>Ana, Bo, Chen<ret>",
        "run recorded",
    );

    // Question 1 on the quick-add line. Ids are completed with Tab once the dimmed completion
    // shows the right one, as a typist would; Tab at the end of the line adds the space after.
    let q1 = "question 1";
    go(&mut tui, &mut keys, q1, "i", "Quick add");
    go(
        &mut tui,
        &mut keys,
        q1,
        "b Internet<ret>",
        "added boundary internet",
    );
    go(
        &mut tui,
        &mut keys,
        q1,
        "b Payments VPC<ret>",
        "added boundary payments-vpc",
    );
    // The completion shows before Tab takes it.
    go(
        &mut tui,
        &mut keys,
        q1,
        "b Ledger subnet in p",
        "in payments-vpc",
    );
    go(
        &mut tui,
        &mut keys,
        q1,
        "<tab><ret>",
        "added boundary ledger-subnet",
    );
    go(
        &mut tui,
        &mut keys,
        q1,
        "a Card data re<tab><ret>",
        "added asset card-data",
    );
    go(
        &mut tui,
        &mut keys,
        q1,
        "a Ledger entries co<tab><ret>",
        "added asset ledger-entries",
    );
    for (line, added) in [
        (
            "Payment provider (pay<tab>) in i<tab><ret>",
            "added component payment-provider",
        ),
        (
            "Webhook receiver (api) in p<tab><ret>",
            "added component webhook-receiver",
        ),
        // No boundary: the previous component's.
        ("Event queue (mes<tab><ret>", "added component event-queue"),
        (
            "Ledger service (api) in l<tab><ret>",
            "added component ledger-service",
        ),
        ("Ledger DB (datab<tab><ret>", "added component ledger-db"),
        (
            "p<tab>-> w<tab>: Payment events (https auth c<tab><ret>",
            "added flow payment-provider-webhook-receiver",
        ),
        // Protocol, auth and enc left out are the previous flow's.
        (
            "w<tab>-> e<tab>: Queued events (amqp c<tab><ret>",
            "added flow webhook-receiver-event-queue",
        ),
        (
            "e<tab>-> l<tab>: Ledger events (l<tab><ret>",
            "added flow event-queue-ledger-service",
        ),
        // "d" completes to ledger-db: a later part of the id.
        (
            "l<tab>-> d<tab>: Ledger writes (sql noenc l<tab><ret>",
            "added flow ledger-service-ledger-db",
        ),
        (
            "l<tab>-> p<tab>: Refund requests (https c<tab><ret>",
            "added flow ledger-service-payment-provider",
        ),
    ] {
        go(&mut tui, &mut keys, q1, line, added);
    }
    go(&mut tui, &mut keys, q1, "<esc>", "quick add closed");

    // Question 2: six threats from the rules' suggestions (walked, each form prefilled), two
    // typed by hand.
    let q2 = "question 2";
    go(&mut tui, &mut keys, q2, "2", "2/4 What can go wrong?");
    go(&mut tui, &mut keys, q2, "w", "Walk: suggestion 1 of");
    for n in 1..=6 {
        go(
            &mut tui,
            &mut keys,
            q2,
            "s",
            &format!("New threat TH-00{n}"),
        );
        go(
            &mut tui,
            &mut keys,
            q2,
            "<ret>",
            &format!("TH-00{n} added from rule"),
        );
    }
    keys.add(q2, "<esc>");
    tui.send("<esc>");
    tui.wait_until("the walk stopped", DEFAULT_TIMEOUT, |screen| {
        !screen.contains("Walk: suggestion")
    })
    .expect("the walk stops");
    go(&mut tui, &mut keys, q2, "c", "Custom threat");
    go(
        &mut tui,
        &mut keys,
        q2,
        "Replayed webhook credits an order twice<tab>S<ret>",
        "TH-007 added",
    );
    go(&mut tui, &mut keys, q2, "c", "Custom threat");
    go(
        &mut tui,
        &mut keys,
        q2,
        "Forged refund sent to the provider<tab>ST<ret>",
        "TH-008 added",
    );

    // Question 3: a mitigation with an owner and a due date for six threats, taking the rule's
    // mitigation when one is offered; the seventh accepted.
    let q3 = "question 3";
    go(
        &mut tui,
        &mut keys,
        q3,
        "3",
        "3/4 What are we going to do about it?",
    );
    let owners = ["Ana", "Bo", "Chen", "Ana", "Bo", "Dana"];
    for (n, owner) in owners.iter().enumerate() {
        if n > 0 {
            // Back to the threats, the next one down.
            keys.add(q3, "<left>j");
            tui.send("<left>j");
        }
        go(&mut tui, &mut keys, q3, "m", "Add mitigation");
        // The last field's row is drawn after the Action row: that row is complete then.
        let offered = tui
            .wait_for("Ticket", DEFAULT_TIMEOUT)
            .expect("the form")
            .contains("→ takes:");
        let action = if offered {
            "<right>".to_string()
        } else {
            format!("Mitigation {}", n + 1)
        };
        go(
            &mut tui,
            &mut keys,
            q3,
            &format!("{action}<tab>{owner}<tab>+2w<ret>"),
            &format!("MI-00{} saved, due", n + 1),
        );
    }
    go(&mut tui, &mut keys, q3, "<left>jx", "Accept the risk");
    go(
        &mut tui,
        &mut keys,
        q3,
        "Provider retries; low value<tab>Dana<tab>+3m<ret>",
        "accepted",
    );

    // Question 4: the retrospective, then save.
    let q4 = "question 4";
    go(&mut tui, &mut keys, q4, "4", "4/4 Did we do a good job?");
    go(&mut tui, &mut keys, q4, "e", "Retrospective");
    keys.add(q4, "Quick add kept Q1 short<tab>Rate custom threats<ret>");
    tui.send("Quick add kept Q1 short<tab>Rate custom threats<ret>");
    go(
        &mut tui,
        &mut keys,
        q4,
        "<C-s>",
        "saved sessions/payment-webhooks.toml",
    );
    keys.add(q4, "q");
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));

    for (part, n) in &keys.parts {
        eprintln!("keys {part}: {n}");
    }
    eprintln!(
        "keys in all: {}",
        keys.parts.iter().map(|(_, n)| n).sum::<usize>()
    );
    let q1_keys = keys.of(q1);
    assert!(q1_keys <= 400, "question 1 took {q1_keys} keys");

    let loaded = threatboard::store::load(&root.join("sessions/payment-webhooks.toml"))
        .expect("the session was written");
    check_model(&loaded.session);
    let s = &loaded.session;
    assert_eq!(s.threats.len(), 8, "{:#?}", s.threats);
    assert_eq!(
        s.threats.iter().filter(|t| t.rule.is_some()).count(),
        6,
        "six from the rules"
    );
    assert_eq!(s.mitigations.len(), 6);
    let today = chrono::Local::now().date_naive();
    for m in &s.mitigations {
        assert!(owners.contains(&m.owner.as_str()), "{m:?}");
        assert!(m.due.is_some_and(|d| d > today), "{m:?}");
        assert!(!m.action.trim().is_empty(), "{m:?}");
    }
    assert_eq!(s.acceptances.len(), 1);
    let a = &s.acceptances[0];
    assert_eq!(a.accepted_by, "Dana");
    assert!(a.review_by.is_some_and(|d| d > today), "{a:?}");
    assert!(
        threatboard::model::validate(s).is_empty(),
        "{:?}",
        threatboard::model::validate(s)
    );
}

/// Exactly the model typed in question 1.
fn check_model(s: &Session) {
    let boundaries: Vec<(&str, &str, Option<&str>)> = s
        .boundaries
        .iter()
        .map(|b| {
            (
                b.id.as_str(),
                b.name.as_str(),
                b.parent.as_ref().map(|p| p.as_str()),
            )
        })
        .collect();
    assert_eq!(
        boundaries,
        [
            ("internet", "Internet", None),
            ("ledger-subnet", "Ledger subnet", Some("payments-vpc")),
            ("payments-vpc", "Payments VPC", None),
        ]
    );
    let assets: Vec<(&str, &str, Classification)> = s
        .assets
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str(), a.classification))
        .collect();
    assert_eq!(
        assets,
        [
            ("card-data", "Card data", Classification::Restricted),
            (
                "ledger-entries",
                "Ledger entries",
                Classification::Confidential
            ),
        ]
    );
    type C<'a> = (
        &'a str,
        &'a str,
        ComponentKind,
        Option<Technology>,
        Option<&'a str>,
    );
    let components: Vec<C> = s
        .components
        .iter()
        .map(|c| {
            (
                c.id.as_str(),
                c.name.as_str(),
                c.kind,
                c.technology,
                c.boundary.as_ref().map(|b| b.as_str()),
            )
        })
        .collect();
    use ComponentKind::*;
    assert_eq!(
        components,
        [
            (
                "event-queue",
                "Event queue",
                DataStore,
                Some(Technology::MessageQueue),
                Some("payments-vpc")
            ),
            (
                "ledger-db",
                "Ledger DB",
                DataStore,
                Some(Technology::Database),
                Some("ledger-subnet")
            ),
            (
                "ledger-service",
                "Ledger service",
                Process,
                Some(Technology::Api),
                Some("ledger-subnet")
            ),
            (
                "payment-provider",
                "Payment provider",
                ExternalEntity,
                Some(Technology::PaymentProvider),
                Some("internet")
            ),
            (
                "webhook-receiver",
                "Webhook receiver",
                Process,
                Some(Technology::Api),
                Some("payments-vpc")
            ),
        ]
    );
    type F<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        bool,
        bool,
        Vec<&'a str>,
    );
    let flows: Vec<F> = s
        .flows
        .iter()
        .map(|f| {
            (
                f.id.as_str(),
                f.from.as_str(),
                f.to.as_str(),
                f.label.as_str(),
                f.protocol.as_str(),
                f.is_authenticated(),
                f.is_encrypted(),
                f.assets.iter().map(|a| a.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        flows,
        [
            (
                "event-queue-ledger-service",
                "event-queue",
                "ledger-service",
                "Ledger events",
                "amqp",
                true,
                true,
                vec!["ledger-entries"]
            ),
            (
                "ledger-service-ledger-db",
                "ledger-service",
                "ledger-db",
                "Ledger writes",
                "sql",
                true,
                false,
                vec!["ledger-entries"]
            ),
            (
                "ledger-service-payment-provider",
                "ledger-service",
                "payment-provider",
                "Refund requests",
                "https",
                true,
                true,
                vec!["card-data"]
            ),
            (
                "payment-provider-webhook-receiver",
                "payment-provider",
                "webhook-receiver",
                "Payment events",
                "https",
                true,
                true,
                vec!["card-data"]
            ),
            (
                "webhook-receiver-event-queue",
                "webhook-receiver",
                "event-queue",
                "Queued events",
                "amqp",
                true,
                true,
                vec!["card-data"]
            ),
        ]
    );
}
