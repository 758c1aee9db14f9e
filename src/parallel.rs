//! Two pieces of work at once, on this thread and one more.
//!
//! `check` splits its work in pairs: the pieces of a large session file, the unanswered
//! suggestions and the rest of the analysis, the blocks of the report. Each pair goes through
//! [`join`], so that no more threads are runnable than the two cores of a small CI machine:
//! with a third one, Linux left a new thread queued behind its parent for up to a scheduler
//! tick (4 ms) while the other core sat idle, and the work ran one piece after the other.
//!
//! The one more thread is made once, by [`start`], and kept: `check` used to make one per pair
//! that needed it (one for each file and one for the report), and on a small VM each started
//! 0.3-3 ms late. Kept, it is woken instead, and no thread is made or ended mid-run; at 1,000
//! components that took about a millisecond off `check`. The threads hand work over within
//! a pair through [`Handover`]s and [`Task`]s.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// The thread that takes the second piece of every pair: a pool of one, made once. `None` if
/// no thread can be had; the pairs then run one after the other.
fn helper() -> Option<&'static rayon_core::ThreadPool> {
    static HELPER: OnceLock<Option<rayon_core::ThreadPool>> = OnceLock::new();
    HELPER
        .get_or_init(|| {
            rayon_core::ThreadPoolBuilder::new()
                .num_threads(1)
                .thread_name(|_| "helper".into())
                .start_handler(|_| HELPER_RUNNING.store(true, Ordering::Release))
                .build()
                .ok()
        })
        .as_ref()
}

/// Whether the helper thread has run yet.
static HELPER_RUNNING: AtomicBool = AtomicBool::new(false);

/// Makes the helper thread now, so that it is running by the time there is work for it. Call
/// it first thing: the earlier in the run, the sooner the thread runs. It does not wait for the
/// thread to run: [`settle`] does, once this thread has done some work of its own. A second
/// call does nothing.
pub fn start() {
    if helper().is_some() {
        let _ = STARTED.set(Instant::now());
    }
}

/// When [`start`] made the helper thread.
static STARTED: OnceLock<Instant> = OnceLock::new();

/// Whether [`settle`] has been done.
static SETTLED: AtomicBool = AtomicBool::new(false);

/// Makes sure the helper thread has run, before work that needs it.
///
/// Some VMs' schedulers put a new thread on its parent's core even when another is idle, and
/// it then waits for a scheduler tick (3-4 ms) to run. If the helper has not run within a
/// tenth of a millisecond of its start, this thread moves to another core, which leaves its own
/// to the helper: in a test program, the 90th percentile of that wait went from 3.4 ms to
/// 0.14 ms, for 0.06-0.07 ms spent moving. `check` calls this after reading the file, which
/// does not need the helper: waiting right after the start spent 0.1 ms of most runs spinning.
pub fn settle() {
    // Once is enough: a later file's read finds the helper running, or already given a core.
    let Some(started) = STARTED
        .get()
        .filter(|_| !SETTLED.swap(true, Ordering::AcqRel))
    else {
        return;
    };
    while !HELPER_RUNNING.load(Ordering::Acquire) {
        if started.elapsed() > Duration::from_micros(100) {
            move_to_another_core();
            return;
        }
        std::hint::spin_loop();
    }
}

/// Moves this thread to another core it may run on, then lets it run on any of them again.
#[cfg(target_os = "linux")]
fn move_to_another_core() {
    use rustix::thread::{CpuSet, sched_getaffinity, sched_getcpu, sched_setaffinity};
    let Ok(allowed) = sched_getaffinity(None) else {
        return;
    };
    let here = sched_getcpu();
    let Some(other) = (0..CpuSet::MAX_CPU).find(|&cpu| cpu != here && allowed.is_set(cpu)) else {
        return;
    };
    let mut there = CpuSet::new();
    there.set(other);
    if sched_setaffinity(None, &there).is_ok() {
        // Moved (the call returns on the new core); any core again from here on.
        let _ = sched_setaffinity(None, &allowed);
    }
}

#[cfg(not(target_os = "linux"))]
fn move_to_another_core() {}

/// Whether a pair's second piece is with the helper (waiting for it, or being done): a pair
/// started meanwhile runs both pieces here. Waiting for the helper instead would deadlock a
/// pair inside a pair whose second piece waits for the first (as `check`'s do), and two
/// callers on other threads would wait for each other's work.
static HELPER_TAKEN: AtomicBool = AtomicBool::new(false);

