//! The facilitator's share as the app holds it: the running [`Host`] (none in tests), the
//! inbox of ideas, who is connected, the round under way, and which decisions undo can take
//! back. Every call into the host returns at once; without a host, what would have been sent
//! is recorded in `outbox` instead, so tests can read it.

use crate::share::inbox::Inbox;
use crate::share::{Host, HostEvent, IdeaId, IdeaStatus, Limits, SharedModel};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Where sharing listens when no `--share` address was given: this machine only (an SSH
/// tunnel reaches it).
pub const DEFAULT_SHARE_ADDR: &str = "127.0.0.1:7420";

/// A round's length when the form is left as it opens.
pub const DEFAULT_ROUND_MINUTES: u32 = 3;

/// The model is sent at most this often, however fast the facilitator edits.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(300);

/// What would have gone to the host (recorded when there is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    Status(IdeaId, IdeaStatus),
    StartRound(u32),
    EndRound,
    /// The model at this revision of the session's history.
    Model(u64),
}

/// A brainwriting round under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub number: u32,
    pub ends_at: Instant,
    /// Time left at the last tick: what the header shows (drawing never reads the clock).
    pub remaining: Duration,
}

/// Accepting or merging ideas: which statuses it set, and the undo depth right after its edit,
/// so that undoing past it puts the ideas back to pending and redoing sets them again.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decision {
    depth: usize,
    statuses: Vec<(IdeaId, IdeaStatus)>,
}

pub struct Sharing {
    host: Option<Host>,
    /// The address attendees join, as bound (the real port when 0 was asked for).
    pub addr: String,
    pub code: String,
    pub inbox: Inbox,
    pub attendees: BTreeSet<String>,
    pub round: Option<Round>,
    rounds_started: u32,
    /// What was sent while there is no host (tests).
    pub outbox: Vec<Outgoing>,
    /// The revision last published, and when.
    published: Option<(u64, Instant)>,
    decided: Vec<Decision>,
    undone: Vec<Decision>,
}

impl std::fmt::Debug for Sharing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sharing")
            .field("addr", &self.addr)
            .field("attendees", &self.attendees)
            .field("round", &self.round)
            .finish_non_exhaustive()
    }
}

impl Sharing {
    /// Starts a host on `addr` sharing `model`.
    pub fn start(addr: &str, model: SharedModel) -> std::io::Result<Sharing> {
        let host = Host::start(addr, model, Limits::default())?;
        let bound = host.local_addr().to_string();
        let code = host.code().to_string();
        let mut sharing = Sharing::offline(&bound, &code);
        sharing.host = Some(host);
        Ok(sharing)
    }

    /// A share without a network: what the app does is recorded in `outbox` (tests).
    pub fn offline(addr: &str, code: &str) -> Sharing {
        Sharing {
            host: None,
            addr: addr.to_string(),
            code: code.to_string(),
            inbox: Inbox::new(),
            attendees: BTreeSet::new(),
            round: None,
            rounds_started: 0,
            outbox: Vec::new(),
            published: None,
            decided: Vec::new(),
            undone: Vec::new(),
        }
    }

    /// The command an attendee types to join, for `name`.
    pub fn join_command(&self, name: &str) -> String {
        format!(
            "threatboard join {} --code {} --name {name}",
            self.addr, self.code
        )
    }

    /// Whether attendees on other machines must use this machine's LAN address instead (the
    /// share listens on every interface).
    pub fn on_every_interface(&self) -> bool {
        self.addr.starts_with("0.0.0.0:") || self.addr.starts_with("[::]:")
    }

    /// The port listened on, for the SSH tunnel line.
    pub fn port(&self) -> &str {
        self.addr.rsplit(':').next().unwrap_or("7420")
    }

    /// What happened on the network since the last call (nothing without a host).
    pub fn poll(&mut self) -> Vec<HostEvent> {
        self.host.as_mut().map(Host::poll).unwrap_or_default()
    }

