//! Rendering `check` results: text for CI logs, stable JSON, and SARIF 2.1.0 for code-scanning
//! tools. All three come from the same [`CheckedFile`] values.

use super::pretty_json::{CHUNK, ObjectLayout, PrettyJson, push_decimal, push_escaped};
use crate::analysis::{Analysis, ElementCoverage, Finding, Rule, Severity, Tracking, Verdict};
use crate::model::Stride;
use crate::model::text::escape_control;
use crate::store::{LineCol, Positions};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Version of the JSON shape below; bumped on any incompatible change.
pub const CHECK_JSON_VERSION: u32 = 1;

/// One session file after loading, validation and analysis.
#[derive(Debug, Clone)]
pub struct CheckedFile {
    pub path: PathBuf,
    pub positions: Positions,
    /// Validation problems with their positions; a file with problems fails the gate.
    pub problems: Vec<(LineCol, String)>,
    pub analysis: Analysis,
    /// The threshold for this file: the flag, else its project config, else high.
    pub fail_on: Severity,
    /// Which project config applied, as one line for the text output; `None` leaves it out.
    pub config: Option<String>,
}

impl CheckedFile {
    pub fn position(&self, finding: &Finding) -> LineCol {
        self.positions.locate(&finding.location)
    }

    /// Findings that fail the gate: at or above the threshold, neither accepted nor tracked.
    pub fn failing(&self) -> impl Iterator<Item = &Finding> + '_ {
        self.analysis
            .findings
            .iter()
            .filter(|f| f.blocks(self.fail_on))
    }

    /// The verdict `check` prints, and question 4 shows, for this file.
    pub fn verdict(&self) -> Verdict {
        Verdict::of(&self.analysis.findings, self.problems.len(), self.fail_on)
    }

    pub fn passes(&self) -> bool {
        self.verdict().passes()
    }
}

/// The threshold the files share, for the summary; `None` when their configs differ.
fn common_threshold(files: &[CheckedFile]) -> Option<Severity> {
    let first = files
        .first()
        .map_or(crate::config::DEFAULT_FAIL_ON, |f| f.fail_on);
    files.iter().all(|f| f.fail_on == first).then_some(first)
}

fn plural(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("{n} {word}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {word}s"),
    }
}

/// Attack paths printed per file; the report lists them all.
const PATHS_SHOWN: usize = 3;

/// Grouped per file, one finding per line with its position, then the fix; readable in a CI log.
pub fn text(files: &[CheckedFile]) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write_text(files, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`text`] written to `writer` in chunks of about 64 KB. The finding lines, nearly all of
/// the output, are put together by hand: through `writeln!` they cost a formatting call per
/// piece.
pub fn write_text(files: &[CheckedFile], mut writer: impl std::io::Write) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out: Vec<u8> = Vec::with_capacity(CHUNK + CHUNK / 4);
    for file in files {
        let threshold = file.fail_on;
        let path = crate::store::display_path(&file.path);
        let _ = writeln!(out, "{path}");
        if let Some(config) = &file.config {
            let _ = writeln!(out, "  {config}");
        }
        for (at, problem) in &file.problems {
            let _ = writeln!(out, "  {path}:{at}: invalid: {}", escape_control(problem));
            flush_text_chunk(&mut out, &mut writer)?;
        }
        for f in &file.analysis.findings {
            let mark = if f.is_accepted() {
                "accepted"
            } else if f.is_tracked() {
                "tracked"
            } else if f.severity >= threshold {
                "FAIL"
            } else {
                "note"
            };
            // "  {path}:{line}:{col}: {severity:<8} {mark:<8} {id} {name}: {message}"
            let at = file.position(f);
            out.extend_from_slice(b"  ");
            out.extend_from_slice(path.as_bytes());
            out.push(b':');
            push_decimal(&mut out, at.line as u64);
            out.push(b':');
            push_decimal(&mut out, at.col as u64);
            out.extend_from_slice(b": ");
            push_padded(&mut out, f.severity.as_str(), 8);
            out.push(b' ');
            push_padded(&mut out, mark, 8);
            out.push(b' ');
            out.extend_from_slice(f.rule.id().as_bytes());
            out.push(b' ');
            out.extend_from_slice(f.rule.name().as_bytes());
            out.extend_from_slice(b": ");
            push_visible(&mut out, &f.message);
            out.push(b'\n');
            match (&f.accepted_by_threat, &f.tracked_by) {
                (Some(threat), _) => {
                    let _ = writeln!(out, "      accepted risk: see threat {threat}");
                }
                (None, Some(tracking)) => {
                    out.extend_from_slice(b"      ");
                    push_tracking(&mut out, tracking);
                    out.push(b'\n');
                }
                (None, None) => {
                    out.extend_from_slice(b"      fix: ");
                    out.extend_from_slice(f.fix.as_bytes());
                    out.push(b'\n');
                }
            }
            flush_text_chunk(&mut out, &mut writer)?;
        }
        let a = &file.analysis;
        let _ = writeln!(
            out,
            "  coverage {:.0}% ({}/{} element x STRIDE pairs), {}, {}",
            a.coverage.percent(),
            a.coverage.covered_pairs(),
            a.coverage.applicable_pairs(),
            plural(a.findings.len(), "finding"),
            plural(a.attack_paths.len(), "attack path")
        );
        for p in a.attack_paths.iter().take(PATHS_SHOWN) {
            let _ = writeln!(
                out,
                "  path: {} (crosses {}, weakest link {}/2)",
                p.route(true),
                plural(p.boundaries_crossed.len(), "boundary"),
                p.weakest_link
            );
        }
        if a.attack_paths.len() > PATHS_SHOWN {
            let _ = writeln!(
                out,
                "  {PATHS_SHOWN} of {} attack paths shown; `threatboard report` lists all",
                a.attack_paths.len()
            );
        }
        if !a.attack_paths.is_empty() {
            let _ = writeln!(out, "  {}", crate::analysis::paths::LEGEND_ASCII);
        }
        let _ = writeln!(out, "  {}\n", file.verdict());
    }
    let failed = files.iter().filter(|f| !f.passes()).count();
    let threshold = common_threshold(files).map_or("per file", |t| t.as_str());
    let _ = writeln!(
        out,
        "{} checked, {} failed (fail on {threshold})",
        plural(files.len(), "file"),
        failed,
    );
    writer.write_all(&out)
}

