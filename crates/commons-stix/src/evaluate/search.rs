//! Binding observations to a pattern's observation expressions without
//! enumerating bindings.
//!
//! The reference matcher enumerates every binding, which is factorial in
//! the number of `AND`ed expressions. Here every temporal constraint becomes
//! a bound on single observations, chosen by a witness:
//!
//! - `WITHIN d` holds for a set of observations iff, with `T` the earliest
//!   `last_observed` among them, each has `last_observed ≥ T` and
//!   `first_observed ≤ T + d`; so try each `last_observed` value as `T`.
//! - `A FOLLOWEDBY B` holds iff some `T` has every observation of `A` with
//!   `first_observed ≤ T` and every one of `B` with `last_observed ≥ T`; so
//!   try each `first_observed` value as `T` (chains pass `T` along).
//! - `START s STOP t` admits observations with `last ≥ s` and `first < t`.
//! - `OR` picks a branch; `REPEATS n` of one expression is a demand of n.
//!
//! Once those choices are made, what remains is whether each leaf (each
//! `[…]`) can get its demand from distinct observation instances it
//! matches and whose times fit its bounds: a bipartite b-matching, solved
//! exactly by a max flow in polynomial time. The search over choices is a
//! depth-first search that runs the same flow on a relaxation (pending
//! choices contribute what they will need for sure) before each decision,
//! decides the most constrained choice first, skips anchors whose window
//! admits a subset of a neighbour's, and breaks the symmetry between the
//! copies of a repeated compound expression. A pattern of `AND`s,
//! `REPEATS` and qualifiers over single observations is therefore one flow
//! per anchor; only nested choices multiply, and a step budget bounds those.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::flow::{self, Demand};

/// An observation expression with the pattern's qualifiers folded in.
#[derive(Debug, Clone)]
pub(super) enum Plan {
    /// The leaf with this index (one `[…]`).
    Leaf(usize),
    And(Vec<Plan>),
    Or(Vec<Plan>),
    FollowedBy(Vec<Plan>),
    /// The duration in nanoseconds.
    Within(Box<Plan>, i128),
    Repeat(Box<Plan>, u64),
    /// Start (inclusive) and stop (exclusive), nanoseconds since the epoch.
    StartStop(Box<Plan>, i128, i128),
}

/// Bounds on the observations a leaf may bind: `first_observed ≤ first_max`
/// and `last_observed ≥ last_min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Filter {
    first_max: i128,
    last_min: i128,
}

impl Filter {
    const ALL: Filter = Filter {
        first_max: i128::MAX,
        last_min: i128::MIN,
    };

    fn and(self, other: Filter) -> Filter {
        Filter {
            first_max: self.first_max.min(other.first_max),
            last_min: self.last_min.max(other.last_min),
        }
    }

    fn first_at_most(self, bound: i128) -> Filter {
        self.and(Filter {
            first_max: bound,
            last_min: i128::MIN,
        })
    }

    fn last_at_least(self, bound: i128) -> Filter {
        self.and(Filter {
            first_max: i128::MAX,
            last_min: bound,
        })
    }
}

/// The observations, reduced to what binding needs.
pub(super) struct Problem {
    pub(super) first: Vec<i128>,
    pub(super) last: Vec<i128>,
    pub(super) capacity: Vec<u64>,
    /// For each leaf, the observations it matches, ascending.
    pub(super) candidates: Vec<Vec<u32>>,
}

/// For each leaf occurrence: the leaf and the `(observation, count)`
/// instances bound to it.
pub(super) type Binding = Vec<(usize, Vec<(u32, u64)>)>;

/// What the search found.
pub(super) enum Outcome {
    /// A binding that satisfies the pattern.
    Matched(Binding),
    NoMatch,
    /// The step budget ran out first.
    Exhausted,
}

/// Most copies a compound `REPEATS` may expand to, and most choices a
/// search may create; beyond them the search gives up as exhausted.
const MAX_BRANCHES: usize = 1_024;

/// Up to how many candidate observations `WITHIN` windows are pruned.
const PRUNE_WINDOWS_UP_TO: usize = 2_000;