    fn send(&mut self, outgoing: Outgoing) {
        match &self.host {
            Some(host) => match outgoing {
                Outgoing::Status(id, status) => host.set_status(id, status),
                Outgoing::StartRound(secs) => host.start_round(secs),
                Outgoing::EndRound => host.end_round(),
                // The model itself goes through `publish`.
                Outgoing::Model(_) => {}
            },
            None => self.outbox.push(outgoing),
        }
    }

    /// Records a decision on an idea and tells the host.
    pub fn set_status(&mut self, id: IdeaId, status: IdeaStatus) {
        if self.inbox.set_status(id, status.clone()) {
            self.send(Outgoing::Status(id, status));
        }
    }

    /// An accept or merge applied as one edit, leaving the history `depth` deep.
    pub fn decide(&mut self, depth: usize, statuses: Vec<(IdeaId, IdeaStatus)>) {
        for (id, status) in &statuses {
            self.set_status(*id, status.clone());
        }
        self.decided.push(Decision { depth, statuses });
    }

    /// A new edit cleared the history's redo: decisions undone stay undone for good.
    pub fn forget_undone(&mut self) {
        self.undone.clear();
    }

    /// After an undo or redo left the history `depth` deep: decisions undone are pending again,
    /// decisions redone are set again. Returns how many ideas changed.
    pub fn follow_history(&mut self, depth: usize) -> usize {
        let mut changed = 0;
        while let Some(decision) = self.decided.pop_if(|d| d.depth > depth) {
            for (id, _) in &decision.statuses {
                self.set_status(*id, IdeaStatus::Pending);
                changed += 1;
            }
            self.undone.push(decision);
        }
        while let Some(decision) = self.undone.pop_if(|d| d.depth <= depth) {
            for (id, status) in &decision.statuses {
                self.set_status(*id, status.clone());
                changed += 1;
            }
            self.decided.push(decision);
        }
        changed
    }

    /// Starts a round of `minutes` minutes at `now` (one under way ends first).
    pub fn start_round(&mut self, minutes: u32, now: Instant) {
        let secs = minutes.saturating_mul(60);
        let length = Duration::from_secs(u64::from(secs));
        self.rounds_started += 1;
        self.round = Some(Round {
            number: self.rounds_started,
            ends_at: now + length,
            remaining: length,
        });
        self.send(Outgoing::StartRound(secs));
    }

    /// Ends the round under way, if any.
    pub fn end_round(&mut self) -> bool {
        if self.round.take().is_some() {
            self.send(Outgoing::EndRound);
            true
        } else {
            false
        }
    }

    /// Counts the round down to `now`; `true` when its time ran out now (it is ended then).
    pub fn tick(&mut self, now: Instant) -> bool {
        let Some(round) = &mut self.round else {
            return false;
        };
        round.remaining = round.ends_at.saturating_duration_since(now);
        if round.remaining.is_zero() {
            self.end_round()
        } else {
            false
        }
    }

    /// Whether the model at `revision` should be sent now: it changed and the last send was
    /// long enough ago.
    pub fn publish_due(&self, revision: u64, now: Instant) -> bool {
        match self.published {
            None => true,
            Some((sent, at)) => sent != revision && now.duration_since(at) >= PUBLISH_EVERY,
        }
    }

    /// The host was started with the model at `revision`.
    pub fn mark_published(&mut self, revision: u64, now: Instant) {
        self.published = Some((revision, now));
    }

    /// Sends the model at `revision`.
    pub fn publish(&mut self, revision: u64, model: SharedModel, now: Instant) {
        self.published = Some((revision, now));
        match &self.host {
            Some(host) => host.publish_model(model),
            None => self.outbox.push(Outgoing::Model(revision)),
        }
    }

    /// Ends the share: attendees are told, the port is released.
    pub fn stop(self) {
        if let Some(host) = self.host {
            host.stop();
        }
    }
}