/// Sends the text gathered so far to `writer` once it has grown to a chunk.
fn flush_text_chunk(out: &mut Vec<u8>, writer: &mut impl std::io::Write) -> std::io::Result<()> {
    if out.len() >= CHUNK {
        writer.write_all(out)?;
        out.clear();
    }
    Ok(())
}

/// `{text:<width}` for ASCII text.
fn push_padded(out: &mut Vec<u8>, text: &str, width: usize) {
    out.extend_from_slice(text.as_bytes());
    out.resize(out.len() + width.saturating_sub(text.chars().count()), b' ');
}

/// [`escape_control`] without looking at each character of plain ASCII text.
fn push_visible(out: &mut Vec<u8>, text: &str) {
    if text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        out.extend_from_slice(text.as_bytes());
    } else {
        out.extend_from_slice(escape_control(text).as_bytes());
    }
}

/// The tracking's `Display` with control characters made visible, without building it first
/// (escaping works character by character, so escaping the parts is escaping the whole).
fn push_tracking(out: &mut Vec<u8>, tracking: &Tracking) {
    use std::io::Write as _;
    out.extend_from_slice(b"tracked by ");
    push_visible(out, &tracking.threat);
    out.extend_from_slice(b" via ");
    push_visible(out, &tracking.mitigation);
    out.extend_from_slice(b" (");
    push_visible(out, &tracking.owner);
    match (tracking.finished, tracking.due) {
        (true, _) => out.extend_from_slice(b", done)"),
        (false, Some(due)) => {
            let _ = write!(out, ", due {due})");
        }
        (false, None) => out.push(b')'),
    }
}

/// A stable JSON document: keys in a fixed order, arrays in the analysis's deterministic order.
pub fn json(files: &[CheckedFile]) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write_json(files, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`json`] written to `out` as it is produced, in chunks of about 64 KB: on large models the
/// document runs to megabytes that need never be held at once.
///
/// Written by hand in serde_json's pretty layout (see [`PrettyJson`]), keys in alphabetical
/// order, the order the document has always had: through serde_json it took 12 ms on a
/// 1,000-component model, a call per token.
pub fn write_json(files: &[CheckedFile], out: impl std::io::Write) -> std::io::Result<()> {
    let mut json = PrettyJson::new(out);
    // Reused for each finding's key, built piece by piece and escaped whole, as one string.
    let mut scratch = String::new();
    json.begin_object();
    json.key("fail_on");
    json.str(common_threshold(files).map_or("per-file", |t| t.as_str()));
    json.key("files");
    json.begin_array();
    for file in files {
        json.item();
        write_file_json(&mut json, file, &mut scratch)?;
    }
    json.end_array();
    json.key("passed");
    json.bool(files.iter().all(|f| f.passes()));
    json.key("tool");
    json.begin_object();
    json.key("name");
    json.str("threatboard");
    json.key("version");
    json.str(env!("CARGO_PKG_VERSION"));
    json.end_object();
    json.key("version");
    json.uint(u64::from(CHECK_JSON_VERSION));
    json.end_object();
    json.raw(b"\n");
    json.finish()
}

fn write_file_json<W: std::io::Write>(
    json: &mut PrettyJson<W>,
    file: &CheckedFile,
    scratch: &mut String,
) -> std::io::Result<()> {
    let a = &file.analysis;
    json.begin_object();
    json.key("attack_paths");
    // A handful of paths: serde_json's own layout, through a `Value` whose maps sort the keys.
    json.serialized(&serde_json::to_value(&a.attack_paths).unwrap_or_default())?;
    write_coverage_and_findings(json, file, scratch)?;
    json.end_array();
    json.key("passed");
    json.bool(file.passes());
    json.key("path");
    json.str(&file.path.display().to_string());
    json.key("problems");
    json.begin_array();
    for (at, message) in &file.problems {
        json.item();
        json.begin_object();
        json.key("column");
        json.uint(at.col as u64);
        json.key("line");
        json.uint(at.line as u64);
        json.key("message");
        json.str(message);
        json.end_object();
        json.flush_chunk()?;
    }
    json.end_array();
    json.end_object();
    Ok(())
}

/// Items per block of the coverage gaps and of the findings, the two long lists of a report,
/// which two threads write a block at a time: small enough that they end close together and
/// that the blocks in flight add little to the peak memory, large enough that handing one over
/// costs nothing to speak of.
const GAPS_PER_BLOCK: usize = 512;
const FINDINGS_PER_BLOCK: usize = 128;

