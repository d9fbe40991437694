//! The intel feed through the node: publish STIX objects (strictly, for the
//! API and CLI; per object, for TAXII), revoke, report sightings and false
//! positives, delete, set the confidence model, and read the feed, TAXII
//! pages, one indicator, and the active indicators a scan matches against.

use std::collections::HashSet;

use commons_intel::records::{self, MAX_OBJECTS};
use commons_intel::views::{self, us_of, version_ns_of};
use commons_kernel::{CommunityId, Findings, Kind, Record, SignedRecord};
use commons_stix::{Identifier, Timestamp};
use serde_json::{Value, json};

pub use commons_intel::views::{
    Evidence, FeedItem, FeedQuery, IndicatorDetail, ObjectRow, ObjectsPage, ObjectsQuery,
    VersionMatch, format_us,
};
pub use commons_intel::{IndicatorScore, SettingsBody, SightingBody};
pub use commons_stix::confidence::{ConfidenceModel, IndicatorKind, Status as IndicatorStatus};

use crate::accounts::User;
use crate::{CommunityView, Node, NodeError, now};

/// What a publish did, object by object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublishOutcome {
    /// The log entries written (one per up to 10,000 objects).
    pub seqs: Vec<u64>,
    /// `(id, version)` of each object stored.
    pub added: Vec<(String, String)>,
    /// Objects not stored, and why.
    pub failures: Vec<PublishFailure>,
}

/// One object a lenient publish did not store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishFailure {
    /// Its position in the input.
    pub index: usize,
    /// Its id, if it has a readable one.
    pub id: Option<String>,
    /// Its version, if it has a readable one.
    pub version: Option<String>,
    /// Why.
    pub message: String,
}

/// The room a publish record leaves for its objects: the kernel's record
/// limit less what the record's other fields take.
const OBJECT_BYTES_PER_RECORD: usize = commons_kernel::record::MAX_RECORD_BYTES - 1024;

/// Splits objects into runs that each fit one record, by the sizes of their
/// wire forms ([`records::WireSize`], compact JSON, which the canonical
/// encoding does not exceed), at most [`MAX_OBJECTS`] per run; returns the
/// length of each run. An object too large for any record is a run of its
/// own, which signing then refuses with the size.
fn record_chunks(sizes: &[records::WireSize]) -> Vec<usize> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (idx, size) in sizes.iter().enumerate() {
        let size = size.len + 1;
        if idx > start && (bytes + size > OBJECT_BYTES_PER_RECORD || idx - start == MAX_OBJECTS) {
            runs.push(idx - start);
            start = idx;
            bytes = 0;
        }
        bytes += size;
    }
    if start < sizes.len() {
        runs.push(sizes.len() - start);
    }
    runs
}

/// The objects of a bundle, a TAXII envelope (`{"objects": […]}`), a list of
/// objects, or a single object.
pub fn objects_of(input: Value) -> Result<Vec<Value>, NodeError> {
    match input {
        Value::Array(objects) => Ok(objects),
        Value::Object(mut object) => match object.remove("objects") {
            Some(Value::Array(objects)) => Ok(objects),
            Some(_) => Err(NodeError::BadInput("objects must be a list".into())),
            None if object.contains_key("type") => Ok(vec![Value::Object(object)]),
            None => Err(NodeError::BadInput(
                "expected a STIX bundle, an envelope with objects, or a list of objects".into(),
            )),
        },
        _ => Err(NodeError::BadInput(
            "expected a STIX bundle, an envelope with objects, or a list of objects".into(),
        )),
    }
}

fn too_large() -> String {
    format!("the object is larger than the {OBJECT_BYTES_PER_RECORD} bytes one record may carry")
}

