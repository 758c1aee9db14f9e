//! A modal form: labelled fields (text, choice, toggle, multi-choice), one focused at a time,
//! with a message under each field that failed validation.

use super::text_input::TextInput;
use crate::model::text::escape_control;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

/// One option of a choice: the value stored, the label shown, and optionally a line saying what
/// it means (shown under a field with [`Note::ChoiceHelp`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub help: String,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Choice {
            value: value.into(),
            label: label.into(),
            help: String::new(),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }
}

/// A line under a field saying what its current value means, recomputed as it changes. The
/// line is always there (blank when there is nothing to say), so the form does not jump.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Note {
    #[default]
    None,
    /// Guidance about this field in particular, fixed when the form opens (what a library
    /// entry says about the letters to keep).
    Fixed(String),
    /// The chosen option's help line.
    ChoiceHelp,
    /// The protocol family the threat rules recognise in a text field (a flow's protocol).
    ProtocolFamily,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Text(TextInput),
    /// Pick one; ←/→ cycle. References are always choices, so they cannot dangle.
    Choice {
        options: Vec<Choice>,
        index: usize,
    },
    Toggle(bool),
    /// A due or review date as typed ("2026-12-15", "+10d", "+2w"), shown resolved with its
    /// weekday as the facilitator types.
    Date {
        input: TextInput,
        today: chrono::NaiveDate,
    },
    /// Pick any; ←/→ move, space toggles.
    Multi {
        options: Vec<Choice>,
        chosen: Vec<bool>,
        cursor: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub hint: &'static str,
    pub error: Option<String>,
    /// Completions for a text field (names already used); → at the end of the text takes the
    /// first one that starts with what is typed.
    pub suggestions: Vec<String>,
    /// A line under the field about its current value.
    pub note: Note,
    /// Whether the first completion is on offer before anything is typed (what a threat rule
    /// suggests doing), not only once a few letters match.
    pub offer_when_empty: bool,
}

impl Field {
    pub fn text(key: &'static str, label: &'static str, value: &str, hint: &'static str) -> Self {
        Field {
            key,
            label,
            kind: FieldKind::Text(TextInput::new(value)),
            hint,
            error: None,
            suggestions: Vec::new(),
            note: Note::None,
            offer_when_empty: false,
        }
    }

    pub fn date(
        key: &'static str,
        label: &'static str,
        value: Option<chrono::NaiveDate>,
        today: chrono::NaiveDate,
    ) -> Self {
        Field {
            key,
            label,
            kind: FieldKind::Date {
                input: TextInput::new(value.map(|d| d.to_string()).unwrap_or_default()),
                today,
            },
            hint: "2026-12-15, +10d, +2w, +1m",
            error: None,
            suggestions: Vec::new(),
            note: Note::None,
            offer_when_empty: false,
        }
    }

    pub fn with_suggestions(mut self, suggestions: Vec<String>) -> Self {
        self.suggestions = suggestions;
        self
    }

    pub fn with_note(mut self, note: Note) -> Self {
        self.note = note;
        self
    }

    /// The note line for the field's current value: `None` when the field has no note line,
    /// `Some("")` when it has one with nothing to say now.
    pub fn note_text(&self) -> Option<String> {
        match (&self.note, &self.kind) {
            (Note::None, _) => None,
            (Note::Fixed(text), _) => Some(text.clone()),
            (Note::ChoiceHelp, FieldKind::Choice { options, index }) => Some(
                options
                    .get(*index)
                    .map(|o| o.help.clone())
                    .unwrap_or_default(),
            ),
            (Note::ProtocolFamily, FieldKind::Text(t)) => {
                let text = t.text().trim();
                Some(if text.is_empty() {
                    "no protocol: rules that read the protocol family skip this flow".to_string()
                } else {
                    match crate::model::ProtocolFamily::recognise(text) {
                        Some(family) => format!("recognised: {family}, {}", family.help()),
                        None => "not recognised: rules will not see a protocol family".to_string(),
                    }
                })
            }
            _ => Some(String::new()),
        }
    }

    /// Completions of which the first is on offer even before anything is typed.
    pub fn with_offers(mut self, offers: Vec<String>) -> Self {
        self.offer_when_empty = !offers.is_empty();
        self.suggestions = offers;
        self
    }

    /// What the completion adds to what is typed, shown grey after it as it is typed; `None`
    /// when nothing is typed (an offer then shows as "→ takes: ...") or the cursor is not at
    /// the end.
    pub fn ghost(&self) -> Option<String> {
        let FieldKind::Text(t) = &self.kind else {
            return None;
        };
        let typed = t.text().chars().count();
        if typed == 0 || t.cursor() != typed {
            return None;
        }
        let rest: String = self.completion()?.chars().skip(typed).collect();
        (!rest.is_empty()).then_some(rest)
    }