/// Buffers for the second thread's blocks: at most this many are held.
const SPARE_BLOCKS: usize = 4;

/// Room first given to a block's buffer (a block of either list is some 60-75 KB): buffers are
/// reused, and growing them a doubling at a time touched fresh memory for every block.
const BLOCK_BYTES: usize = 96 * 1024;

/// A block of one of the two long lists.
#[derive(Clone, Copy)]
enum Block<'a> {
    Gaps(&'a [&'a ElementCoverage]),
    Findings(&'a [Finding]),
}

/// What writes a block: the layouts and side writers each thread needs.
struct BlockWriter<'a> {
    file: &'a CheckedFile,
    gap_layout: &'a ObjectLayout<3>,
    /// Writers to memory for items after the first of each list.
    gaps_side: PrettyJson<Vec<u8>>,
    findings_side: PrettyJson<Vec<u8>>,
    scratch: String,
}

impl BlockWriter<'_> {
    /// `block` written to memory (into `buf`), each item with the comma before it.
    fn write(&mut self, block: Block<'_>, buf: Vec<u8>) -> Vec<u8> {
        let side = match block {
            Block::Gaps(_) => &mut self.gaps_side,
            Block::Findings(_) => &mut self.findings_side,
        };
        side.restart(buf);
        // Writing to memory cannot fail.
        let _ = block.write(side, self.file, self.gap_layout, &mut self.scratch);
        side.take_written()
    }
}

impl Block<'_> {
    /// The block's items, in the array `json` has open.
    fn write<W: std::io::Write>(
        self,
        json: &mut PrettyJson<W>,
        file: &CheckedFile,
        gap_layout: &ObjectLayout<3>,
        scratch: &mut String,
    ) -> std::io::Result<()> {
        match self {
            Block::Gaps(gaps) => write_gaps_block(json, gap_layout, gaps, scratch),
            Block::Findings(findings) => write_findings_block(json, file, findings, scratch),
        }
    }
}