/// Searches for a binding of `plan`, with at most `max_steps` decisions.
pub(super) fn search(problem: &Problem, plan: &Plan, max_steps: u64) -> Outcome {
    let mut searcher = Searcher {
        problem,
        steps: 0,
        max_steps,
        branches_created: 0,
        next_group: 0,
        exhausted: false,
        windows: RefCell::default(),
    };
    let mut state = State::default();
    let expanded = searcher.expand(plan, Filter::ALL, &mut state, &mut None);
    let found = if expanded {
        searcher.solve(state)
    } else {
        None
    };
    match found {
        Some(binding) => Outcome::Matched(binding),
        None if searcher.exhausted => Outcome::Exhausted,
        None => Outcome::NoMatch,
    }
}

/// A leaf that must bind `demand` instances within `filter`.
#[derive(Debug, Clone, Copy)]
struct Slot {
    leaf: usize,
    demand: u64,
    filter: Filter,
}

/// Identifies copy `copy` of the compound expression repeated as `group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CopyTag {
    group: u32,
    copy: u32,
}

/// A choice still to make.
#[derive(Debug, Clone)]
struct Branch<'p> {
    kind: BranchKind<'p>,
    filter: Filter,
    /// Set on the first choice of each copy of a repeated expression: copy
    /// k may not pick an earlier option than copy k-1 did.
    copy: Option<CopyTag>,
}

#[derive(Debug, Clone)]
enum BranchKind<'p> {
    Or(&'p [Plan]),
    Within(&'p Plan, i128),
    /// The remaining groups of a `FOLLOWEDBY` chain; every observation of
    /// them has `last_observed ≥ lower`.
    FollowedBy {
        groups: &'p [Plan],
        lower: Option<i128>,
    },
}

/// One way to make a choice.
enum Choice<'p> {
    Plan(&'p Plan, Filter),
    /// A `FOLLOWEDBY` threshold: `first` binds under `first_filter`, the
    /// rest of the chain after `threshold`.
    Threshold {
        first: &'p Plan,
        first_filter: Filter,
        rest: &'p [Plan],
        threshold: i128,
        filter: Filter,
    },
}

#[derive(Debug, Clone, Default)]
struct State<'p> {
    slots: Vec<Slot>,
    pending: Vec<Branch<'p>>,
    decided: Vec<(CopyTag, usize)>,
}

/// A `WITHIN` node (by address), its duration and its outer bounds.
type WindowKey = (usize, i128, Filter);

struct Searcher<'a> {
    problem: &'a Problem,
    steps: u64,
    max_steps: u64,
    branches_created: usize,
    next_group: u32,
    exhausted: bool,
    /// Viable windows by (plan node address, duration, outer bounds):
    /// copies of a repeated expression ask for the same ones.
    windows: RefCell<HashMap<WindowKey, Rc<[Filter]>>>,
}

