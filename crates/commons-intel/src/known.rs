//! What the node found out about a publish before appending it, handed to
//! the reducer: which of the record's ids the collection held, and at which
//! `date_added` head. A TAXII add looks its ids up to report versions
//! already stored, and the reducer needs the same answer to flag first and
//! latest versions; with this it does not ask the table a second time.
//!
//! A note is only believed at the head it was taken at. Every object a
//! publish or revoke stores moves the head, so an unchanged head means no
//! id became present since; a delete may have removed one meanwhile, which
//! leaves an id noted as held that is not, and the reducer then refreshes
//! it from the table — the slower path, with the same rows. A note can
//! therefore only err towards "held", never hide a stored version. Replay
//! and peers' entries find no note and query, as before.

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use commons_kernel::RecordId;

/// Notes are taken just before their record is appended, so a handful is
/// plenty; a note whose append failed is dropped when the map fills up.
const MAX_NOTES: usize = 64;

#[derive(Debug)]
struct Note {
    community: String,
    head: i64,
    held: HashSet<String>,
}

static NOTES: LazyLock<Mutex<HashMap<RecordId, Note>>> = LazyLock::new(Mutex::default);

fn notes() -> MutexGuard<'static, HashMap<RecordId, Note>> {
    // Poisoning leaves notes that are each still true at their head.
    NOTES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Notes that when the community's head was `head` (read before the ids
/// were looked up), of the ids the publish `record` carries the collection
/// held at most `held` (community and ids as the tables write them).
pub fn note_held(record: RecordId, community: String, head: i64, held: HashSet<String>) {
    let mut notes = notes();
    if notes.len() >= MAX_NOTES {
        notes.clear();
    }
    notes.insert(
        record,
        Note {
            community,
            head,
            held,
        },
    );
}

/// The ids noted for `record`, if the note was taken at `head` of
/// `community`; the note is used up either way.
pub(crate) fn take_held(record: &RecordId, community: &str, head: i64) -> Option<HashSet<String>> {
    let note = notes().remove(record)?;
    (note.community == community && note.head == head).then_some(note.held)
}