    /// The completion on offer for what is typed, if any.
    pub fn completion(&self) -> Option<&str> {
        let FieldKind::Text(t) = &self.kind else {
            return None;
        };
        let typed = t.text().to_lowercase();
        if typed.is_empty() {
            return self
                .offer_when_empty
                .then(|| self.suggestions.first().map(String::as_str))
                .flatten();
        }
        self.suggestions
            .iter()
            .find(|s| s.to_lowercase().starts_with(&typed) && s.len() > typed.len())
            .map(String::as_str)
    }

    pub fn choice(
        key: &'static str,
        label: &'static str,
        options: Vec<Choice>,
        value: &str,
    ) -> Self {
        let index = options.iter().position(|o| o.value == value).unwrap_or(0);
        Field {
            key,
            label,
            kind: FieldKind::Choice { options, index },
            hint: "←/→ choose",
            error: None,
            suggestions: Vec::new(),
            note: Note::None,
            offer_when_empty: false,
        }
    }

    // No form has a plain yes/no since flows' protection became yes/no/unknown; kept (and
    // tested) for the next one.
    #[allow(dead_code)]
    pub fn toggle(key: &'static str, label: &'static str, on: bool) -> Self {
        Field {
            key,
            label,
            kind: FieldKind::Toggle(on),
            hint: "space toggles",
            error: None,
            suggestions: Vec::new(),
            note: Note::None,
            offer_when_empty: false,
        }
    }

    pub fn multi(
        key: &'static str,
        label: &'static str,
        options: Vec<Choice>,
        chosen: &[String],
    ) -> Self {
        let flags = options.iter().map(|o| chosen.contains(&o.value)).collect();
        Field {
            key,
            label,
            kind: FieldKind::Multi {
                options,
                chosen: flags,
                cursor: 0,
            },
            hint: "←/→ move, space toggles",
            error: None,
            suggestions: Vec::new(),
            note: Note::None,
            offer_when_empty: false,
        }
    }
}

/// What a key did to the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormOutcome {
    Continue,
    Submit,
    Cancel,
}

/// How a blank `id` field is filled when the form is saved: from other fields' values, made
/// unique. The form shows the id it would get while the id field is blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeriveId {
    /// Fields whose values, joined by `-`, make the id ("name"; "from", "to" for a flow).
    pub from: Vec<&'static str>,
    /// Used when nothing of the name is left in the slug.
    pub fallback: &'static str,
    /// Ids already in use.
    pub taken: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub title: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub derive_id: Option<DeriveId>,
    /// A line at the foot of the form (which values were copied from the previous entry).
    pub note: String,
}

impl Form {
    pub fn new(title: impl Into<String>, fields: Vec<Field>) -> Self {
        Form {
            title: title.into(),
            fields,
            focus: 0,
            derive_id: None,
            note: String::new(),
        }
    }