/// The coverage (its gaps, one item per element with uncovered letters) and the findings of
/// `file`: most of a large report. Both lists are cut into blocks that this thread and a
/// second one take in turn as each is free, so they end together. This thread writes what it
/// takes straight out when every block before it is out, and otherwise to memory, as the
/// second thread always does; blocks in memory are sent on in order as soon as they can be.
/// So the output is the same as one thread's, and at most a few blocks are held.
fn write_coverage_and_findings<W: std::io::Write>(
    json: &mut PrettyJson<W>,
    file: &CheckedFile,
    scratch: &mut String,
) -> std::io::Result<()> {
    let a = &file.analysis;
    // Items of the findings array, opened later at this depth plus one.
    let findings_side = json.continuation_inside();
    json.key("coverage");
    json.begin_object();
    json.key("applicable");
    json.uint(a.coverage.applicable_pairs() as u64);
    json.key("covered");
    json.uint(a.coverage.covered_pairs() as u64);
    json.key("gaps");
    json.begin_array();
    // Written from a layout made once (see `FindingLayout`): a token at a time, the gaps took a
    // millisecond at 1,000 components.
    let gap_layout = json.object_layout(["element", "kind", "missing"]);
    let gaps: Vec<&ElementCoverage> = a
        .coverage
        .elements
        .iter()
        .filter(|e| !e.gaps().is_empty())
        .collect();
    let blocks: Vec<Block<'_>> = gaps
        .chunks(GAPS_PER_BLOCK)
        .map(Block::Gaps)
        .chain(a.findings.chunks(FINDINGS_PER_BLOCK).map(Block::Findings))
        .collect();
    let first_findings = gaps.len().div_ceil(GAPS_PER_BLOCK);
    let gaps_side = json.continuation();
    let writer = || BlockWriter {
        file,
        gap_layout: &gap_layout,
        gaps_side: gaps_side.continuation(),
        findings_side: findings_side.continuation(),
        scratch: String::new(),
    };
    let mut own = writer();
    let next = AtomicUsize::new(0);
    let take = || {
        let index = next.fetch_add(1, Ordering::Relaxed);
        blocks.get(index).map(|block| (index, *block))
    };
    // Between the lists: the end of the gaps and of the coverage, and the findings' start.
    let between = |json: &mut PrettyJson<W>| -> std::io::Result<()> {
        json.end_array();
        json.key("percent");
        json.serialized(&((a.coverage.percent() * 10.0).round() / 10.0))?;
        json.end_object();
        json.key("fail_on");
        json.str(file.fail_on.as_str());
        json.key("findings");
        json.begin_array();
        Ok(())
    };
    let (written_tx, written) = std::sync::mpsc::channel::<(usize, Vec<u8>)>();
    let (spare, spare_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let helping = blocks.len() >= 2;
    let help = {
        let mut side = writer();
        let take = &take;
        move || {
            // A spare buffer first, so that no more than a few blocks are held. When this
            // runs after the other thread is done (the helper was busy), nothing is left.
            while let Ok(mut buf) = spare_rx.recv() {
                let Some((index, block)) = take() else {
                    return;
                };
                buf.reserve(BLOCK_BYTES);
                if written_tx.send((index, side.write(block, buf))).is_err() {
                    return;
                }
            }
        }
    };
    let lead = || {
        if helping {
            for _ in 0..SPARE_BLOCKS {
                let _ = spare.send(Vec::new());
            }
        }
        // Blocks written to memory until they go out, and whether this thread wrote them (its
        // buffers come back to it, the other thread's to that one).
        let mut held: Vec<Option<(Vec<u8>, bool)>> = vec![None; blocks.len()];
        let mut own_spare: Vec<Vec<u8>> = Vec::new();
        let mut out_to = 0;
        // Sends out the blocks held that are next in order, and takes in what the second
        // thread has written; waits for it until every block before `until` is out.
        let send_out = |json: &mut PrettyJson<W>,
                        held: &mut Vec<Option<(Vec<u8>, bool)>>,
                        own_spare: &mut Vec<Vec<u8>>,
                        out_to: &mut usize,
                        until: usize|
         -> std::io::Result<()> {
            loop {
                while let Some(Some((buf, own))) = held.get_mut(*out_to).map(Option::take) {
                    if *out_to == first_findings {
                        between(json)?;
                    }
                    // The first item of a list has no comma before it.
                    let first = *out_to == 0 || *out_to == first_findings;
                    json.write_through(if first { &buf[1..] } else { &buf })?;
                    json.wrote_value();
                    *out_to += 1;
                    if own {
                        own_spare.push(buf);
                    } else {
                        // Back to the second thread (unless it has stopped).
                        let _ = spare.send(buf);
                    }
                }
                let arrived = if *out_to < until {
                    written.recv().ok()
                } else {
                    written.try_recv().ok()
                };
                match arrived {
                    Some((index, buf)) => held[index] = Some((buf, false)),
                    None => return Ok(()),
                }
            }
        };
        loop {
            // This thread holds no more than a few blocks of its own either: past that it
            // waits for the second thread's block that keeps them back (it has it in hand).
            let own_held = held.iter().skip(out_to).flatten().filter(|(_, own)| *own);
            let until = if own_held.count() >= SPARE_BLOCKS {
                out_to + 1
            } else {
                0
            };
            send_out(json, &mut held, &mut own_spare, &mut out_to, until)?;
            let Some((index, block)) = take() else {
                break;
            };
            if index == out_to {
                if index == first_findings {
                    between(json)?;
                }
                block.write(json, file, &gap_layout, scratch)?;
                out_to += 1;
            } else {
                let buf = own_spare
                    .pop()
                    .unwrap_or_else(|| Vec::with_capacity(BLOCK_BYTES));
                held[index] = Some((own.write(block, buf), true));
            }
        }
        // What the second thread still has in hand.
        send_out(json, &mut held, &mut own_spare, &mut out_to, blocks.len())?;
        drop(spare);
        // Blocks it took but never sent (it stopped) are written here.
        for (index, block) in blocks.iter().enumerate().skip(out_to) {
            if index == first_findings {
                between(json)?;
            }
            block.write(json, file, &gap_layout, scratch)?;
        }
        if first_findings >= blocks.len() {
            between(json)?;
        }
        Ok(())
    };
    if helping {
        crate::parallel::join(lead, help).0
    } else {
        drop(help);
        lead()
    }
}

/// `gaps` as items of the gaps array `json` has open.
fn write_gaps_block<W: std::io::Write>(
    json: &mut PrettyJson<W>,
    layout: &ObjectLayout<3>,
    gaps: &[&ElementCoverage],
    scratch: &mut String,
) -> std::io::Result<()> {
    let [element, kind, missing] = &layout.before_keys;
    for e in gaps {
        // `e.gaps()` as its `Display` writes it (a difference has no unknown letters), without
        // building the sets in between.
        scratch.clear();
        scratch.extend(
            Stride::ALL
                .into_iter()
                .filter(|s| {
                    e.applicable.contains(*s)
                        && !e.by_threats.contains(*s)
                        && !e.marked_not_applicable.contains(*s)
                })
                .map(Stride::letter),
        );
        json.item();
        let buf = json.buf();
        buf.extend_from_slice(element);
        push_escaped(buf, e.id.as_str());
        buf.extend_from_slice(kind);
        push_escaped(buf, e.kind.as_str());
        buf.extend_from_slice(missing);
        push_escaped(buf, scratch);
        buf.extend_from_slice(&layout.close);
        json.wrote_value();
        json.flush_chunk()?;
    }
    Ok(())
}

/// `findings` as items of the array `json` has open.
fn write_findings_block<W: std::io::Write>(
    json: &mut PrettyJson<W>,
    file: &CheckedFile,
    findings: &[Finding],
    scratch: &mut String,
) -> std::io::Result<()> {
    let mut layout = FindingLayout::new(json);
    for f in findings {
        json.item();
        if f.accepted_by_threat.is_some() || f.tracked_by.is_some() {
            write_finding_json(json, file, f, scratch)?;
        } else {
            layout.write_open_finding(json, file, f, scratch);
        }
        json.flush_chunk()?;
    }
    Ok(())
}

/// [`Finding::key`] built in `scratch`, without a `String` per finding. It is escaped whole:
/// the escapes of a run of text depend on all of it (see `pretty_json::push_escaped`).
fn finding_key<'a>(f: &Finding, scratch: &'a mut String) -> &'a str {
    scratch.clear();
    scratch.push_str(f.rule.id());
    scratch.push(':');
    scratch.push_str(&f.element);
    if let Some(rule) = &f.suggestion {
        scratch.push(':');
        scratch.push_str(rule);
    }
    scratch
}

