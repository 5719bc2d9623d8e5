//! The listed form of each resource, kept from one list to the next. A list
//! reads the keys and revisions of its page and renders only the records it
//! has not seen at that revision. A record's listed form depends on the
//! record alone, and every change to a record gives it a new revision (a
//! record made again starts at a random one, see `tracked::first_revision`),
//! so a kept form is never stale.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// How many bytes of keys and rendered items are kept before starting over.
const BUDGET: usize = 8 << 20;

#[derive(Default)]
pub struct Rendered {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Record key → (revision, listed form as JSON).
    items: HashMap<String, (i64, Arc<[u8]>)>,
    bytes: usize,
}

impl Rendered {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The kept form of each `(key, revision)`, where there is one.
    pub fn get_all(&self, page: &[(String, i64)]) -> Vec<Option<Arc<[u8]>>> {
        let inner = self.lock();
        page.iter()
            .map(|(key, revision)| {
                inner
                    .items
                    .get(key)
                    .filter(|(kept, _)| kept == revision)
                    .map(|(_, item)| item.clone())
            })
            .collect()
    }

    /// Keeps the listed form of `key` at `revision`.
    pub fn put(&self, key: String, revision: i64, item: Arc<[u8]>) {
        let size = key.len() + item.len();
        let mut inner = self.lock();
        if inner.bytes + size > BUDGET {
            inner.items.clear();
            inner.bytes = 0;
        }
        inner.bytes += size;
        if let Some((_, old)) = inner.items.insert(key.clone(), (revision, item)) {
            inner.bytes -= key.len() + old.len();
        }
    }

    /// Forgets everything (after a reset, to give the memory back).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.items = HashMap::new();
        inner.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(s: &str) -> Arc<[u8]> {
        s.as_bytes().into()
    }

    #[test]
    fn a_form_is_given_only_at_the_revision_it_was_kept_at() {
        let r = Rendered::default();
        r.put("a".into(), 7, item("{\"v\":1}"));
        let page = [
            ("a".to_string(), 7),
            ("a".to_string(), 8),
            ("b".to_string(), 7),
        ];
        let got = r.get_all(&page);
        assert_eq!(got[0].as_deref(), Some(&b"{\"v\":1}"[..]));
        assert_eq!((got[1].is_none(), got[2].is_none()), (true, true));
        r.put("a".into(), 8, item("{\"v\":2}"));
        assert_eq!(r.get_all(&page)[0], None);
        assert_eq!(r.get_all(&page)[1].as_deref(), Some(&b"{\"v\":2}"[..]));
    }

    #[test]
    fn the_kept_bytes_stay_within_the_budget() {
        let r = Rendered::default();
        let big: Arc<[u8]> = vec![b'x'; 1 << 20].into();
        for n in 0..20 {
            r.put(format!("k{n}"), 0, big.clone());
            assert!(r.lock().bytes <= BUDGET);
        }
        // Replacing an entry counts it once.
        r.clear();
        assert_eq!(r.lock().bytes, 0);
        r.put("k".into(), 0, big.clone());
        r.put("k".into(), 1, big.clone());
        assert_eq!(r.lock().bytes, 1 + (1 << 20));
    }
}