impl<'a> Searcher<'a> {
    /// Adds what `plan` needs under `filter` to `state`; `false` when it can
    /// never be satisfied. `copy` tags the first choice created.
    fn expand<'p>(
        &mut self,
        plan: &'p Plan,
        filter: Filter,
        state: &mut State<'p>,
        copy: &mut Option<CopyTag>,
    ) -> bool {
        if let Some((leaf, demand, filter)) = single_leaf(plan, filter) {
            state.slots.push(Slot {
                leaf,
                demand,
                filter,
            });
            return true;
        }
        match plan {
            Plan::Leaf(leaf) => {
                state.slots.push(Slot {
                    leaf: *leaf,
                    demand: 1,
                    filter,
                });
                true
            }
            Plan::And(items) => items
                .iter()
                .all(|item| self.expand(item, filter, state, copy)),
            Plan::StartStop(child, start, stop) => {
                start < stop && self.expand(child, start_stop(filter, *start, *stop), state, copy)
            }
            Plan::Repeat(child, count) => {
                let needed = count.saturating_mul(min_size(child));
                let supply = self
                    .problem
                    .capacity
                    .iter()
                    .fold(0u64, |acc, it| acc.saturating_add(*it));
                if needed > supply {
                    return false;
                }
                let Ok(count) = u32::try_from(*count) else {
                    self.exhausted = true;
                    return false;
                };
                if self.branches_created + count as usize > MAX_BRANCHES {
                    self.exhausted = true;
                    return false;
                }
                let group = self.next_group;
                self.next_group += 1;
                (0..count).all(|copy_idx| {
                    let mut tag = Some(CopyTag {
                        group,
                        copy: copy_idx,
                    });
                    self.expand(child, filter, state, &mut tag)
                })
            }
            Plan::Within(child, _) if max_size(child) <= 1 => {
                self.expand(child, filter, state, copy)
            }
            Plan::Within(child, duration) => {
                self.branch(BranchKind::Within(child, *duration), filter, state, copy)
            }
            Plan::Or(items) => self.branch(BranchKind::Or(items), filter, state, copy),
            Plan::FollowedBy(groups) => self.branch(
                BranchKind::FollowedBy {
                    groups,
                    lower: None,
                },
                filter,
                state,
                copy,
            ),
        }
    }

    fn branch<'p>(
        &mut self,
        kind: BranchKind<'p>,
        filter: Filter,
        state: &mut State<'p>,
        copy: &mut Option<CopyTag>,
    ) -> bool {
        self.branches_created += 1;
        if self.branches_created > MAX_BRANCHES {
            self.exhausted = true;
            return false;
        }
        state.pending.push(Branch {
            kind,
            filter,
            copy: copy.take(),
        });
        true
    }

    /// Depth-first search over the pending choices.
    fn solve<'p>(&mut self, state: State<'p>) -> Option<Binding> {
        self.steps += 1;
        if self.steps > self.max_steps {
            self.exhausted = true;
            return None;
        }
        let mut relaxed = state.slots.clone();
        for branch in &state.pending {
            self.relax_branch(branch, &state.decided, &mut relaxed);
        }
        let assignment = self.assign(&relaxed)?;
        if state.pending.is_empty() {
            return Some(
                merged(&state.slots)
                    .into_iter()
                    .map(|slot| slot.leaf)
                    .zip(assignment)
                    .collect(),
            );
        }
        let (branch_idx, first_option, choices) = self.most_constrained(&state).ok()?;
        for (option_idx, choice) in choices.into_iter().enumerate().skip(first_option) {
            let mut next = state.clone();
            let branch = next.pending.remove(branch_idx);
            if let Some(tag) = branch.copy {
                next.decided.push((tag, option_idx));
            }
            if self.apply(choice, &mut next)
                && let Some(found) = self.solve(next)
            {
                return Some(found);
            }
            if self.exhausted {
                return None;
            }
        }
        None
    }

    /// The pending choice with the fewest options among those that may be
    /// decided now, with the first option it may take; `Err` when one has
    /// no options left, so the state cannot succeed.
    #[allow(clippy::type_complexity)]
    fn most_constrained<'p>(
        &self,
        state: &State<'p>,
    ) -> Result<(usize, usize, Vec<Choice<'p>>), ()> {
        let mut best: Option<(usize, usize, Vec<Choice<'p>>)> = None;
        for (idx, branch) in state.pending.iter().enumerate() {
            let first_option = match branch.copy {
                Some(CopyTag { copy: 0, .. }) | None => 0,
                Some(tag) => {
                    let previous = CopyTag {
                        group: tag.group,
                        copy: tag.copy - 1,
                    };
                    match state.decided.iter().find(|(it, _)| *it == previous) {
                        Some((_, option)) => *option,
                        // Copy k-1 decides first.
                        None => continue,
                    }
                }
            };
            let choices = self.choices(branch);
            let count = choices.len().saturating_sub(first_option);
            if count == 0 {
                return Err(());
            }
            if best
                .as_ref()
                .is_none_or(|(_, first, best)| count < best.len() - first)
            {
                best = Some((idx, first_option, choices));
            }
        }
        // Every copy's first choice waits for its predecessor, so copy 0 is
        // always ready; deciding the first pending choice unconstrained is
        // still correct should that ever not hold.
        Ok(best.unwrap_or_else(|| (0, 0, self.choices(&state.pending[0]))))
    }

    /// Adds what `branch` will need whichever way it is decided (sound,
    /// not exact: `OR` contributes nothing). A `WITHIN` binds inside one of
    /// its viable windows, and a copy of a repeated one inside a window no
    /// earlier than its predecessors' (options are in anchor order), so it
    /// needs its leaves within the hull of those windows.
    fn relax_branch(&self, branch: &Branch<'_>, decided: &[(CopyTag, usize)], out: &mut Vec<Slot>) {
        match &branch.kind {
            BranchKind::Or(_) => {}
            BranchKind::Within(child, duration) => {
                let windows = self.viable_windows(child, *duration, branch.filter);
                let earliest = branch.copy.and_then(|tag| {
                    decided
                        .iter()
                        .filter(|(it, _)| it.group == tag.group && it.copy < tag.copy)
                        .map(|(_, option)| *option)
                        .max()
                });
                let usable = &windows[earliest.unwrap_or(0).min(windows.len())..];
                let hull = usable.iter().fold(None, |hull: Option<Filter>, window| {
                    Some(match hull {
                        None => *window,
                        Some(hull) => Filter {
                            first_max: hull.first_max.max(window.first_max),
                            last_min: hull.last_min.min(window.last_min),
                        },
                    })
                });
                match hull {
                    Some(hull) => relax(child, hull, 1, out),
                    // No window left: demand what nothing can supply.
                    None => out.push(Slot {
                        leaf: 0,
                        demand: 1,
                        filter: Filter {
                            first_max: i128::MIN,
                            last_min: i128::MAX,
                        },
                    }),
                }
            }
            BranchKind::FollowedBy { groups, lower } => {
                let filter = match lower {
                    Some(lower) => branch.filter.last_at_least(*lower),
                    None => branch.filter,
                };
                for group in *groups {
                    relax(group, filter, 1, out);
                }
            }
        }
    }

    /// The ways to make `branch`, in a fixed order.
    fn choices<'p>(&self, branch: &Branch<'p>) -> Vec<Choice<'p>> {
        match &branch.kind {
            BranchKind::Or(items) => items
                .iter()
                .map(|item| Choice::Plan(item, branch.filter))
                .collect(),
            BranchKind::Within(child, duration) => self
                .viable_windows(child, *duration, branch.filter)
                .iter()
                .map(|window| Choice::Plan(child, *window))
                .collect(),
            BranchKind::FollowedBy { groups, lower } => {
                let Some((first, rest)) = groups.split_first() else {
                    return Vec::new();
                };
                let first_filter = match lower {
                    Some(lower) => branch.filter.last_at_least(*lower),
                    None => branch.filter,
                };
                let mut thresholds: Vec<i128> = self
                    .eligible_under(first, first_filter)
                    .into_iter()
                    .map(|idx| {
                        let first_observed = self.problem.first[idx as usize];
                        lower.map_or(first_observed, |lower| first_observed.max(lower))
                    })
                    .collect();
                thresholds.sort_unstable();
                thresholds.dedup();
                thresholds
                    .into_iter()
                    .map(|threshold| Choice::Threshold {
                        first,
                        first_filter: first_filter.first_at_most(threshold),
                        rest,
                        threshold,
                        filter: branch.filter,
                    })
                    .collect()
            }
        }
    }

    /// The windows of [`Searcher::anchors`] in which `child` could be bound
    /// alone (its relaxation fits), ascending by anchor; cached.
    fn viable_windows(&self, child: &Plan, duration: i128, filter: Filter) -> Rc<[Filter]> {
        let key = (std::ptr::from_ref(child) as usize, duration, filter);
        if let Some(found) = self.windows.borrow().get(&key) {
            return Rc::clone(found);
        }
        let viable: Rc<[Filter]> = self
            .anchors(child, duration, filter)
            .into_iter()
            .filter(|window| {
                let mut slots = Vec::new();
                relax(child, *window, 1, &mut slots);
                self.assign(&slots).is_some()
            })
            .collect();
        self.windows.borrow_mut().insert(key, Rc::clone(&viable));
        viable
    }

    /// The windows worth trying for `WITHIN duration` over `child`: one per
    /// distinct `last_observed` of an eligible observation, minus windows
    /// admitting a subset of what a neighbouring window admits.
    fn anchors(&self, child: &Plan, duration: i128, filter: Filter) -> Vec<Filter> {
        let eligible = self.eligible_under(child, filter);
        let mut starts: Vec<i128> = eligible
            .iter()
            .map(|idx| self.problem.last[*idx as usize])
            .collect();
        starts.sort_unstable();
        starts.dedup();
        let windows = starts.into_iter().map(|anchor| {
            filter.and(Filter {
                first_max: anchor.saturating_add(duration),
                last_min: anchor,
            })
        });
        // Pruning costs a pass over the candidates per window; past a few
        // thousand candidates trying every window is cheaper.
        if eligible.len() > PRUNE_WINDOWS_UP_TO {
            return windows.collect();
        }
        let windows: Vec<(Filter, Vec<u32>)> = windows
            .map(|window| {
                let admitted = eligible
                    .iter()
                    .copied()
                    .filter(|idx| self.admits(window, *idx))
                    .collect();
                (window, admitted)
            })
            .collect();
        let mut kept = Vec::new();
        for (idx, (window, admitted)) in windows.iter().enumerate() {
            let dominated_by_previous = idx > 0 && is_subset(admitted, &windows[idx - 1].1);
            let dominated_by_next = windows
                .get(idx + 1)
                .is_some_and(|(_, next)| is_subset(admitted, next) && admitted != next);
            if !admitted.is_empty() && !dominated_by_previous && !dominated_by_next {
                kept.push(*window);
            }
        }
        kept
    }

    /// Observations some leaf of `plan` matches and `filter` admits,
    /// ascending.
    fn eligible_under(&self, plan: &Plan, filter: Filter) -> Vec<u32> {
        let mut leaves = Vec::new();
        collect_leaves(plan, &mut leaves);
        let mut eligible: Vec<u32> = leaves
            .into_iter()
            .flat_map(|leaf| self.problem.candidates[leaf].iter().copied())
            .filter(|idx| self.admits(filter, *idx))
            .collect();
        eligible.sort_unstable();
        eligible.dedup();
        eligible
    }

    fn admits(&self, filter: Filter, idx: u32) -> bool {
        self.problem.first[idx as usize] <= filter.first_max
            && self.problem.last[idx as usize] >= filter.last_min
    }

    /// Carries out `choice` on `state`; `false` when it cannot succeed.
    fn apply<'p>(&mut self, choice: Choice<'p>, state: &mut State<'p>) -> bool {
        match choice {
            Choice::Plan(plan, filter) => self.expand(plan, filter, state, &mut None),
            Choice::Threshold {
                first,
                first_filter,
                rest,
                threshold,
                filter,
            } => {
                if !self.expand(first, first_filter, state, &mut None) {
                    return false;
                }
                match rest {
                    [last] => self.expand(last, filter.last_at_least(threshold), state, &mut None),
                    _ => self.branch(
                        BranchKind::FollowedBy {
                            groups: rest,
                            lower: Some(threshold),
                        },
                        filter,
                        state,
                        &mut None,
                    ),
                }
            }
        }
    }

    /// Meets every slot's demand, or `None`.
    fn assign(&self, slots: &[Slot]) -> Option<flow::Assignment> {
        let slots = merged(slots);
        let eligible: Vec<Vec<u32>> = slots
            .iter()
            .map(|slot| {
                self.problem.candidates[slot.leaf]
                    .iter()
                    .copied()
                    .filter(|idx| self.admits(slot.filter, *idx))
                    .collect()
            })
            .collect();
        let demands: Vec<Demand<'_>> = slots
            .iter()
            .zip(&eligible)
            .map(|(slot, eligible)| Demand {
                demand: slot.demand,
                eligible,
            })
            .collect();
        flow::assign(&demands, &self.problem.capacity)
    }
}