/// A finding's keys, in the order serde writes them (its fields sorted, as `Value` sorts them).
const FINDING_KEYS: [&str; 12] = [
    "accepted_by_threat",
    "blocking",
    "column",
    "element",
    "fix",
    "key",
    "line",
    "message",
    "name",
    "rule",
    "severity",
    "tracked",
];

/// What [`write_finding_json`] writes for a finding neither accepted nor tracked (nearly all of
/// them), from layout made once: the keys with their indentation, and per rule and severity
/// the end of the object from `name` on, which is the same for every such finding. A large
/// model's report is thousands of these; working each out key by key took most of the writing.
struct FindingLayout {
    layout: ObjectLayout<12>,
    /// By `rule * 4 + severity`: `name`, `rule`, `severity`, `tracked: null` and the close.
    ends: Vec<Option<Vec<u8>>>,
}

impl FindingLayout {
    /// For findings written as items of the array `json` has open.
    fn new<W: std::io::Write>(json: &PrettyJson<W>) -> Self {
        FindingLayout {
            layout: json.object_layout(FINDING_KEYS),
            ends: vec![None; Rule::ALL.len() * Severity::ALL.len()],
        }
    }

    /// `f`, which has no `accepted_by_threat` and no `tracked_by`.
    fn write_open_finding<W: std::io::Write>(
        &mut self,
        json: &mut PrettyJson<W>,
        file: &CheckedFile,
        f: &Finding,
        scratch: &mut String,
    ) {
        let [
            accepted,
            blocking,
            column,
            element,
            fix,
            key,
            line,
            message,
            name,
            rule,
            severity,
            tracked,
        ] = &self.layout.before_keys;
        let at = file.position(f);
        let buf = json.buf();
        buf.extend_from_slice(accepted);
        buf.extend_from_slice(b"null");
        buf.extend_from_slice(blocking);
        buf.extend_from_slice(if f.blocks(file.fail_on) {
            b"true"
        } else {
            b"false"
        });
        buf.extend_from_slice(column);
        push_decimal(buf, at.col as u64);
        buf.extend_from_slice(element);
        push_escaped(buf, &f.element);
        buf.extend_from_slice(fix);
        push_escaped(buf, &f.fix);
        buf.extend_from_slice(key);
        push_escaped(buf, finding_key(f, scratch));
        buf.extend_from_slice(line);
        push_decimal(buf, at.line as u64);
        buf.extend_from_slice(message);
        push_escaped(buf, &f.message);
        let index = f.rule as usize * Severity::ALL.len() + f.severity as usize;
        if let Some(Some(end)) = self.ends.get(index) {
            buf.extend_from_slice(end);
        } else {
            let mut end = Vec::new();
            end.extend_from_slice(name);
            push_escaped(&mut end, f.rule.name());
            end.extend_from_slice(rule);
            push_escaped(&mut end, f.rule.id());
            end.extend_from_slice(severity);
            push_escaped(&mut end, f.severity.as_str());
            end.extend_from_slice(tracked);
            end.extend_from_slice(b"null");
            end.extend_from_slice(&self.layout.close);
            buf.extend_from_slice(&end);
            if let Some(slot) = self.ends.get_mut(index) {
                *slot = Some(end);
            }
        }
        json.wrote_value();
    }
}

