//! A one-line text field: cursor movement by character and word, insert, delete, paste.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use unicode_width::UnicodeWidthChar;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    /// Cursor as a character index (not bytes), 0..=len.
    cursor: usize,
}

impl TextInput {
    pub fn new(text: impl Into<String>) -> Self {
        let text: String = text.into();
        let cursor = text.chars().count();
        TextInput { text, cursor }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    fn byte_at(&self, char_index: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_index)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    pub fn set(&mut self, text: impl Into<String>) {
        *self = TextInput::new(text);
    }

    /// The text before the cursor.
    pub fn before_cursor(&self) -> &str {
        &self.text[..self.byte_at(self.cursor)]
    }

    /// Replaces what is before the cursor, keeping what follows; the cursor ends after it.
    pub fn replace_before_cursor(&mut self, text: &str) {
        let rest = self.text[self.byte_at(self.cursor)..].to_string();
        self.cursor = text.chars().count();
        self.text = format!("{text}{rest}");
    }

    /// Inserts text at the cursor. Line breaks and other control characters become spaces: the
    /// field is one line, and pasted text must not smuggle in terminal sequences.
    pub fn insert(&mut self, text: &str) {
        let clean: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let at = self.byte_at(self.cursor);
        self.text.insert_str(at, &clean);
        self.cursor += clean.chars().count();
    }

    fn word_left(&self) -> usize {
        let chars: Vec<char> = self.text.chars().collect();
        let mut i = self.cursor;
        while i > 0 && chars[i - 1].is_whitespace() {
            i -= 1;
        }
        while i > 0 && !chars[i - 1].is_whitespace() {
            i -= 1;
        }
        i
    }

    fn word_right(&self) -> usize {
        let chars: Vec<char> = self.text.chars().collect();
        let mut i = self.cursor;
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        i
    }

    fn delete_range(&mut self, from: usize, to: usize) {
        let (a, b) = (self.byte_at(from), self.byte_at(to));
        self.text.replace_range(a..b, "");
        self.cursor = from;
    }

    /// Handles an editing key; returns false for keys the field does not use.
    pub fn handle_key(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.len(),
            KeyCode::Char('u') if ctrl => self.delete_range(0, self.cursor),
            KeyCode::Char('k') if ctrl => self.delete_range(self.cursor, self.len()),
            KeyCode::Char('w') if ctrl => self.delete_range(self.word_left(), self.cursor),
            KeyCode::Char('b') if alt => self.cursor = self.word_left(),
            KeyCode::Char('f') if alt => self.cursor = self.word_right(),
            KeyCode::Char(c) if !ctrl && !alt => self.insert(&c.to_string()),
            KeyCode::Left if ctrl || alt => self.cursor = self.word_left(),
            KeyCode::Right if ctrl || alt => self.cursor = self.word_right(),
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.len(),
            KeyCode::Backspace if ctrl || alt => self.delete_range(self.word_left(), self.cursor),
            KeyCode::Backspace if self.cursor > 0 => {
                self.delete_range(self.cursor - 1, self.cursor)
            }
            KeyCode::Delete if self.cursor < self.len() => {
                self.delete_range(self.cursor, self.cursor + 1)
            }
            KeyCode::Backspace | KeyCode::Delete => {}
            _ => return false,
        }
        true
    }

    /// The visible part of the text for a field `width` cells wide, and the cursor's column in
    /// it. Scrolls so the cursor is always visible; wide characters count two cells.
    pub fn view(&self, width: usize) -> (String, usize) {
        let width = width.max(1);
        let chars: Vec<char> = self.text.chars().collect();
        let w = |c: &char| c.width().unwrap_or(0);
        // Start from the cursor and walk left while the text still fits.
        let mut start = self.cursor;
        let mut used = 0;
        while start > 0 && used + w(&chars[start - 1]) < width {
            used += w(&chars[start - 1]);
            start -= 1;
        }
        let mut shown = String::new();
        let mut cursor_col = 0;
        let mut cols = 0;
        for (i, c) in chars.iter().enumerate().skip(start) {
            if i == self.cursor {
                cursor_col = cols;
            }
            if cols + w(c) > width {
                break;
            }
            cols += w(c);
            shown.push(*c);
        }
        if self.cursor >= chars.len() {
            cursor_col = cols.min(width - 1);
        }
        (shown, cursor_col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn editing_moves_by_characters_not_bytes() {
        let mut t = TextInput::new("café");
        t.handle_key(key(KeyCode::Left));
        t.handle_key(key(KeyCode::Backspace));
        assert_eq!(t.text(), "caé");
        t.handle_key(key(KeyCode::Home));
        t.handle_key(key(KeyCode::Char('X')));
        assert_eq!(t.text(), "Xcaé");
        t.handle_key(key(KeyCode::End));
        t.handle_key(key(KeyCode::Delete));
        assert_eq!(t.text(), "Xcaé");
        t.insert("日本\n\u{1b}[2J");
        assert_eq!(t.text(), "Xcaé日本  [2J");
    }

    #[test]
    fn word_motion_and_deletion() {
        let mut t = TextInput::new("api gateway service");
        t.handle_key(KeyEvent::new(KeyCode::Left, KeyModifiers::CONTROL));
        assert_eq!(t.cursor(), 12);
        t.handle_key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(t.text(), "api service");
        t.handle_key(KeyEvent::new(KeyCode::Char('k'), KeyModifiers::CONTROL));
        assert_eq!(t.text(), "api ");
        assert!(!t.handle_key(key(KeyCode::Up)));
    }

    #[test]
    fn view_keeps_the_cursor_visible() {
        let t = TextInput::new("abcdefghij");
        let (shown, col) = t.view(5);
        assert_eq!(shown, "ghij");
        assert_eq!(col, 4);
        let mut t = TextInput::new("日本語テキスト");
        t.handle_key(key(KeyCode::Home));
        let (shown, col) = t.view(6);
        assert_eq!(shown, "日本語");
        assert_eq!(col, 0);
    }
}