/// Slots with the same leaf and bounds, combined (copies of a repeated
/// expression become one slot with their total demand).
fn merged(slots: &[Slot]) -> Vec<Slot> {
    let mut sorted = slots.to_vec();
    sorted.sort_by_key(|slot| (slot.leaf, slot.filter));
    let mut result: Vec<Slot> = Vec::with_capacity(sorted.len());
    for slot in sorted {
        match result.last_mut() {
            Some(last) if last.leaf == slot.leaf && last.filter == slot.filter => {
                last.demand = last.demand.saturating_add(slot.demand);
            }
            _ => result.push(slot),
        }
    }
    result
}

fn relax(plan: &Plan, filter: Filter, times: u64, out: &mut Vec<Slot>) {
    match plan {
        Plan::Leaf(leaf) => out.push(Slot {
            leaf: *leaf,
            demand: times,
            filter,
        }),
        Plan::And(items) | Plan::FollowedBy(items) => {
            for item in items {
                relax(item, filter, times, out);
            }
        }
        Plan::Or(_) => {}
        Plan::Within(child, _) => relax(child, filter, times, out),
        Plan::Repeat(child, count) => relax(child, filter, times.saturating_mul(*count), out),
        Plan::StartStop(child, start, stop) => {
            relax(child, start_stop(filter, *start, *stop), times, out)
        }
    }
}