/// Runs `here` on this thread and `beside` on the helper thread, and returns both results. If
/// the helper is taken, or there is none, or it has not come to `beside` by the time `here`
/// is done, `beside` runs here after `here`. Both run even if one panics; the panic is then
/// resumed on this thread.
pub fn join<A, B>(here: impl FnOnce() -> A, beside: impl FnOnce() -> B + Send) -> (A, B)
where
    B: Send,
{
    /// Gives the helper back when its piece is done, or has panicked.
    struct GiveBack;
    impl Drop for GiveBack {
        fn drop(&mut self) {
            HELPER_TAKEN.store(false, Ordering::Release);
        }
    }

    // The work goes to the helper through a slot, so that whichever thread comes to it first
    // does it: this one does when the helper has not taken it by the time `here` is done.
    let slot = Mutex::new(Some(beside));
    let take = || slot.lock().ok().and_then(|mut work| work.take());
    let done = Mutex::new(None);
    let run = || {
        if let Some(work) = take() {
            let b = work();
            if let Ok(mut done) = done.lock() {
                *done = Some(b);
            }
        }
    };
    let free = helper().filter(|_| !HELPER_TAKEN.swap(true, Ordering::AcqRel));
    let a = match free {
        Some(pool) => pool.in_place_scope(|scope| {
            scope.spawn(|_| {
                let _give_back = GiveBack;
                run();
            });
            let a = here();
            run();
            a
        }),
        None => {
            // `beside` runs even when `here` panics, as it would on the helper: whatever it
            // was waiting for has been closed on the way out (see `CloseOnDrop`).
            let a = std::panic::catch_unwind(std::panic::AssertUnwindSafe(here));
            run();
            a.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }
    };
    // A panic in `beside` was resumed by the scope, so it gave its result.
    let b = done.into_inner().ok().flatten();
    (a, b.expect("the work beside was run once"))
}

/// A value one thread makes and the other waits for, so that the other can start on work of
/// its own before the value exists. If making it fails (panics), the wait ends with `None`
/// rather than never, and [`join`] passes the panic on.
pub struct Handover<T>(OnceLock<Option<T>>);

impl<T> Default for Handover<T> {
    fn default() -> Self {
        Handover(OnceLock::new())
    }
}

impl<T> Handover<T> {
    /// Makes the value and hands it over (once: later calls get the first value).
    pub fn give(&self, make: impl FnOnce() -> T) -> Option<&T> {
        struct Release<'h, T>(&'h OnceLock<Option<T>>);
        impl<T> Drop for Release<'_, T> {
            fn drop(&mut self) {
                // Set already unless `make` panicked.
                let _ = self.0.set(None);
            }
        }
        let release = Release(&self.0);
        let given = self.0.get_or_init(|| Some(make()));
        drop(release);
        given.as_ref()
    }

    /// The value, once given; `None` if making it failed, or if it was closed.
    pub fn wait(&self) -> Option<&T> {
        spin_until(|| self.0.get().is_some());
        self.0.wait().as_ref()
    }

    /// Gives nothing, unless a value was given already: a thread waiting for one goes on
    /// without it.
    pub fn close(&self) {
        let _ = self.0.set(None);
    }

    pub fn into_inner(self) -> Option<T> {
        self.0.into_inner().flatten()
    }
}

/// Closes a handover when dropped: on the way out of a thread's work, whether it returned or
/// panicked, so that the other thread never waits for a value that will not come.
pub struct CloseOnDrop<'h, T>(pub &'h Handover<T>);

impl<T> Drop for CloseOnDrop<'_, T> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// How long a waiting thread spins before it sleeps. Most of `check`'s waits are for the other
/// thread to get to the next step, well under a millisecond. But on a small VM a core that
/// sleeps may take a scheduler tick (3-4 ms) to wake again, and a thread placed on the busy
/// core waits as long.
const SPIN: Duration = Duration::from_millis(3);

