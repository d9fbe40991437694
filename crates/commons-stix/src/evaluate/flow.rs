//! Can every slot get its demand from observations it may use, with no
//! observation used more often than it was seen? A bipartite b-matching,
//! solved as a maximum flow (Dinic's algorithm), after a greedy attempt
//! that settles the common easy cases without building the graph.

/// A request for `demand` observation instances among `eligible` ones.
pub(super) struct Demand<'a> {
    pub(super) demand: u64,
    /// Observation indexes this slot may use.
    pub(super) eligible: &'a [u32],
}

/// How many instances of each observation each slot got, when all demands
/// can be met: `result[slot]` lists `(observation, count)`.
pub(super) type Assignment = Vec<Vec<(u32, u64)>>;

/// Meets every demand within `capacity[observation]`, or returns `None`.
pub(super) fn assign(demands: &[Demand<'_>], capacity: &[u64]) -> Option<Assignment> {
    let total: u64 = demands
        .iter()
        .map(|it| it.demand)
        .fold(0, u64::saturating_add);
    let supply: u64 = capacity.iter().fold(0, |acc, it| acc.saturating_add(*it));
    if total > supply {
        return None;
    }
    greedy(demands, capacity).or_else(|| max_flow(demands, capacity))
}

/// Serves the most constrained slots first from their first eligible
/// observations; a success is a valid assignment, a failure proves nothing.
fn greedy(demands: &[Demand<'_>], capacity: &[u64]) -> Option<Assignment> {
    let mut order: Vec<usize> = (0..demands.len()).collect();
    order.sort_by_key(|idx| demands[*idx].eligible.len());
    let mut left = capacity.to_vec();
    let mut result = vec![Vec::new(); demands.len()];
    for idx in order {
        let mut needed = demands[idx].demand;
        for &observation in demands[idx].eligible {
            if needed == 0 {
                break;
            }
            let available = &mut left[observation as usize];
            let take = needed.min(*available);
            if take > 0 {
                *available -= take;
                needed -= take;
                result[idx].push((observation, take));
            }
        }
        if needed > 0 {
            return None;
        }
    }
    Some(result)
}

struct Edge {
    to: usize,
    capacity: u64,
}

/// Dinic's maximum flow on source → slots → observations → sink.
fn max_flow(demands: &[Demand<'_>], capacity: &[u64]) -> Option<Assignment> {
    // Only observations some slot may use become nodes.
    let mut node_of = vec![usize::MAX; capacity.len()];
    let mut observations = Vec::new();
    for demand in demands {
        for &observation in demand.eligible {
            if node_of[observation as usize] == usize::MAX {
                node_of[observation as usize] = 1 + demands.len() + observations.len();
                observations.push(observation);
            }
        }
    }
    let source = 0;
    let sink = 1 + demands.len() + observations.len();
    let mut graph = Graph {
        edges: Vec::new(),
        adjacency: vec![Vec::new(); sink + 1],
    };
    let mut slot_edges = Vec::new();
    for (idx, demand) in demands.iter().enumerate() {
        graph.add(source, 1 + idx, demand.demand);
        let mut edges = Vec::new();
        for &observation in demand.eligible {
            edges.push((
                observation,
                graph.add(1 + idx, node_of[observation as usize], u64::MAX),
            ));
        }
        slot_edges.push(edges);
    }
    for &observation in &observations {
        graph.add(
            node_of[observation as usize],
            sink,
            capacity[observation as usize],
        );
    }
    let total: u64 = demands
        .iter()
        .map(|it| it.demand)
        .fold(0, u64::saturating_add);
    if graph.dinic(source, sink, total) < total {
        return None;
    }
    Some(
        slot_edges
            .into_iter()
            .map(|edges| {
                edges
                    .into_iter()
                    .filter_map(|(observation, edge)| {
                        // The reverse edge's capacity is the flow sent.
                        let flow = graph.edges[edge ^ 1].capacity;
                        (flow > 0).then_some((observation, flow))
                    })
                    .collect()
            })
            .collect(),
    )
}

struct Graph {
    edges: Vec<Edge>,
    adjacency: Vec<Vec<usize>>,
}

impl Graph {
    /// Adds an edge and its reverse; returns the forward edge's index.
    fn add(&mut self, from: usize, to: usize, capacity: u64) -> usize {
        let idx = self.edges.len();
        self.edges.push(Edge { to, capacity });
        self.edges.push(Edge {
            to: from,
            capacity: 0,
        });
        self.adjacency[from].push(idx);
        self.adjacency[to].push(idx + 1);
        idx
    }

    fn dinic(&mut self, source: usize, sink: usize, wanted: u64) -> u64 {
        let mut flow = 0u64;
        while flow < wanted {
            let Some(level) = self.levels(source, sink) else {
                break;
            };
            let mut next = vec![0usize; self.adjacency.len()];
            loop {
                let pushed = self.push(source, sink, wanted - flow, &level, &mut next);
                if pushed == 0 {
                    break;
                }
                flow = flow.saturating_add(pushed);
            }
        }
        flow
    }

    /// Breadth-first distances from the source over edges with capacity,
    /// or `None` when the sink is unreachable.
    fn levels(&self, source: usize, sink: usize) -> Option<Vec<u32>> {
        let mut level = vec![u32::MAX; self.adjacency.len()];
        level[source] = 0;
        let mut queue = std::collections::VecDeque::from([source]);
        while let Some(node) = queue.pop_front() {
            for &edge in &self.adjacency[node] {
                let Edge { to, capacity } = self.edges[edge];
                if capacity > 0 && level[to] == u32::MAX {
                    level[to] = level[node] + 1;
                    queue.push_back(to);
                }
            }
        }
        (level[sink] != u32::MAX).then_some(level)
    }

    /// One augmenting path along increasing levels (iterative, so deep
    /// graphs cannot exhaust the stack; paths here have four nodes anyway).
    fn push(
        &mut self,
        source: usize,
        sink: usize,
        limit: u64,
        level: &[u32],
        next: &mut [usize],
    ) -> u64 {
        let mut path: Vec<usize> = Vec::new();
        let mut node = source;
        loop {
            if node == sink {
                let amount = path
                    .iter()
                    .map(|edge| self.edges[*edge].capacity)
                    .fold(limit, u64::min);
                for &edge in &path {
                    self.edges[edge].capacity -= amount;
                    let reverse = &mut self.edges[edge ^ 1].capacity;
                    *reverse = reverse.saturating_add(amount);
                }
                return amount;
            }
            let mut advanced = false;
            while next[node] < self.adjacency[node].len() {
                let edge = self.adjacency[node][next[node]];
                let Edge { to, capacity } = self.edges[edge];
                if capacity > 0 && level[to] == level[node] + 1 {
                    path.push(edge);
                    node = to;
                    advanced = true;
                    break;
                }
                next[node] += 1;
            }
            if !advanced {
                // Dead end: retreat and skip the edge that led here.
                let Some(edge) = path.pop() else {
                    return 0;
                };
                node = self.edges[edge ^ 1].to;
                next[node] += 1;
            }
        }
    }
}