/// Time left as the header shows it: `02:59`.
pub fn mm_ss(remaining: Duration) -> String {
    // A round that has a part second left shows it as a whole second, never 00:00 early.
    let secs = remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0);
    format!("{:02}:{:02}", secs / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_counts_down_and_ends_itself_once() {
        let mut sharing = Sharing::offline("127.0.0.1:7420", "code");
        let start = Instant::now();
        sharing.start_round(3, start);
        assert_eq!(sharing.outbox, vec![Outgoing::StartRound(180)]);
        assert!(!sharing.tick(start + Duration::from_secs(60)));
        assert_eq!(
            sharing.round.map(|r| mm_ss(r.remaining)).as_deref(),
            Some("02:00")
        );
        assert!(sharing.tick(start + Duration::from_secs(180)));
        assert_eq!(sharing.round, None);
        assert!(
            !sharing.tick(start + Duration::from_secs(181)),
            "ended once"
        );
        assert_eq!(
            sharing.outbox,
            vec![Outgoing::StartRound(180), Outgoing::EndRound]
        );
        sharing.start_round(1, start);
        assert_eq!(sharing.round.map(|r| r.number), Some(2));
    }

    #[test]
    fn decisions_follow_the_history_depth_both_ways_and_a_new_edit_forgets_redo() {
        let mut sharing = Sharing::offline("127.0.0.1:7420", "code");
        let draft = |statement: &str| crate::share::IdeaDraft {
            element: "F1".into(),
            statement: statement.into(),
            stride: Default::default(),
            refs: Vec::new(),
            likelihood: None,
            impact: None,
        };
        sharing.inbox.receive(1, "ana", draft("one"));
        sharing.inbox.receive(2, "bo", draft("two"));
        let accepted = IdeaStatus::Accepted {
            threat: "TH-1".into(),
        };
        sharing.decide(1, vec![(1, accepted.clone())]);
        sharing.decide(2, vec![(2, IdeaStatus::Dismissed)]);
        let status = |s: &Sharing, id| s.inbox.get(id).map(|i| i.status.clone());
        // Back to the start (a reload): both pending.
        assert_eq!(sharing.follow_history(0), 2);
        assert_eq!(status(&sharing, 1), Some(IdeaStatus::Pending));
        assert_eq!(status(&sharing, 2), Some(IdeaStatus::Pending));
        // One redo: only the first again.
        assert_eq!(sharing.follow_history(1), 1);
        assert_eq!(status(&sharing, 1), Some(accepted));
        assert_eq!(status(&sharing, 2), Some(IdeaStatus::Pending));
        // A new edit: the second can no longer be redone.
        sharing.forget_undone();
        assert_eq!(sharing.follow_history(2), 0);
        assert_eq!(status(&sharing, 2), Some(IdeaStatus::Pending));
    }

    #[test]
    fn time_left_rounds_up_to_the_second() {
        assert_eq!(mm_ss(Duration::from_millis(500)), "00:01");
        assert_eq!(mm_ss(Duration::from_secs(180)), "03:00");
        assert_eq!(mm_ss(Duration::ZERO), "00:00");
    }

    #[test]
    fn the_model_is_published_when_it_changed_and_not_too_often() {
        let mut sharing = Sharing::offline("127.0.0.1:7420", "code");
        let t0 = Instant::now();
        assert!(sharing.publish_due(0, t0));
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sessions")
            .join("three-tier-cloud-web-app.toml");
        let loaded = crate::store::load(&example).expect("example loads");
        sharing.publish(0, crate::share::shared_model(&loaded.session), t0);
        assert!(
            !sharing.publish_due(0, t0 + Duration::from_secs(5)),
            "unchanged"
        );
        assert!(
            !sharing.publish_due(1, t0 + Duration::from_millis(100)),
            "too soon"
        );
        assert!(sharing.publish_due(1, t0 + PUBLISH_EVERY));
        assert_eq!(sharing.outbox, vec![Outgoing::Model(0)]);
    }

    #[test]
    fn the_join_command_and_the_lan_note() {
        let sharing = Sharing::offline("0.0.0.0:7420", "k7f2-9xq4-m3vd-82hc");
        assert_eq!(
            sharing.join_command("NAME"),
            "threatboard join 0.0.0.0:7420 --code k7f2-9xq4-m3vd-82hc --name NAME"
        );
        assert!(sharing.on_every_interface());
        assert_eq!(sharing.port(), "7420");
        assert!(!Sharing::offline("127.0.0.1:9", "c").on_every_interface());
    }
}