fn write_finding_json<W: std::io::Write>(
    json: &mut PrettyJson<W>,
    file: &CheckedFile,
    f: &Finding,
    scratch: &mut String,
) -> std::io::Result<()> {
    let at = file.position(f);
    json.begin_object();
    json.key("accepted_by_threat");
    match &f.accepted_by_threat {
        Some(threat) => json.str(threat),
        None => json.null(),
    }
    json.key("blocking");
    json.bool(f.blocks(file.fail_on));
    json.key("column");
    json.uint(at.col as u64);
    json.key("element");
    json.str(&f.element);
    json.key("fix");
    json.str(&f.fix);
    json.key("key");
    json.str(finding_key(f, scratch));
    json.key("line");
    json.uint(at.line as u64);
    json.key("message");
    json.str(&f.message);
    json.key("name");
    json.str(f.rule.name());
    json.key("rule");
    json.str(f.rule.id());
    json.key("severity");
    json.str(f.severity.as_str());
    json.key("tracked");
    match &f.tracked_by {
        // Fields in the order `Tracking` declares them, as serde writes a struct.
        Some(tracking) => {
            json.begin_object();
            json.key("threat");
            json.str(&tracking.threat);
            json.key("mitigation");
            json.str(&tracking.mitigation);
            json.key("owner");
            json.str(&tracking.owner);
            json.key("due");
            // chrono's own serialization of the date: rare enough not to repeat it here.
            json.serialized(&tracking.due)?;
            json.key("finished");
            json.bool(tracking.finished);
            json.end_object();
        }
        None => json.null(),
    }
    json.end_object();
    Ok(())
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// SARIF 2.1.0: one run, every rule described, each result pointing at the session file's line
/// of the element. Accepted and tracked findings carry an external suppression saying why.
pub fn sarif(files: &[CheckedFile]) -> String {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "name": r.name(),
                "shortDescription": {"text": r.description()},
            })
        })
        .collect();
    let mut results = Vec::new();
    for file in files {
        let uri = file.path.to_string_lossy().replace('\\', "/");
        let location = |at: LineCol| {
            json!([{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": at.line, "startColumn": at.col}
                }
            }])
        };
        for (at, problem) in &file.problems {
            results.push(json!({
                "ruleId": "TB000",
                "level": "error",
                "message": {"text": format!("invalid session: {problem}")},
                "locations": location(*at),
            }));
        }
        let threshold = file.fail_on;
        for f in &file.analysis.findings {
            let rule_index = Rule::ALL.iter().position(|r| *r == f.rule).unwrap_or(0);
            let mut result = json!({
                "ruleId": f.rule.id(),
                "ruleIndex": rule_index,
                "level": if f.severity >= threshold { sarif_level(f.severity) } else { "note" },
                "message": {"text": format!("{}. Fix: {}", f.message, f.fix)},
                "locations": location(file.position(f)),
                "partialFingerprints": {"threatboardFindingKey/v1": f.key()},
                "properties": {"severity": f.severity.as_str()},
            });
            let justification = match (&f.accepted_by_threat, &f.tracked_by) {
                (Some(threat), _) => Some(format!("risk accepted in threat {threat}")),
                (None, Some(tracking)) => Some(tracking.to_string()),
                (None, None) => None,
            };
            if let Some(justification) = justification {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "justification": justification,
                }]);
            }
            results.push(result);
        }
    }
    let mut all_rules = vec![json!({
        "id": "TB000",
        "name": "invalid-session",
        "shortDescription": {"text": "The session file does not validate."},
    })];
    all_rules.extend(rules);
    // ruleIndex counts from the rules array, which starts with TB000.
    for r in &mut results {
        if let Some(i) = r.get("ruleIndex").and_then(Value::as_u64) {
            r["ruleIndex"] = json!(i + 1);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "threatboard",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": all_rules,
            }},
            "results": results,
        }],
    });
    let mut text = super::to_json_pretty(&doc);
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{AttackPath, Coverage, ElementCoverage};
    use crate::model::{Classification, ElementId, ElementKind, StrideSet};
    use proptest::prelude::*;

    /// The document as serde_json wrote it before [`write_json`] was written by hand: the
    /// straightforward version the hand-written one must match byte for byte.
    mod through_serde {
        use super::super::{CHECK_JSON_VERSION, CheckedFile, common_threshold};
        use crate::analysis::Tracking;
        use serde::Serialize;
        use serde_json::Value;

        #[derive(Serialize)]
        struct CheckJson<'a> {
            fail_on: &'static str,
            files: Vec<FileJson<'a>>,
            passed: bool,
            tool: ToolJson,
            version: u32,
        }

        #[derive(Serialize)]
        struct ToolJson {
            name: &'static str,
            version: &'static str,
        }

        #[derive(Serialize)]
        struct FileJson<'a> {
            attack_paths: Value,
            coverage: CoverageJson,
            fail_on: &'static str,
            findings: Vec<FindingJson<'a>>,
            passed: bool,
            path: String,
            problems: Vec<ProblemJson<'a>>,
        }

        #[derive(Serialize)]
        struct CoverageJson {
            applicable: usize,
            covered: usize,
            gaps: Vec<GapJson>,
            percent: f64,
        }

        #[derive(Serialize)]
        struct GapJson {
            element: String,
            kind: &'static str,
            missing: String,
        }

        #[derive(Serialize)]
        struct ProblemJson<'a> {
            column: usize,
            line: usize,
            message: &'a str,
        }

        #[derive(Serialize)]
        struct FindingJson<'a> {
            accepted_by_threat: &'a Option<String>,
            blocking: bool,
            column: usize,
            element: &'a str,
            fix: &'a str,
            key: String,
            line: usize,
            message: &'a str,
            name: &'static str,
            rule: &'static str,
            severity: &'static str,
            tracked: &'a Option<Box<Tracking>>,
        }

        pub fn json(files: &[CheckedFile]) -> String {
            let files_json = files
                .iter()
                .map(|file| {
                    let a = &file.analysis;
                    FileJson {
                        attack_paths: serde_json::to_value(&a.attack_paths).unwrap_or_default(),
                        coverage: CoverageJson {
                            applicable: a.coverage.applicable_pairs(),
                            covered: a.coverage.covered_pairs(),
                            gaps: a
                                .coverage
                                .elements
                                .iter()
                                .filter(|e| !e.gaps().is_empty())
                                .map(|e| GapJson {
                                    element: e.id.to_string(),
                                    kind: e.kind.as_str(),
                                    missing: e.gaps().to_string(),
                                })
                                .collect(),
                            percent: (a.coverage.percent() * 10.0).round() / 10.0,
                        },
                        fail_on: file.fail_on.as_str(),
                        findings: a
                            .findings
                            .iter()
                            .map(|f| {
                                let at = file.position(f);
                                FindingJson {
                                    accepted_by_threat: &f.accepted_by_threat,
                                    blocking: f.blocks(file.fail_on),
                                    column: at.col,
                                    element: &f.element,
                                    fix: &f.fix,
                                    key: f.key(),
                                    line: at.line,
                                    message: &f.message,
                                    name: f.rule.name(),
                                    rule: f.rule.id(),
                                    severity: f.severity.as_str(),
                                    tracked: &f.tracked_by,
                                }
                            })
                            .collect(),
                        passed: file.passes(),
                        path: file.path.display().to_string(),
                        problems: file
                            .problems
                            .iter()
                            .map(|(at, p)| ProblemJson {
                                column: at.col,
                                line: at.line,
                                message: p,
                            })
                            .collect(),
                    }
                })
                .collect();
            let doc = CheckJson {
                fail_on: common_threshold(files).map_or("per-file", |t| t.as_str()),
                files: files_json,
                passed: files.iter().all(|f| f.passes()),
                tool: ToolJson {
                    name: "threatboard",
                    version: env!("CARGO_PKG_VERSION"),
                },
                version: CHECK_JSON_VERSION,
            };
            format!("{}\n", super::super::super::to_json_pretty(&doc))
        }
    }

    fn finding(rule: Rule, element: &str, message: &str) -> Finding {
        Finding {
            rule,
            severity: Severity::High,
            element: element.into(),
            location: crate::model::Location::top("title"),
            message: message.to_string(),
            fix: std::borrow::Cow::Borrowed(rule.description()),
            accepted_by_threat: None,
            tracked_by: None,
            suggestion: None,
        }
    }

    /// A file whose every string is `text` where the document has room for it, with tracked,
    /// accepted and suggested findings, a problem, gaps and an attack path.
    fn file_with(text: &str) -> CheckedFile {
        let mut accepted = finding(Rule::ALL[0], text, text);
        accepted.accepted_by_threat = Some(format!("TH-{text}"));
        let mut tracked = finding(Rule::ALL[1], "api", text);
        tracked.severity = Severity::Low;
        tracked.tracked_by = Some(Box::new(Tracking {
            threat: text.to_string(),
            mitigation: "MI-1".into(),
            owner: format!("{text} owner"),
            due: chrono::NaiveDate::from_ymd_opt(2026, 12, 19),
            finished: false,
        }));
        let mut done = tracked.clone();
        if let Some(t) = &mut done.tracked_by {
            t.due = None;
            t.finished = true;
        }
        let mut suggested = finding(Rule::UnansweredSuggestion, text, "suggested");
        suggested.suggestion = Some(format!("rule-{text}").into());
        let element = |id: &str, kind, applicable: &str, by_threats: &str| ElementCoverage {
            id: ElementId::new(id),
            kind,
            applicable: StrideSet::parse(applicable),
            by_threats: StrideSet::parse(by_threats),
            marked_not_applicable: StrideSet::empty(),
        };
        CheckedFile {
            path: PathBuf::from(format!("sessions/{text}.toml")),
            positions: Positions::default(),
            problems: vec![(LineCol { line: 12, col: 3 }, format!("bad {text}"))],
            analysis: Analysis {
                coverage: Coverage {
                    elements: vec![
                        element(text, ElementKind::Process, "STRIDE", "ST"),
                        element("db", ElementKind::DataStore, "TRID", "TRID"),
                        element("f-1", ElementKind::Flow, "TID", ""),
                        ElementCoverage {
                            marked_not_applicable: StrideSet::parse("R?"),
                            ..element("store", ElementKind::DataStore, "STRIDE", "S!E")
                        },
                        ElementCoverage {
                            marked_not_applicable: StrideSet::parse("D"),
                            ..element("done", ElementKind::Process, "D", "")
                        },
                    ],
                },
                findings: vec![
                    accepted,
                    tracked,
                    done,
                    suggested,
                    finding(Rule::ALL[2], "", text),
                ],
                attack_paths: vec![AttackPath {
                    components: vec![ElementId::new(text), ElementId::new("db")],
                    flows: vec![ElementId::new("f-1")],
                    boundaries_crossed: vec![text.to_string()],
                    weakest_link: 1,
                    weak_flows: vec![],
                    target_classification: Classification::Restricted,
                    forward: vec![true],
                }],
            },
            fail_on: Severity::Medium,
            config: None,
        }
    }

    const TRICKY: &[&str] = &[
        "plain",
        "quote \" backslash \\",
        "\u{0}\u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}\u{8}\t\n\u{b}\u{c}\r\u{e}\u{f}\u{10}\u{11}\u{12}\u{13}\u{14}\u{15}\u{16}\u{17}\u{18}\u{19}\u{1a}\u{1b}\u{1c}\u{1d}\u{1e}\u{1f}",
        "del \u{7f}",
        "del \u{7f} caf\u{e9}",
        "c1 \u{85}\u{9b}31m",
        "bidi \u{202e}\u{2066}\u{61c} invisible \u{200b}\u{feff}",
        "emoji \u{1f600} \u{1f469}\u{200d}\u{1f4bb}",
        "\u{4e2d}\u{6587} \u{3b1}",
    ];

    #[test]
    fn json_matches_serde_json_on_tricky_strings() {
        for text in TRICKY {
            let files = [file_with(text)];
            assert_eq!(json(&files), through_serde::json(&files), "{text:?}");
        }
        let all: Vec<CheckedFile> = TRICKY.iter().map(|t| file_with(t)).collect();
        assert_eq!(json(&all), through_serde::json(&all));
    }

    #[test]
    fn json_matches_serde_json_with_findings_written_on_two_threads() {
        // Many blocks of findings, an odd number, with accepted and tracked ones among them.
        let mut file = file_with("many");
        let some = file.analysis.findings.clone();
        let count = FINDINGS_PER_BLOCK * 7 + 5;
        file.analysis.findings = (0..count)
            .map(|n| {
                let mut f = some[n % some.len()].clone();
                f.element = format!("e{n}").into();
                f.message = format!("finding {n} says \"{n}\"");
                f
            })
            .collect();
        let files = [file];
        let text = json(&files);
        assert_eq!(text, through_serde::json(&files));
        assert!(text.contains(&format!("finding {} says", count - 1)));
    }

    #[test]
    fn json_matches_serde_json_with_gaps_written_on_two_threads() {
        // Many blocks of gaps, elements without gaps among them, and then many findings, a
        // few or none: the lists' ends and starts fall anywhere among the blocks.
        let mut file = file_with("gaps");
        let elements = file.analysis.coverage.elements.clone();
        file.analysis.coverage.elements = (0..GAPS_PER_BLOCK * 5 + 7)
            .map(|n| {
                let mut e = elements[n % elements.len()].clone();
                e.id = ElementId::new(format!("el-{n}"));
                e
            })
            .collect();
        let some = file.analysis.findings.clone();
        for count in [0, 1, FINDINGS_PER_BLOCK * 3 + 1] {
            file.analysis.findings = some.iter().cycle().take(count).cloned().collect();
            let files = [file.clone()];
            let text = json(&files);
            assert_eq!(text, through_serde::json(&files), "{count} findings");
            let last_gap = format!("\"element\": \"el-{}\"", GAPS_PER_BLOCK * 5 + 5);
            assert!(text.contains(&last_gap), "{count} findings");
        }
        // Two files: the second's lists follow the first's.
        let files = [file.clone(), file_with("second")];
        assert_eq!(json(&files), through_serde::json(&files));
    }

    #[test]
    fn json_matches_serde_json_on_empty_lists() {
        assert_eq!(json(&[]), through_serde::json(&[]));
        assert!(json(&[]).contains("\"files\": [],"));
        let mut empty = file_with("x");
        empty.problems.clear();
        empty.analysis = Analysis {
            coverage: Coverage { elements: vec![] },
            findings: vec![],
            attack_paths: vec![],
        };
        let text = json(std::slice::from_ref(&empty));
        assert_eq!(text, through_serde::json(&[empty]));
        for list in ["attack_paths", "gaps", "findings", "problems"] {
            assert!(text.contains(&format!("\"{list}\": []")), "{list}: {text}");
        }
    }

    #[test]
    fn json_matches_serde_json_on_a_real_session() {
        let text = include_str!("../../sessions/microservices-api-platform.toml");
        let shipped = crate::library::load_rules_for_session(None, &[]).expect("shipped rules");
        // Without rules, and with the shipped rules' unanswered suggestions among the findings.
        for rules in [None, Some(shipped.rules())] {
            let (session, positions) = crate::store::parse(text).expect("parses");
            let options = crate::analysis::FindingOptions {
                today: chrono::NaiveDate::from_ymd_opt(2026, 12, 6).expect("a date"),
                max_age_days: Some(30),
                rules,
            };
            let file = CheckedFile {
                path: PathBuf::from("sessions/microservices-api-platform.toml"),
                positions,
                problems: vec![],
                analysis: crate::analysis::analyze(&session, &options),
                fail_on: Severity::High,
                config: None,
            };
            assert!(!file.analysis.findings.is_empty());
            assert!(!file.analysis.attack_paths.is_empty());
            let unanswered = file
                .analysis
                .findings
                .iter()
                .filter(|f| f.rule == Rule::UnansweredSuggestion)
                .count();
            assert_eq!(unanswered > 0, rules.is_some());
            let files = [file];
            assert_eq!(json(&files), through_serde::json(&files));
        }
    }

    #[test]
    fn text_pieces_match_their_formatted_versions() {
        for text in TRICKY.iter().copied().chain(["", "tab\there"]) {
            let mut visible = Vec::new();
            push_visible(&mut visible, text);
            assert_eq!(visible, escape_control(text).as_bytes(), "{text:?}");
            for (due, finished) in [
                (chrono::NaiveDate::from_ymd_opt(2026, 1, 2), false),
                (None, false),
                (None, true),
            ] {
                let tracking = Tracking {
                    threat: text.to_string(),
                    mitigation: format!("MI-{text}"),
                    owner: format!("{text}\u{1b}"),
                    due,
                    finished,
                };
                let mut line = Vec::new();
                push_tracking(&mut line, &tracking);
                assert_eq!(line, escape_control(&tracking.to_string()).as_bytes());
            }
        }
        let mut padded = Vec::new();
        push_padded(&mut padded, "low", 8);
        push_padded(&mut padded, "critical", 8);
        assert_eq!(padded, format!("{:<8}{:<8}", "low", "critical").as_bytes());
    }

    #[test]
    fn text_matches_across_chunks() {
        let files: Vec<CheckedFile> = (0..3_000)
            .map(|i| file_with(&format!("e{i}\u{202e}")))
            .collect();
        let text = text(&files);
        assert!(text.len() > 2 * CHUNK);
        assert_eq!(text.matches("tracked by ").count(), 6_000);
        assert!(
            text.ends_with("3000 files checked, 3000 failed (fail on medium)\n"),
            "{}",
            &text[text.len() - 200..]
        );
    }

    proptest! {
        #[test]
        fn json_matches_serde_json_on_any_string(text in any::<String>()) {
            let files = [file_with(&text)];
            prop_assert_eq!(json(&files), through_serde::json(&files));
        }
    }
}
