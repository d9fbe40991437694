//! Rendered pages for visitors who are not logged in, kept until the node's
//! next append: such a page depends only on the projections (which change
//! only through appends, see `commons_node::Node::generation`), the path
//! and the language, save for the visitor's CSRF token, which is written in
//! when the page is served.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use commons_i18n::Locale;

use crate::ui::session::Visitor;

/// Stands for the visitor's CSRF token in a cached page. No text a page
/// shows can contain it: names, kinds and ids have no control characters.
pub const CSRF_MARK: &str = "\u{0}csrf\u{0}";

/// Pages kept per generation, so odd paths cannot grow the cache without
/// bound (every cached path names an existing community).
const MAX_PAGES: usize = 256;

/// What an anonymous page depends on besides the generation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    path: String,
    locale: Locale,
    lang_cookie: Option<Locale>,
}

impl PageKey {
    /// The key of `visitor`'s page, or `None` when the visitor is logged in
    /// (their pages show their own role, forms and name).
    pub fn of(visitor: &Visitor) -> Option<PageKey> {
        visitor.user().is_none().then(|| PageKey {
            path: visitor.path.clone(),
            locale: visitor.locale,
            lang_cookie: visitor.lang_cookie,
        })
    }
}

/// The cache; every entry belongs to one generation.
#[derive(Debug, Default)]
pub struct PageCache {
    inner: Mutex<Generation>,
}

#[derive(Debug, Default)]
struct Generation {
    generation: u64,
    pages: HashMap<PageKey, Arc<str>>,
}

impl PageCache {
    /// The page rendered for `key` under `generation`, if any.
    pub fn get(&self, generation: u64, key: &PageKey) -> Option<Arc<str>> {
        let inner = self
            .inner
            .lock()
            .expect("page cache lock is never poisoned");
        if inner.generation != generation {
            return None;
        }
        inner.pages.get(key).cloned()
    }

    /// Keeps a page rendered from what the node held at `generation` (read
    /// before the page's data). Pages of older generations are dropped.
    pub fn put(&self, generation: u64, key: PageKey, html: Arc<str>) {
        let mut inner = self
            .inner
            .lock()
            .expect("page cache lock is never poisoned");
        if generation > inner.generation {
            inner.generation = generation;
            inner.pages.clear();
        }
        if generation == inner.generation && inner.pages.len() < MAX_PAGES {
            inner.pages.insert(key, html);
        }
    }
}
