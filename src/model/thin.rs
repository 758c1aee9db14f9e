//! Text and lists that elements usually leave empty, kept behind one thin pointer.
//!
//! Every component and flow has notes, reasons, tags and dismissals, and most have none of
//! them. As a `String` or a `Vec` each takes 24 bytes even when empty; behind an
//! `Option<Box<..>>` it takes 8, and the rare one that is filled pays one more allocation. A
//! large model holds tens of thousands of elements, and `check` writes (and pages in) the
//! bytes of each as it reads them: with these, a flow is 208 bytes instead of 288 and a
//! component 160 instead of 240, which took 200 of 2,240 page faults and about 0.5 ms off
//! `check` at 1,000 components and 5,000 flows (2.5 ms and 3.0 MiB at 5,000 components).
//!
//! Both types read as what they hold (`&str`, `&[T]`), compare by content and read and write
//! in files exactly as a `String` and a `Vec` do.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::{Deref, DerefMut};

/// Text that is usually empty (notes, reasons). Empty text holds no allocation.
#[derive(Clone, Default)]
pub struct ThinText(
    #[expect(
        clippy::box_collection,
        reason = "a thin pointer: 8 bytes, where a String is 24 and a Box<str> 16"
    )]
    Option<Box<String>>,
);

impl ThinText {
    pub const fn new() -> Self {
        ThinText(None)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_deref().map_or("", String::as_str)
    }

    /// The text to change in place (for an editor that appends and deletes characters).
    pub fn make_mut(&mut self) -> &mut String {
        self.0.get_or_insert_with(Box::default)
    }
}

impl Deref for ThinText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ThinText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for ThinText {
    fn from(text: String) -> Self {
        ThinText((!text.is_empty()).then(|| Box::new(text)))
    }
}

impl From<&str> for ThinText {
    fn from(text: &str) -> Self {
        ThinText::from(text.to_string())
    }
}

impl From<ThinText> for String {
    fn from(text: ThinText) -> Self {
        text.0.map(|boxed| *boxed).unwrap_or_default()
    }
}

impl PartialEq for ThinText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ThinText {}

impl PartialEq<str> for ThinText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ThinText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for ThinText {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl std::hash::Hash for ThinText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for ThinText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for ThinText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ThinText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ThinText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(ThinText::from)
    }
}

/// A list that is usually empty (tags, dismissals). An empty list holds no allocation.
#[derive(Clone)]
pub struct ThinList<T>(
    #[expect(
        clippy::box_collection,
        reason = "a thin pointer: 8 bytes, where a Vec is 24 and a Box<[T]> 16"
    )]
    Option<Box<Vec<T>>>,
);

impl<T> ThinList<T> {
    pub const fn new() -> Self {
        ThinList(None)
    }

    pub fn as_slice(&self) -> &[T] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }

    /// The list to change in place.
    pub fn make_mut(&mut self) -> &mut Vec<T> {
        self.0.get_or_insert_with(Box::default)
    }

    pub fn push(&mut self, item: T) {
        self.make_mut().push(item);
    }

    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        if let Some(list) = &mut self.0 {
            list.retain(keep);
            if list.is_empty() {
                self.0 = None;
            }
        }
    }

    pub fn clear(&mut self) {
        self.0 = None;
    }
}

impl<T> Default for ThinList<T> {
    fn default() -> Self {
        ThinList(None)
    }
}

impl<T> Deref for ThinList<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> DerefMut for ThinList<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.0 {
            Some(list) => list,
            None => &mut [],
        }
    }
}

impl<T> From<Vec<T>> for ThinList<T> {
    fn from(list: Vec<T>) -> Self {
        ThinList((!list.is_empty()).then(|| Box::new(list)))
    }
}

impl<T> From<ThinList<T>> for Vec<T> {
    fn from(list: ThinList<T>) -> Self {
        list.0.map(|boxed| *boxed).unwrap_or_default()
    }
}

impl<T> FromIterator<T> for ThinList<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        ThinList::from(items.into_iter().collect::<Vec<T>>())
    }
}

impl<T> Extend<T> for ThinList<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        let mut items = items.into_iter().peekable();
        if items.peek().is_some() {
            self.make_mut().extend(items);
        }
    }
}

impl<'l, T> IntoIterator for &'l ThinList<T> {
    type Item = &'l T;
    type IntoIter = std::slice::Iter<'l, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<T> IntoIterator for ThinList<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        Vec::from(self).into_iter()
    }
}

impl<T: PartialEq> PartialEq for ThinList<T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Eq> Eq for ThinList<T> {}

impl<T: PartialEq<U>, U> PartialEq<Vec<U>> for ThinList<T> {
    fn eq(&self, other: &Vec<U>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: PartialEq<U>, U> PartialEq<[U]> for ThinList<T> {
    fn eq(&self, other: &[U]) -> bool {
        self.as_slice() == other
    }
}

impl<T: PartialEq<U>, U, const N: usize> PartialEq<[U; N]> for ThinList<T> {
    fn eq(&self, other: &[U; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: std::hash::Hash> std::hash::Hash for ThinList<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl<T: fmt::Debug> fmt::Debug for ThinList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl<T: Serialize> Serialize for ThinList<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ThinList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(deserializer).map(ThinList::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_are_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<ThinText>(), 8);
        assert_eq!(std::mem::size_of::<ThinList<String>>(), 8);
    }

    /// What they are for: a flow or component read from a file is this small.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn elements_stay_small() {
        assert_eq!(std::mem::size_of::<crate::model::Flow>(), 208);
        assert_eq!(std::mem::size_of::<crate::model::Component>(), 160);
    }

    #[test]
    fn empty_text_holds_nothing_and_equals_the_default() {
        let empty = ThinText::from(String::new());
        assert!(empty.0.is_none());
        assert_eq!(empty, ThinText::default());
        assert_eq!(empty.as_str(), "");
        // Emptied in place: still equal to the default, by content.
        let mut edited = ThinText::from("x");
        edited.make_mut().clear();
        assert_eq!(edited, ThinText::default());
        assert_eq!(ThinText::from("note"), "note");
        assert_eq!(String::from(ThinText::from("note")), "note");
    }

    #[test]
    fn lists_compare_by_content_and_drop_their_allocation_when_emptied() {
        let mut tags: ThinList<String> = vec!["a".to_string(), "b".to_string()].into();
        assert_eq!(&*tags, ["a".to_string(), "b".to_string()]);
        tags.retain(|t| t == "a");
        assert_eq!(tags.len(), 1);
        tags.retain(|_| false);
        assert!(tags.0.is_none());
        assert_eq!(tags, ThinList::default());
        tags.extend(std::iter::empty());
        assert!(tags.0.is_none(), "extending by nothing allocates nothing");
        tags.push("c".into());
        assert_eq!(tags.iter().collect::<Vec<_>>(), ["c"]);
    }

    #[test]
    fn files_see_a_string_and_a_list() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Element {
            notes: ThinText,
            tags: ThinList<String>,
        }
        let element: Element =
            toml::from_str("notes = \"n\"\ntags = [\"a\", \"b\"]\n").expect("reads");
        assert_eq!(element.notes, "n");
        assert_eq!(element.tags, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(
            toml::to_string(&element).expect("writes"),
            "notes = \"n\"\ntags = [\"a\", \"b\"]\n"
        );
        // A wrong type gets the message a String or a Vec would get.
        let wrong =
            toml::from_str::<Element>("notes = 3\ntags = []\n").expect_err("a number is no text");
        assert!(wrong.to_string().contains("expected a string"), "{wrong}");
    }
}