fn start_stop(filter: Filter, start: i128, stop: i128) -> Filter {
    filter.and(Filter {
        first_max: stop - 1,
        last_min: start,
    })
}

/// When `plan` is one leaf bound some number of times with no choice to
/// make, that leaf, the number, and its bounds.
fn single_leaf(plan: &Plan, filter: Filter) -> Option<(usize, u64, Filter)> {
    match plan {
        Plan::Leaf(leaf) => Some((*leaf, 1, filter)),
        Plan::Repeat(child, count) => {
            let (leaf, demand, filter) = single_leaf(child, filter)?;
            Some((leaf, demand.saturating_mul(*count), filter))
        }
        // One observation is always within any window of itself.
        Plan::Within(child, _) => single_leaf(child, filter).filter(|(_, demand, _)| *demand == 1),
        Plan::StartStop(child, start, stop) if start < stop => {
            single_leaf(child, start_stop(filter, *start, *stop))
        }
        _ => None,
    }
}

/// The fewest observation instances a binding of `plan` uses.
fn min_size(plan: &Plan) -> u64 {
    match plan {
        Plan::Leaf(_) => 1,
        Plan::And(items) | Plan::FollowedBy(items) => {
            items.iter().map(min_size).fold(0, u64::saturating_add)
        }
        Plan::Or(items) => items.iter().map(min_size).min().unwrap_or(0),
        Plan::Within(child, _) | Plan::StartStop(child, _, _) => min_size(child),
        Plan::Repeat(child, count) => min_size(child).saturating_mul(*count),
    }
}