/// Spins until `done`, for at most [`SPIN`]. It yields now and then, in case the thread it
/// waits for runs on this core.
fn spin_until(done: impl Fn() -> bool) {
    let start = Instant::now();
    loop {
        for _ in 0..256 {
            if done() {
                return;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() > SPIN {
            return;
        }
        thread::yield_now();
    }
}

/// Work that either of two threads may do, done by the first to take it: the one meant to do
/// it may start late, and the other then does it rather than wait.
pub struct Task<F, R> {
    work: Mutex<Option<F>>,
    done: Mutex<Option<R>>,
}

impl<F: FnOnce() -> R, R> Task<F, R> {
    pub fn new(work: F) -> Self {
        Task {
            work: Mutex::new(Some(work)),
            done: Mutex::new(None),
        }
    }

    /// Does the work unless it has been taken.
    pub fn run(&self) {
        let taken = self.work.lock().ok().and_then(|mut work| work.take());
        if let Some(work) = taken {
            let done = work();
            if let Ok(mut slot) = self.done.lock() {
                *slot = Some(done);
            }
        }
    }

    /// What the work gave; `None` if nobody did it (or it panicked).
    pub fn into_result(self) -> Option<R> {
        self.done.into_inner().ok().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_handover_lets_the_waiting_thread_go_on_without_a_value() {
        let value: Handover<u32> = Handover::default();
        let (_, waited) = join(
            || {
                let _closes = CloseOnDrop(&value);
                // Long enough for the other thread to spin out and sleep.
                thread::sleep(SPIN * 2);
            },
            || value.wait().copied(),
        );
        assert_eq!(waited, None);
        // Closing after a value was given leaves it.
        let given: Handover<u32> = Handover::default();
        given.give(|| 7);
        drop(CloseOnDrop(&given));
        assert_eq!(given.wait(), Some(&7));
    }

    #[test]
    fn a_panic_closes_what_a_thread_was_to_give() {
        let value: Handover<u32> = Handover::default();
        let waited = std::sync::Mutex::new(Some(0));
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            join(
                || {
                    let _closes = CloseOnDrop(&value);
                    panic!("lost on the way");
                },
                || *waited.lock().expect("not poisoned") = value.wait().copied(),
            )
        }));
        assert!(panicked.is_err(), "the panic is passed on");
        assert_eq!(*waited.lock().expect("not poisoned"), None);
    }

    #[test]
    fn a_handover_gives_the_value_to_the_waiting_thread() {
        let value: Handover<Vec<u8>> = Handover::default();
        let (given, waited) = join(
            || value.give(|| vec![1, 2, 3]).map(Vec::len),
            || value.wait().map(|v| v.iter().sum::<u8>()),
        );
        assert_eq!((given, waited), (Some(3), Some(6)));
        assert_eq!(value.into_inner(), Some(vec![1, 2, 3]));
    }

    #[test]
    fn a_failed_handover_lets_the_waiting_thread_go() {
        let value: Handover<u8> = Handover::default();
        let waited = Mutex::new(None);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            join(
                || value.give(|| panic!("making it failed")),
                || *waited.lock().expect("lock") = Some(value.wait().copied()),
            )
        }));
        assert!(caught.is_err(), "the panic is passed on");
        assert_eq!(*waited.lock().expect("lock"), Some(None), "the wait ended");
    }

    #[test]
    fn a_task_is_done_once_by_whichever_thread_takes_it_first() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let runs = AtomicUsize::new(0);
        let task = Task::new(|| runs.fetch_add(1, Ordering::SeqCst) + 10);
        join(|| task.run(), || task.run());
        task.run();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(task.into_result(), Some(10));
        let never: Task<fn() -> u8, u8> = Task::new(|| 1);
        assert_eq!(never.into_result(), None);
    }

    #[test]
    fn both_results_come_back_in_order() {
        let (a, b) = join(|| 1 + 1, || "beside".to_string());
        assert_eq!(a, 2);
        assert_eq!(b, "beside");
    }

    #[test]
    fn beside_runs_on_the_helper_thread_while_this_one_waits_for_it() {
        let here = thread::current().id();
        // Other tests take the helper now and then: some try finds it free.
        let start = Instant::now();
        loop {
            let given: Handover<()> = Handover::default();
            let (_, (there, name)) = join(
                || {
                    let waiting = Instant::now();
                    while given.0.get().is_none() && waiting.elapsed() < Duration::from_secs(5) {
                        thread::sleep(Duration::from_millis(1));
                    }
                },
                || {
                    given.give(|| ());
                    let t = thread::current();
                    (t.id(), t.name().map(str::to_owned))
                },
            );
            if there != here {
                assert_eq!(name.as_deref(), Some("helper"));
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the helper never took the work"
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_pair_inside_a_pair_runs_here_while_the_helper_is_taken() {
        let here = thread::current().id();
        let start = Instant::now();
        loop {
            let outer_started: Handover<()> = Handover::default();
            let inner_done: Handover<()> = Handover::default();
            // The outer pair's second piece waits for the inner pair, as `check`'s waits for
            // what this thread reads: with the helper taken, the inner pair must not wait for
            // it. Every wait is bounded, as the helper may be busy with other tests' work.
            let (inner, ()) = join(
                || {
                    let _closes = CloseOnDrop(&inner_done);
                    let waiting = Instant::now();
                    while outer_started.0.get().is_none() {
                        if waiting.elapsed() > Duration::from_secs(5) {
                            return None;
                        }
                        thread::sleep(Duration::from_millis(1));
                    }
                    let inner = join(|| (), || thread::current().id()).1;
                    inner_done.give(|| ());
                    Some(inner)
                },
                || {
                    outer_started.give(|| ());
                    inner_done.wait();
                },
            );
            if let Some(inner) = inner {
                assert_eq!(inner, here);
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the helper never took the outer piece"
            );
        }
    }

    #[test]
    fn both_may_borrow_from_the_caller() {
        let words = ["a", "b", "c"];
        let (first, rest) = join(|| words[0], || words[1..].join(""));
        assert_eq!((first, rest.as_str()), ("a", "bc"));
    }

    #[test]
    fn a_panic_beside_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| join(|| 1, || -> u8 { panic!("beside failed") }));
        let message = caught.expect_err("the panic is resumed here");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"beside failed"));
    }
}