    pub fn with_derived_id(mut self, derive: DeriveId) -> Self {
        self.derive_id = Some(derive);
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    /// The id a blank id field stands for now, made from the fields it follows.
    pub fn derived_id(&self) -> Option<String> {
        let d = self.derive_id.as_ref()?;
        let value = |key: &str| match self.field(key).map(|f| &f.kind) {
            Some(FieldKind::Choice { .. }) => self.choice(key),
            _ => self.text(key),
        };
        let base: Vec<String> = d.from.iter().map(|k| value(k)).collect();
        Some(crate::tui::screens::build::unique_slug(
            &base.join("-"),
            d.fallback,
            |id| d.taken.iter().any(|t| t == id),
        ))
    }

    fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The text of a text field, trimmed.
    pub fn text(&self, key: &str) -> String {
        match self.field(key).map(|f| &f.kind) {
            Some(FieldKind::Text(t)) => t.text().trim().to_string(),
            _ => String::new(),
        }
    }

    pub fn choice(&self, key: &str) -> String {
        match self.field(key).map(|f| &f.kind) {
            Some(FieldKind::Choice { options, index }) => options
                .get(*index)
                .map(|o| o.value.clone())
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// A date field resolved: `Ok(None)` when empty, `Err` with a message when unreadable.
    pub fn date(&self, key: &str) -> Result<Option<chrono::NaiveDate>, String> {
        match self.field(key).map(|f| &f.kind) {
            Some(FieldKind::Date { input, today }) if !input.text().trim().is_empty() => {
                crate::model::due::parse_due(input.text(), *today).map(Some)
            }
            _ => Ok(None),
        }
    }

    #[allow(dead_code)]
    pub fn toggle(&self, key: &str) -> bool {
        matches!(
            self.field(key).map(|f| &f.kind),
            Some(FieldKind::Toggle(true))
        )
    }

    pub fn chosen(&self, key: &str) -> Vec<String> {
        match self.field(key).map(|f| &f.kind) {
            Some(FieldKind::Multi {
                options, chosen, ..
            }) => options
                .iter()
                .zip(chosen)
                .filter(|(_, on)| **on)
                .map(|(o, _)| o.value.clone())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Every field's value as plain strings (text as typed, a choice's value, `true`/`false`,
    /// the chosen values): what an autosave keeps of a form not yet submitted.
    pub fn values(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        self.fields
            .iter()
            .map(|f| {
                let value = match &f.kind {
                    FieldKind::Text(t) | FieldKind::Date { input: t, .. } => {
                        vec![t.text().to_string()]
                    }
                    FieldKind::Choice { options, index } => options
                        .get(*index)
                        .map(|o| vec![o.value.clone()])
                        .unwrap_or_default(),
                    FieldKind::Toggle(on) => vec![on.to_string()],
                    FieldKind::Multi {
                        options, chosen, ..
                    } => options
                        .iter()
                        .zip(chosen)
                        .filter(|(_, on)| **on)
                        .map(|(o, _)| o.value.clone())
                        .collect(),
                };
                (f.key.to_string(), value)
            })
            .collect()
    }

    /// Puts back values taken by [`Form::values`]. A choice whose value no longer exists keeps
    /// the form's own; keys the form does not have are ignored.
    pub fn restore(&mut self, values: &std::collections::BTreeMap<String, Vec<String>>) {
        for field in &mut self.fields {
            let Some(value) = values.get(field.key) else {
                continue;
            };
            match &mut field.kind {
                FieldKind::Text(t) | FieldKind::Date { input: t, .. } => {
                    t.set(value.first().cloned().unwrap_or_default());
                }
                FieldKind::Choice { options, index } => {
                    if let Some(i) = value
                        .first()
                        .and_then(|v| options.iter().position(|o| &o.value == v))
                    {
                        *index = i;
                    }
                }
                FieldKind::Toggle(on) => *on = value.first().is_some_and(|v| v == "true"),
                FieldKind::Multi {
                    options, chosen, ..
                } => {
                    for (option, flag) in options.iter().zip(chosen.iter_mut()) {
                        *flag = value.contains(&option.value);
                    }
                }
            }
        }
    }

    pub fn clear_errors(&mut self) {
        for f in &mut self.fields {
            f.error = None;
        }
    }

    /// Marks a field invalid and focuses the first invalid field.
    pub fn set_error(&mut self, key: &str, message: impl Into<String>) {
        if let Some(i) = self.fields.iter().position(|f| f.key == key) {
            if self.fields[..i].iter().all(|f| f.error.is_none()) {
                self.focus = i;
            }
            self.fields[i].error = Some(message.into());
        }
    }

    pub fn has_errors(&self) -> bool {
        self.fields.iter().any(|f| f.error.is_some())
    }

    pub fn paste(&mut self, text: &str) {
        match self.fields.get_mut(self.focus).map(|f| &mut f.kind) {
            Some(FieldKind::Text(t)) | Some(FieldKind::Date { input: t, .. }) => t.insert(text),
            _ => {}
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> FormOutcome {
        let n = self.fields.len().max(1);
        match key.code {
            KeyCode::Esc => return FormOutcome::Cancel,
            KeyCode::Enter => return FormOutcome::Submit,
            KeyCode::Char('s') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return FormOutcome::Submit;
            }
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % n,
            KeyCode::BackTab | KeyCode::Up => self.focus = (self.focus + n - 1) % n,
            _ => {
                let Some(field) = self.fields.get_mut(self.focus) else {
                    return FormOutcome::Continue;
                };
                if key.code == KeyCode::Right
                    && let FieldKind::Text(t) = &field.kind
                    && t.cursor() == t.text().chars().count()
                    && let Some(completion) = field.completion().map(String::from)
                {
                    field.kind = FieldKind::Text(TextInput::new(completion));
                    return FormOutcome::Continue;
                }
                match &mut field.kind {
                    FieldKind::Text(t) | FieldKind::Date { input: t, .. } => {
                        if t.handle_key(key) {
                            field.error = None;
                        }
                    }
                    FieldKind::Choice { options, index } => {
                        let len = options.len().max(1);
                        match key.code {
                            KeyCode::Right | KeyCode::Char(' ') => *index = (*index + 1) % len,
                            KeyCode::Left => *index = (*index + len - 1) % len,
                            // A letter jumps to the next option whose value starts with it:
                            // long lists (34 technologies) need not be walked one by one.
                            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                                let wanted = c.to_lowercase().next().unwrap_or(c);
                                let starts = |o: &Choice| {
                                    o.value.chars().next().and_then(|f| f.to_lowercase().next())
                                        == Some(wanted)
                                };
                                if let Some(next) = (1..=len)
                                    .map(|step| (*index + step) % len)
                                    .find(|&i| options.get(i).is_some_and(starts))
                                {
                                    *index = next;
                                }
                            }
                            _ => {}
                        }
                        field.error = None;
                    }
                    FieldKind::Toggle(on) => {
                        if matches!(
                            key.code,
                            KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right
                        ) {
                            *on = !*on;
                        }
                    }
                    FieldKind::Multi {
                        options,
                        chosen,
                        cursor,
                    } => {
                        let len = options.len();
                        match key.code {
                            KeyCode::Right if len > 0 => *cursor = (*cursor + 1) % len,
                            KeyCode::Left if len > 0 => *cursor = (*cursor + len - 1) % len,
                            KeyCode::Char(' ') => {
                                if let Some(flag) = chosen.get_mut(*cursor) {
                                    *flag = !*flag;
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        FormOutcome::Continue
    }

    /// Renders centred in `area`; returns where the terminal cursor goes (the focused text field).
    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) -> Option<Position> {
        let label_width = self.fields.iter().map(|f| f.label.len()).max().unwrap_or(0) as u16 + 2;
        let width = area.width.clamp(20, 76);
        // Inside the border: what is left beside the labels.
        let value_width = width.saturating_sub(2 + label_width + 1) as usize;
        let rows: u16 = self
            .fields
            .iter()
            .map(|f| {
                let value_rows = match &f.kind {
                    FieldKind::Multi { options, .. } => multi_rows(options, value_width).len(),
                    _ => 1,
                };
                value_rows as u16 + u16::from(f.error.is_some()) + u16::from(f.note != Note::None)
            })
            .sum::<u16>()
            + u16::from(!self.note.is_empty());
        let height = (rows + 4).min(area.height);
        let popup = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + (area.height.saturating_sub(height)) / 2,
            width,
            height,
        };
        Clear.render(popup, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(format!(" {} ", self.title), theme.title()))
            .title_bottom(Line::from(vec![
                Span::styled(" Enter", theme.key()),
                Span::raw(" save  "),
                Span::styled("Esc", theme.key()),
                Span::raw(" cancel  "),
                Span::styled("Tab/↑↓", theme.key()),
                Span::raw(" field "),
            ]));
        let inner = block.inner(popup);
        block.render(popup, buf);
        let value_width = inner.width.saturating_sub(label_width + 1) as usize;
        let mut y = inner.y;
        let derived = self.derived_id();
        let mut cursor = None;
        for (i, field) in self.fields.iter().enumerate() {
            if y >= inner.bottom() {
                break;
            }
            let focused = i == self.focus;
            let marker = if focused { "▸" } else { " " };
            let label_style = if focused { theme.key() } else { theme.normal() };
            let mut spans = vec![Span::styled(
                format!("{marker}{:<w$}", field.label, w = label_width as usize - 1),
                label_style,
            )];
            match &field.kind {
                FieldKind::Text(t) => {
                    // Focused: the end, where the cursor is. Otherwise the start, and an
                    // ellipsis when there is more.
                    let (shown, col) = if focused {
                        t.view(value_width)
                    } else {
                        (
                            crate::tui::widgets::text::fit(
                                &crate::tui::widgets::text::sanitize(t.text()),
                                value_width,
                            ),
                            0,
                        )
                    };
                    let shown = escape_control(&shown).into_owned();
                    if focused {
                        cursor = Some(Position::new(inner.x + label_width + col as u16, y));
                    }
                    let style = if focused {
                        theme.selected()
                    } else {
                        theme.normal()
                    };
                    let mut pad = value_width
                        .saturating_sub(unicode_width::UnicodeWidthStr::width(shown.as_str()));
                    spans.push(Span::styled(shown, style));
                    // A completion on offer, or the hint while the field is empty, shows in
                    // the field's own width after the text: what a completion of the typed
                    // text adds, grey, right after it.
                    let note = match (field.ghost(), field.completion()) {
                        (Some(rest), _) => Some(rest),
                        (None, Some(completion)) => Some(format!("  → takes: {completion}")),
                        // A blank id shows the id it stands for, focused or not, so it is
                        // seen while the name is typed.
                        (None, None)
                            if field.key == "id" && t.text().is_empty() && derived.is_some() =>
                        {
                            derived
                                .as_ref()
                                .map(|id| format!("{id}  (made from the name; type to change)"))
                        }
                        (None, None) if t.text().is_empty() && !field.hint.is_empty() => {
                            Some(format!(" {}", field.hint))
                        }
                        (None, None) => None,
                    };
                    let always = field.key == "id" && derived.is_some();
                    if (focused || always)
                        && let Some(note) = note
                    {
                        let note = crate::tui::widgets::text::fit(
                            &crate::tui::widgets::text::sanitize(&note),
                            pad,
                        );
                        pad -= crate::tui::widgets::text::width(&note).min(pad);
                        spans.push(Span::styled(note, theme.dim()));
                    }
                    spans.push(Span::styled(" ".repeat(pad), style));
                }
                FieldKind::Choice { options, index } => {
                    let label = options
                        .get(*index)
                        .map_or("(none available)", |o| o.label.as_str());
                    spans.push(Span::styled(
                        format!("◀ {} ▶", escape_control(label)),
                        if focused {
                            theme.selected()
                        } else {
                            theme.normal()
                        },
                    ));
                }
                FieldKind::Date { input, today } => {
                    let (shown, col) = input.view(value_width.saturating_sub(22));
                    if focused {
                        cursor = Some(Position::new(inner.x + label_width + col as u16, y));
                    }
                    let style = if focused {
                        theme.selected()
                    } else {
                        theme.normal()
                    };
                    let pad = value_width
                        .saturating_sub(22)
                        .saturating_sub(unicode_width::UnicodeWidthStr::width(shown.as_str()));
                    spans.push(Span::styled(
                        format!("{}{}", escape_control(&shown), " ".repeat(pad)),
                        style,
                    ));
                    if !input.text().trim().is_empty() {
                        match crate::model::due::parse_due(input.text(), *today) {
                            Ok(d) => spans.push(Span::styled(
                                format!(" → {}", crate::model::due::with_weekday(d)),
                                theme.ok(),
                            )),
                            Err(_) => spans.push(Span::styled(" ✗ not a date", theme.error())),
                        }
                    }
                }
                FieldKind::Toggle(on) => {
                    spans.push(Span::styled(
                        if *on { "[x] yes" } else { "[ ] no" },
                        if focused {
                            theme.selected()
                        } else {
                            theme.normal()
                        },
                    ));
                }
                FieldKind::Multi {
                    options,
                    chosen,
                    cursor: at,
                } => {
                    if options.is_empty() {
                        spans.push(Span::styled("(none defined yet)", theme.dim()));
                    }
                    // Wrapped onto as many rows as the options need, never cut.
                    let lines = multi_rows(options, value_width);
                    for (row, indices) in lines.iter().enumerate() {
                        if row > 0 {
                            Paragraph::new(Line::from(std::mem::take(&mut spans))).render(
                                Rect {
                                    y,
                                    height: 1,
                                    ..inner
                                },
                                buf,
                            );
                            y += 1;
                            if y >= inner.bottom() {
                                break;
                            }
                            spans.push(Span::raw(" ".repeat(label_width as usize)));
                        }
                        for &j in indices {
                            let (Some(o), Some(on)) = (options.get(j), chosen.get(j)) else {
                                continue;
                            };
                            let style = if focused && j == *at {
                                theme.selected()
                            } else {
                                theme.normal()
                            };
                            spans.push(Span::styled(multi_option_text(o, *on), style));
                        }
                    }
                    if y >= inner.bottom() {
                        break;
                    }
                }
            }
            // A text field's hint and completion show in the field (above).
            if focused
                && !field.hint.is_empty()
                && matches!(field.kind, FieldKind::Choice { .. } | FieldKind::Toggle(_))
            {
                spans.push(Span::styled(format!("  {}", field.hint), theme.dim()));
            }
            Paragraph::new(Line::from(spans)).render(
                Rect {
                    y,
                    height: 1,
                    ..inner
                },
                buf,
            );
            y += 1;
            if let Some(error) = &field.error
                && y < inner.bottom()
            {
                Paragraph::new(Line::from(vec![Span::styled(
                    format!(
                        "{:w$}✗ {}",
                        "",
                        escape_control(error),
                        w = label_width as usize
                    ),
                    theme.error(),
                )]))
                .render(
                    Rect {
                        y,
                        height: 1,
                        ..inner
                    },
                    buf,
                );
                y += 1;
            }
            if let Some(note) = field.note_text()
                && y < inner.bottom()
            {
                let note = escape_control(&note);
                let width = unicode_width::UnicodeWidthStr::width(note.as_ref());
                // Under the value when it fits, else from the left edge.
                let indent = if width + (label_width as usize) <= inner.width as usize {
                    label_width as usize
                } else {
                    2
                };
                Paragraph::new(Line::from(vec![Span::styled(
                    format!("{:indent$}{note}", ""),
                    theme.dim(),
                )]))
                .render(
                    Rect {
                        y,
                        height: 1,
                        ..inner
                    },
                    buf,
                );
                y += 1;
            }
        }
        if !self.note.is_empty() && y < inner.bottom() {
            let note = crate::tui::widgets::text::fit(
                &crate::tui::widgets::text::sanitize(&self.note),
                inner.width.saturating_sub(1) as usize,
            );
            Paragraph::new(Line::from(Span::styled(format!(" {note}"), theme.dim()))).render(
                Rect {
                    y,
                    height: 1,
                    ..inner
                },
                buf,
            );
        }
        cursor
    }
}

/// One option of a multi-choice as drawn: "[x] Card data (restricted) ".
fn multi_option_text(o: &Choice, on: bool) -> String {
    format!(
        "[{}] {} ",
        if on { 'x' } else { ' ' },
        crate::tui::widgets::text::sanitize(&o.label)
    )
}

/// The options of a multi-choice laid out in rows of `width` cells: indices per row. An option
/// wider than a row gets a row of its own (and is cut there); at least one row.
fn multi_rows(options: &[Choice], width: usize) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0;
    for (j, o) in options.iter().enumerate() {
        let w = crate::tui::widgets::text::width(&multi_option_text(o, false));
        if used > 0 && used + w > width {
            rows.push(Vec::new());
            used = 0;
        }
        used += w;
        if let Some(row) = rows.last_mut() {
            row.push(j);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(form: &mut Form, code: KeyCode) -> FormOutcome {
        form.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn a_letter_jumps_to_the_next_choice_starting_with_it() {
        let options = ["", "api", "api-gateway", "browser", "database"]
            .into_iter()
            .map(|v| Choice::new(v, v))
            .collect();
        let mut form = Form::new("T", vec![Field::choice("tech", "Tech", options, "")]);
        press(&mut form, KeyCode::Char('d'));
        assert_eq!(form.choice("tech"), "database");
        press(&mut form, KeyCode::Char('A'));
        assert_eq!(form.choice("tech"), "api");
        press(&mut form, KeyCode::Char('a'));
        assert_eq!(
            form.choice("tech"),
            "api-gateway",
            "the next one with that letter"
        );
        press(&mut form, KeyCode::Char('a'));
        assert_eq!(form.choice("tech"), "api", "round again");
        press(&mut form, KeyCode::Char('z'));
        assert_eq!(form.choice("tech"), "api", "no option: nothing moves");
        press(&mut form, KeyCode::Char(' '));
        assert_eq!(form.choice("tech"), "api-gateway", "space still steps");
    }

    #[test]
    fn fields_are_edited_and_read_back() {
        let mut form = Form::new(
            "Flow",
            vec![
                Field::text("label", "Label", "", ""),
                Field::choice(
                    "from",
                    "From",
                    vec![Choice::new("a", "A"), Choice::new("b", "B")],
                    "a",
                ),
                Field::toggle("encrypted", "Encrypted", false),
                Field::multi(
                    "assets",
                    "Assets",
                    vec![Choice::new("x", "X"), Choice::new("y", "Y")],
                    &[],
                ),
            ],
        );
        for c in "queries".chars() {
            press(&mut form, KeyCode::Char(c));
        }
        press(&mut form, KeyCode::Tab);
        press(&mut form, KeyCode::Right);
        press(&mut form, KeyCode::Tab);
        press(&mut form, KeyCode::Char(' '));
        press(&mut form, KeyCode::Tab);
        press(&mut form, KeyCode::Right);
        press(&mut form, KeyCode::Char(' '));
        assert_eq!(form.text("label"), "queries");
        assert_eq!(form.choice("from"), "b");
        assert!(form.toggle("encrypted"));
        assert_eq!(form.chosen("assets"), ["y"]);
        assert_eq!(press(&mut form, KeyCode::Enter), FormOutcome::Submit);
        assert_eq!(press(&mut form, KeyCode::Esc), FormOutcome::Cancel);
    }

    #[test]
    fn notes_say_what_the_value_means_as_it_changes() {
        let mut form = Form::new(
            "Flow",
            vec![
                Field::text("protocol", "Protocol", "", "").with_note(Note::ProtocolFamily),
                Field::choice(
                    "technology",
                    "Technology",
                    vec![
                        Choice::new("", "(none)"),
                        Choice::new("database", "database").with_help("SQL or NoSQL database"),
                    ],
                    "database",
                )
                .with_note(Note::ChoiceHelp),
                Field::text("notes", "Notes", "", ""),
            ],
        );
        assert_eq!(
            form.fields[0].note_text().as_deref(),
            Some("no protocol: rules that read the protocol family skip this flow")
        );
        for c in "HTTPS/JSON".chars() {
            press(&mut form, KeyCode::Char(c));
        }
        assert_eq!(
            form.fields[0].note_text().as_deref(),
            Some("recognised: https, HTTP over TLS")
        );
        form.fields[0].kind = FieldKind::Text(TextInput::new("carrier pigeon"));
        assert_eq!(
            form.fields[0].note_text().as_deref(),
            Some("not recognised: rules will not see a protocol family")
        );
        assert_eq!(
            form.fields[1].note_text().as_deref(),
            Some("SQL or NoSQL database")
        );
        press(&mut form, KeyCode::Tab);
        press(&mut form, KeyCode::Right);
        assert_eq!(form.choice("technology"), "");
        assert_eq!(form.fields[1].note_text().as_deref(), Some(""));
        assert_eq!(form.fields[2].note_text(), None);

        // Drawn under its field, and counted in the form's height.
        let area = Rect::new(0, 0, 80, 24);
        let mut buf = Buffer::empty(area);
        form.render(area, &mut buf, &Theme::plain());
        let rows: Vec<String> = (0..area.height)
            .map(|y| (0..area.width).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        let protocol = rows
            .iter()
            .position(|r| r.contains("Protocol"))
            .expect("protocol row");
        assert!(
            rows[protocol + 1].contains("not recognised: rules will not see a protocol family"),
            "{rows:#?}"
        );
        assert!(rows[protocol + 2].contains("Technology"), "{rows:#?}");
        assert!(rows[protocol + 4].contains("Notes"), "{rows:#?}");
    }

    fn rows_of(form: &Form, width: u16, height: u16) -> Vec<String> {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        form.render(area, &mut buf, &Theme::plain());
        (0..height)
            .map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect())
            .collect()
    }

    #[test]
    fn checkboxes_wrap_instead_of_being_cut_and_long_text_shows_its_start_unfocused() {
        let long =
            "Terminates TLS, validates JWT signatures, applies rate limits, routes to services";
        let options: Vec<Choice> = [
            "Card data (restricted)",
            "Ledger entries (restricted)",
            "Tokens (confidential)",
        ]
        .iter()
        .map(|l| Choice::new(*l, *l))
        .collect();
        let mut form = Form::new(
            "Component",
            vec![
                Field::text("name", "Name", "API", ""),
                Field::multi(
                    "assets",
                    "Assets",
                    options,
                    &["Tokens (confidential)".to_string()],
                ),
                Field::text("notes", "Notes", long, ""),
            ],
        );
        let rows = rows_of(&form, 60, 16);
        let all = rows.join("\n");
        for label in [
            "[ ] Card data (restricted)",
            "[ ] Ledger entries (restricted)",
            "[x] Tokens (confidential)",
        ] {
            assert!(all.contains(label), "{label} whole in:\n{all}");
        }
        let notes = rows
            .iter()
            .find(|r| r.contains("Notes"))
            .expect("notes row");
        assert!(
            notes.contains("Terminates TLS") && notes.contains('…'),
            "{notes}"
        );
        // Focused: the end, where the cursor is.
        form.focus = 2;
        let rows = rows_of(&form, 60, 16);
        let notes = rows
            .iter()
            .find(|r| r.contains("Notes"))
            .expect("notes row");
        assert!(
            notes.contains("routes to services") && !notes.contains("Terminates"),
            "{notes}"
        );
    }

    #[test]
    fn a_blank_id_shows_the_id_it_stands_for() {
        let mut form = Form::new(
            "Add",
            vec![
                Field::text("name", "Name", "", ""),
                Field::text("id", "Id", "", ""),
            ],
        )
        .with_derived_id(DeriveId {
            from: vec!["name"],
            fallback: "component",
            taken: vec!["web-app".into()],
        });
        assert_eq!(form.derived_id().as_deref(), Some("component"));
        for c in "Web app".chars() {
            press(&mut form, KeyCode::Char(c));
        }
        assert_eq!(form.derived_id().as_deref(), Some("web-app-2"), "made free");
        let rows = rows_of(&form, 60, 10);
        assert!(
            rows.iter()
                .any(|r| r.contains("Id   web-app-2  (made from the name")),
            "{rows:#?}"
        );
        press(&mut form, KeyCode::Tab);
        press(&mut form, KeyCode::Char('w'));
        let rows = rows_of(&form, 60, 10);
        assert!(
            !rows.iter().any(|r| r.contains("made from the name")),
            "typed: {rows:#?}"
        );
    }

    #[test]
    fn a_completion_shows_grey_as_it_is_typed_and_right_takes_it() {
        let people = vec!["Noor".to_string(), "Hannah".to_string()];
        let form_with = || {
            Form::new(
                "M",
                vec![
                    Field::text("owner", "Owner", "", "one person")
                        .with_suggestions(people.clone()),
                    Field::text("ticket", "Ticket", "", ""),
                ],
            )
        };
        let mut form = form_with();
        assert_eq!(
            form.fields[0].ghost(),
            None,
            "nothing typed, nothing offered"
        );
        press(&mut form, KeyCode::Char('n'));
        press(&mut form, KeyCode::Char('o'));
        assert_eq!(form.fields[0].ghost().as_deref(), Some("or"));
        // Drawn right after the text, in the dim style, before any key accepts it.
        let theme = Theme::plain();
        let area = Rect::new(0, 0, 80, 24);
        let mut buf = Buffer::empty(area);
        let cursor = form.render(area, &mut buf, &theme).expect("a cursor");
        let at = |dx: u16| &buf[(cursor.x + dx, cursor.y)];
        assert_eq!(
            (at(0).symbol(), at(1).symbol(), at(2).symbol()),
            ("o", "r", " ")
        );
        // Typed text is in the field's reverse video; the grey rest is not.
        let reversed =
            |c: &ratatui::buffer::Cell| c.modifier.contains(ratatui::style::Modifier::REVERSED);
        assert!(reversed(&buf[(cursor.x - 1, cursor.y)]));
        assert!(!reversed(at(0)) && !reversed(at(1)));
        // → takes it.
        press(&mut form, KeyCode::Right);
        assert_eq!((form.text("owner").as_str(), form.focus), ("Noor", 0));
        assert_eq!(form.fields[0].ghost(), None, "nothing more to add");
        // Tab keeps what is typed: "Hannah" may be the whole name when "Hannah (Support)"
        // is known too.
        let mut form = form_with();
        press(&mut form, KeyCode::Char('H'));
        press(&mut form, KeyCode::Tab);
        assert_eq!((form.text("owner").as_str(), form.focus), ("H", 1));
    }

    #[test]
    fn errors_focus_the_first_bad_field() {
        let mut form = Form::new(
            "T",
            vec![Field::text("a", "A", "", ""), Field::text("b", "B", "", "")],
        );
        form.focus = 1;
        form.set_error("b", "bad b");
        form.set_error("a", "bad a");
        assert_eq!(form.focus, 0);
        assert!(form.has_errors());
        form.clear_errors();
        assert!(!form.has_errors());
    }

    #[test]
    fn a_note_shows_under_its_field_without_focus_and_after_an_error() {
        let mut form = Form::new(
            "Threat",
            vec![
                Field::text("title", "Title", "x", ""),
                Field::text("stride", "STRIDE", "", "")
                    .with_note(Note::Fixed("keep \u{1b}the letters".into())),
                Field::text("notes", "Notes", "", ""),
            ],
        );
        form.set_error("stride", "give a letter");
        let area = Rect::new(0, 0, 60, 12);
        let mut buf = Buffer::empty(area);
        form.render(area, &mut buf, &Theme::plain());
        let rows: Vec<String> = (0..area.height)
            .map(|y| {
                (0..area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect();
        let at = |needle: &str| rows.iter().position(|r| r.contains(needle));
        let stride = at("STRIDE").expect("the field");
        assert_eq!(at("✗ give a letter"), Some(stride + 1));
        // Escaped: a note may quote library text.
        assert_eq!(at("keep \\ethe letters"), Some(stride + 2));
        assert_eq!(at("Notes"), Some(stride + 3), "the rows make room for it");
    }
}
