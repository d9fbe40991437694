//! Federated discovery: one search over every community this node holds —
//! the ones it is home for, the ones the viewer joined, and, when asked, the
//! public ones the node only follows — matching community names and pattern
//! titles, descriptions and categories. Each result says where it comes
//! from, so a viewer can tell two communities of the same name apart.

use commons_kernel::Visibility;
use commons_patterns::views::{self, Filter, PatternSummary};
use serde_json::{Value, json};

use crate::accounts::User;
use crate::{CommunityView, Node, NodeError};

/// Where a discovered community comes from, as seen from this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// This node is its home.
    Home,
    /// The viewer is a member (or asked to join); its home is elsewhere.
    Joined,
    /// A public community this node follows; the viewer is not a member.
    Followed,
}

/// One community that matched, with its matching patterns.
#[derive(Debug, Clone)]
pub struct Discovered {
    /// The community.
    pub community: CommunityView,
    /// Where it comes from.
    pub origin: Origin,
    /// Whether its name matched.
    pub name_matches: bool,
    /// Its patterns that matched, newest first.
    pub patterns: Vec<PatternSummary>,
}

/// Most patterns listed per community.
const PATTERNS_PER_COMMUNITY: u32 = 50;

impl Node {
    /// Searches the communities the viewer can see for `query` (every word
    /// must appear). Public communities the node follows but the viewer has
    /// not joined count only with `include_followed`.
    pub async fn discover(
        &self,
        viewer: Option<&User>,
        query: &str,
        include_followed: bool,
    ) -> Result<Vec<Discovered>, NodeError> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return Err(NodeError::BadInput(
                "give at least one word to search for".into(),
            ));
        }
        let followed: std::collections::HashSet<_> = self
            .follows()
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let searches_patterns = self.registry().get("patterns").is_some();
        let mut found = Vec::new();
        for community in self.communities(viewer).await? {
            let origin = if community.is_home {
                Origin::Home
            } else if community.role.is_some() || community.pending {
                Origin::Joined
            } else if followed.contains(&community.id) && community.visibility == Visibility::Public
            {
                Origin::Followed
            } else {
                continue;
            };
            if origin == Origin::Followed && !include_followed {
                continue;
            }
            let name = community.name.as_str().to_lowercase();
            let name_matches = words.iter().all(|word| name.contains(word.as_str()));
            let patterns = if searches_patterns {
                let filter = Filter {
                    query: Some(query.to_owned()),
                    limit: PATTERNS_PER_COMMUNITY,
                    ..Filter::default()
                };
                views::list(self.store(), community.id, &filter).await?
            } else {
                Vec::new()
            };
            if name_matches || !patterns.is_empty() {
                found.push(Discovered {
                    community,
                    origin,
                    name_matches,
                    patterns,
                });
            }
        }
        Ok(found)
    }
}

/// JSON form of discovery results.
pub fn discovered_json(found: &[Discovered]) -> Value {
    found
        .iter()
        .map(|d| {
            json!({
                "community": d.community.id,
                "name": d.community.name,
                "home": d.community.home,
                "origin": d.origin,
                "name_matches": d.name_matches,
                "patterns": d.patterns.iter().map(crate::patterns::summary_json).collect::<Vec<_>>(),
            })
        })
        .collect()
}