fn version_of(object: &Value) -> Option<String> {
    object
        .get("modified")
        .or_else(|| object.get("created"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

impl Node {
    /// Publishes objects to a community's feed, all or nothing: any invalid
    /// object refuses the whole publish with every finding (pointers
    /// `/objects/N/…`).
    pub async fn intel_publish(
        &self,
        user: &User,
        community: &str,
        objects: Vec<Value>,
    ) -> Result<PublishOutcome, NodeError> {
        let view = self.community(community, Some(user)).await?;
        if objects.is_empty() {
            return Err(NodeError::BadInput(
                "there are no objects to publish".into(),
            ));
        }
        let mut findings = Findings::default();
        for (idx, problems) in commons_intel::validate_objects(&objects) {
            for finding in problems {
                findings.push(
                    format!("/objects/{idx}{}", finding.pointer),
                    format!("[{}] {}", finding.code, finding.message),
                );
            }
        }
        let sizes: Vec<records::WireSize> = objects.iter().map(records::wire_size).collect();
        for (idx, size) in sizes.iter().enumerate() {
            if size.len >= OBJECT_BYTES_PER_RECORD {
                findings.push(format!("/objects/{idx}"), too_large());
            }
        }
        if !findings.0.is_empty() {
            return Err(NodeError::Invalid(findings));
        }
        self.intel_append_objects(user, view.id, objects, sizes, Vec::new())
            .await
    }

    /// Publishes objects one by one, TAXII style: invalid objects and
    /// versions already stored are failures, the rest are added.
    pub async fn intel_add(
        &self,
        user: &User,
        community: CommunityId,
        objects: Vec<Value>,
    ) -> Result<PublishOutcome, NodeError> {
        let mut invalid = commons_intel::validate_objects(&objects);
        let sizes: Vec<records::WireSize> = objects.iter().map(records::wire_size).collect();
        for (idx, size) in sizes.iter().enumerate() {
            if size.len >= OBJECT_BYTES_PER_RECORD {
                invalid.push((
                    idx,
                    vec![commons_stix::Finding::error("", "too-large", too_large())],
                ));
            }
        }
        let mut failures = Vec::new();
        let mut bad: HashSet<usize> = HashSet::new();
        for (idx, problems) in invalid {
            bad.insert(idx);
            let message = problems
                .iter()
                .map(|finding| finding.to_string())
                .collect::<Vec<_>>()
                .join("; ");
            failures.push(PublishFailure {
                index: idx,
                id: objects[idx]
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                version: version_of(&objects[idx]),
                message,
            });
        }
        let ids: Vec<String> = objects
            .iter()
            .filter_map(|object| object.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        let stored =
            views::existing_versions(self.store().pool(), &community.to_hex(), &ids).await?;
        let mut seen = HashSet::new();
        let mut keep = Vec::new();
        let mut keep_sizes = Vec::new();
        for (idx, (object, size)) in objects.into_iter().zip(sizes).enumerate() {
            if bad.contains(&idx) {
                continue;
            }
            let id = object
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let version = version_of(&object);
            let version_ns = version
                .as_deref()
                .and_then(|text| Timestamp::parse(text).ok())
                .map(|ts| version_ns_of(&ts));
            if let Some(version_ns) = version_ns
                && (stored.contains(&(id.clone(), version_ns))
                    || !seen.insert((id.clone(), version_ns)))
            {
                failures.push(PublishFailure {
                    index: idx,
                    id: Some(id),
                    version,
                    message: "this version of the object is already in the collection".into(),
                });
                continue;
            }
            keep.push(object);
            keep_sizes.push(size);
        }
        failures.sort_by_key(|failure| failure.index);
        if keep.is_empty() {
            return Ok(PublishOutcome {
                failures,
                ..PublishOutcome::default()
            });
        }
        self.intel_append_objects(user, community, keep, keep_sizes, failures)
            .await
    }

    /// Signs and appends `objects`, whose wire sizes are `sizes`.
    async fn intel_append_objects(
        &self,
        user: &User,
        community: CommunityId,
        objects: Vec<Value>,
        sizes: Vec<records::WireSize>,
        failures: Vec<PublishFailure>,
    ) -> Result<PublishOutcome, NodeError> {
        if user.disabled {
            return Err(NodeError::Forbidden("this account is disabled".into()));
        }
        let secret = self.user_secret(user).await?;
        let ts = now();
        let added: Vec<(String, String)> = objects
            .iter()
            .map(|object| {
                (
                    object
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    version_of(object).unwrap_or_default(),
                )
            })
            .collect();
        let runs = record_chunks(&sizes);
        let mut wire = objects
            .into_iter()
            .zip(sizes)
            .map(|(object, size)| records::into_wire(object, size));
        let mut signed = Vec::new();
        for run in runs {
            // Moved into the body: `json!` would copy every object.
            let chunk: Vec<Value> = wire.by_ref().take(run).collect();
            let mut body = serde_json::Map::new();
            body.insert("objects".to_owned(), Value::Array(chunk));
            let record = Record {
                kind: Kind::parse(records::PUBLISH).expect("the kind name is valid"),
                community,
                author: user.public_key,
                ts,
                body: Value::Object(body),
                refs: Vec::new(),
            };
            signed.push(
                SignedRecord::sign(record, &secret)
                    .map_err(|e| NodeError::BadInput(e.to_string()))?,
            );
        }
        let entries = self.append(community, signed).await?;
        Ok(PublishOutcome {
            seqs: entries.iter().map(|entry| entry.seq()).collect(),
            added,
            failures,
        })
    }

    /// Checks that `user` may revoke or delete `object_id`, which must exist.
    async fn intel_check_owner(
        &self,
        user: &User,
        view: &CommunityView,
        object_id: &str,
    ) -> Result<(), NodeError> {
        let publishers =
            views::publishers(self.store().pool(), &view.id.to_hex(), object_id).await?;
        if publishers.is_empty() {
            return Err(NodeError::NotFound {
                what: "object",
                name: object_id.to_owned(),
            });
        }
        let moderator = matches!(
            view.role,
            Some(commons_kernel::Role::Moderator | commons_kernel::Role::Admin)
        );
        if !moderator && !publishers.contains(&user.public_key.to_hex()) {
            return Err(NodeError::Forbidden(
                "only its publisher or a moderator may change this object".into(),
            ));
        }
        Ok(())
    }

    /// Revokes an object (a new version with `revoked: true`).
    pub async fn intel_revoke(
        &self,
        user: &User,
        community: &str,
        object_id: &str,
        reason: Option<String>,
    ) -> Result<u64, NodeError> {
        let view = self.community(community, Some(user)).await?;
        self.intel_check_owner(user, &view, object_id).await?;
        let latest = views::latest(self.store().pool(), &view.id.to_hex(), object_id).await?;
        if latest.is_some_and(|row| !row.object.contains("\"modified\"")) {
            return Err(NodeError::BadInput(
                "only objects with a modified property (not cyber-observables) can be revoked"
                    .into(),
            ));
        }
        let body = json!(records::RevokeBody {
            object_id: object_id.to_owned(),
            reason,
        });
        let entry = self
            .submit(user, view.id, records::REVOKE, body, Vec::new())
            .await?;
        Ok(entry.seq())
    }

    /// Reports sightings of an indicator: only its id, a count and a window.
    pub async fn intel_sighting(
        &self,
        user: &User,
        community: &str,
        body: SightingBody,
    ) -> Result<u64, NodeError> {
        let view = self.community(community, Some(user)).await?;
        let entry = self
            .submit(user, view.id, records::SIGHTING, json!(body), Vec::new())
            .await?;
        Ok(entry.seq())
    }

    /// Reports that an indicator matched something benign.
    pub async fn intel_false_positive(
        &self,
        user: &User,
        community: &str,
        indicator: &str,
        reason: Option<String>,
    ) -> Result<u64, NodeError> {
        let view = self.community(community, Some(user)).await?;
        let body = json!(records::FalsePositiveBody {
            indicator: indicator.to_owned(),
            reason,
        });
        let entry = self
            .submit(user, view.id, records::FALSE_POSITIVE, body, Vec::new())
            .await?;
        Ok(entry.seq())
    }

    /// Removes an object, or some of its versions, from the collection (the
    /// log keeps them).
    pub async fn intel_delete(
        &self,
        user: &User,
        community: &str,
        object_id: &str,
        versions: Option<Vec<String>>,
    ) -> Result<u64, NodeError> {
        let view = self.community(community, Some(user)).await?;
        Identifier::parse(object_id).map_err(|e| NodeError::BadInput(e.to_string()))?;
        self.intel_check_owner(user, &view, object_id).await?;
        let body = json!(records::DeleteBody {
            object_id: object_id.to_owned(),
            versions,
        });
        let entry = self
            .submit(user, view.id, records::DELETE, body, Vec::new())
            .await?;
        Ok(entry.seq())
    }

    /// Changes the community's confidence model (admins).
    pub async fn intel_set_settings(
        &self,
        user: &User,
        community: &str,
        settings: SettingsBody,
    ) -> Result<ConfidenceModel, NodeError> {
        let view = self.community(community, Some(user)).await?;
        self.submit(
            user,
            view.id,
            records::SETTINGS,
            json!(settings),
            Vec::new(),
        )
        .await?;
        Ok(views::model(self.store().pool(), &view.id.to_hex()).await?)
    }

    /// The community's confidence model.
    pub async fn intel_settings(
        &self,
        viewer: Option<&User>,
        community: &str,
    ) -> Result<ConfidenceModel, NodeError> {
        let view = self.community(community, viewer).await?;
        Ok(views::model(self.store().pool(), &view.id.to_hex()).await?)
    }

    /// The feed of a community the viewer may see, scored now.
    pub async fn intel_feed(
        &self,
        viewer: Option<&User>,
        community: &str,
        query: &FeedQuery,
    ) -> Result<(Vec<FeedItem>, Option<i64>), NodeError> {
        let view = self.community(community, viewer).await?;
        let now_s = now().0.div_euclid(1000);
        Ok(views::feed(self.store().pool(), &view.id.to_hex(), query, now_s).await?)
    }

    /// A TAXII page of object versions.
    pub async fn intel_objects(
        &self,
        viewer: Option<&User>,
        community: &str,
        query: &ObjectsQuery,
    ) -> Result<ObjectsPage, NodeError> {
        let view = self.community(community, viewer).await?;
        Ok(views::objects(self.store().pool(), &view.id.to_hex(), query).await?)
    }

    /// One indicator with its history, scored now.
    pub async fn intel_indicator(
        &self,
        viewer: Option<&User>,
        community: &str,
        object_id: &str,
    ) -> Result<IndicatorDetail, NodeError> {
        let view = self.community(community, viewer).await?;
        let now_s = now().0.div_euclid(1000);
        views::indicator(self.store().pool(), &view.id.to_hex(), object_id, now_s)
            .await?
            .ok_or_else(|| NodeError::NotFound {
                what: "indicator",
                name: object_id.to_owned(),
            })
    }

    /// The active indicators of one community, or of every community `user`
    /// belongs to when `community` is `None`, as a STIX bundle: what
    /// `commons intel scan --community` matches against. Each indicator's
    /// `confidence` is its score now.
    pub async fn intel_active_bundle(
        &self,
        user: &User,
        community: Option<&str>,
    ) -> Result<Value, NodeError> {
        let views: Vec<CommunityView> = match community {
            Some(community) => vec![self.community(community, Some(user)).await?],
            None => self
                .communities(Some(user))
                .await?
                .into_iter()
                .filter(|view| view.role.is_some())
                .collect(),
        };
        let now_s = now().0.div_euclid(1000);
        let mut objects = Vec::new();
        for view in views {
            for (mut object, score) in
                views::active_indicators(self.store().pool(), &view.id.to_hex(), now_s).await?
            {
                object["confidence"] = json!(score.confidence);
                objects.push(object);
            }
        }
        let id = Identifier::from_random_bytes("bundle", rand::random())
            .expect("bundle is a valid type name");
        Ok(json!({ "type": "bundle", "id": id.to_string(), "objects": objects }))
    }

    /// Stores a TAXII status resource.
    pub async fn intel_save_status(
        &self,
        status_id: &str,
        community: CommunityId,
        status: &Value,
    ) -> Result<(), NodeError> {
        Ok(views::save_status(
            self.store(),
            status_id,
            &community.to_hex(),
            now().0,
            status,
        )
        .await?)
    }

    /// A TAXII status resource, if the viewer may see its community.
    pub async fn intel_status(
        &self,
        viewer: Option<&User>,
        status_id: &str,
    ) -> Result<Value, NodeError> {
        let not_found = || NodeError::NotFound {
            what: "status",
            name: status_id.to_owned(),
        };
        let (community, status) = views::load_status(self.store().pool(), status_id)
            .await?
            .ok_or_else(not_found)?;
        self.community(&community, viewer)
            .await
            .map_err(|_| not_found())?;
        Ok(status)
    }
}

/// `date_added` in µs of a STIX timestamp given as `added_after`.
pub fn added_after_us(text: &str) -> Result<i64, NodeError> {
    Timestamp::parse(text)
        .map(|ts| us_of(&ts))
        .map_err(|e| NodeError::BadInput(format!("added_after: {e}")))
}

/// A STIX timestamp as ns since the epoch, for `match[version]`.
pub fn version_ns(text: &str) -> Result<i64, NodeError> {
    Timestamp::parse(text)
        .map(|ts| version_ns_of(&ts))
        .map_err(|e| NodeError::BadInput(format!("match[version]: {e}")))
}