/// The most observation instances a binding of `plan` uses.
fn max_size(plan: &Plan) -> u64 {
    match plan {
        Plan::Leaf(_) => 1,
        Plan::And(items) | Plan::FollowedBy(items) => {
            items.iter().map(max_size).fold(0, u64::saturating_add)
        }
        Plan::Or(items) => items.iter().map(max_size).max().unwrap_or(0),
        Plan::Within(child, _) | Plan::StartStop(child, _, _) => max_size(child),
        Plan::Repeat(child, count) => max_size(child).saturating_mul(*count),
    }
}

fn collect_leaves(plan: &Plan, out: &mut Vec<usize>) {
    match plan {
        Plan::Leaf(leaf) => {
            if !out.contains(leaf) {
                out.push(*leaf);
            }
        }
        Plan::And(items) | Plan::Or(items) | Plan::FollowedBy(items) => {
            for item in items {
                collect_leaves(item, out);
            }
        }
        Plan::Within(child, _) | Plan::Repeat(child, _) | Plan::StartStop(child, _, _) => {
            collect_leaves(child, out)
        }
    }
}

/// Whether ascending `small` is a subset of ascending `large`.
fn is_subset(small: &[u32], large: &[u32]) -> bool {
    let mut large = large.iter().peekable();
    small.iter().all(|item| {
        while large.peek().is_some_and(|it| *it < item) {
            large.next();
        }
        large.next_if_eq(&item).is_some()
    })
}
