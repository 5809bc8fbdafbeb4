//! The attack graph: principals, computers and directory objects as nodes; every way one can
//! gain control of another as a directed edge (`A → B`: who holds A can take B). Shortest
//! paths run breadth-first backwards from the targets, once for all sources, so "every
//! account to Domain Admins" costs one traversal of the graph, not one per account.
//!
//! Edge names are BloodHound's, so paths read the same in both tools.

use crate::model::{dn_key, rid, Directory, LocalRightKind};
use crate::sd::{ObjectKind, Right};
use crate::sensitive::SensitiveSet;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Object(ObjectKind),
    /// A SID that the snapshot has no object for (well-known principals, other domains).
    ForeignPrincipal,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub kind: NodeKind,
    /// sAMAccountName, domain DNS name, or the object's name; a well-known SID's name.
    pub name: String,
    pub domain: String,
    pub dn: Option<String>,
    pub sid: Option<String>,
}

/// Why one node controls another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EdgeKind {
    MemberOf,
    AdminTo,
    /// Computer → user: whoever controls the computer can take the user's credentials.
    HasSession,
    CanRDP,
    CanPSRemote,
    ExecuteDCOM,
    Acl(Right),
    /// GetChanges and GetChangesAll on the domain object (directly or through groups).
    DCSync,
    AllowedToDelegate,
    AllowedToAct,
    HasSIDHistory,
    GPLink,
    Contains,
}

impl EdgeKind {
    pub fn name(self) -> &'static str {
        match self {
            EdgeKind::MemberOf => "MemberOf",
            EdgeKind::AdminTo => "AdminTo",
            EdgeKind::HasSession => "HasSession",
            EdgeKind::CanRDP => "CanRDP",
            EdgeKind::CanPSRemote => "CanPSRemote",
            EdgeKind::ExecuteDCOM => "ExecuteDCOM",
            EdgeKind::Acl(r) => r.name(),
            EdgeKind::DCSync => "DCSync",
            EdgeKind::AllowedToDelegate => "AllowedToDelegate",
            EdgeKind::AllowedToAct => "AllowedToAct",
            EdgeKind::HasSIDHistory => "HasSIDHistory",
            EdgeKind::GPLink => "GPLink",
            EdgeKind::Contains => "Contains",
        }
    }
}

impl fmt::Display for EdgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// SIDs that name no principal of their own: they stand for the object an ACE sits on
/// (PRINCIPAL_SELF) or for the creator of a child (CREATOR OWNER/GROUP), never for an attacker.
const PLACEHOLDER_SIDS: &[&str] = &["S-1-5-10", "S-1-3-0", "S-1-3-1", "S-1-3-4"];

/// Groups every authenticated account is in without a `member` value.
const IMPLICIT_GROUPS: &[(&str, &str)] =
    &[("S-1-1-0", "Everyone"), ("S-1-5-11", "Authenticated Users")];

fn well_known_name(sid: &str) -> Option<&'static str> {
    Some(match sid {
        "S-1-1-0" => "Everyone",
        "S-1-5-11" => "Authenticated Users",
        "S-1-5-9" => "Enterprise Domain Controllers",
        "S-1-5-18" => "SYSTEM",
        "S-1-5-7" => "Anonymous Logon",
        "S-1-5-4" => "Interactive",
        "S-1-5-2" => "Network",
        _ => return None,
    })
}

/// The attack graph of a snapshot.
#[derive(Debug, Default)]
pub struct AttackGraph {
    pub graph: DiGraph<Node, EdgeKind>,
    by_key: HashMap<String, NodeIndex>,
    by_sid: HashMap<String, NodeIndex>,
    by_name: HashMap<String, Vec<NodeIndex>>,
    /// Edges present, so a duplicate costs a hash lookup, not a scan of a node's edges (a
    /// group owning every object has hundreds of thousands).
    edge_set: HashSet<(u32, u32, EdgeKind)>,
    /// Things worth telling that are not edges (GetChangesAll without GetChanges, …).
    pub notes: Vec<String>,
}

impl AttackGraph {
    /// An empty graph with room for `nodes` and `edges` (synthetic graphs, benchmarks).
    pub fn with_capacity(nodes: usize, edges: usize) -> AttackGraph {
        AttackGraph {
            graph: DiGraph::with_capacity(nodes, edges),
            ..AttackGraph::default()
        }
    }

    /// Adds a node, indexed by DN, SID and name.
    pub fn add_node(&mut self, n: Node) -> NodeIndex {
        let dn = n.dn.as_deref().map(dn_key);
        let sid = n.sid.as_deref().map(str::to_ascii_uppercase);
        let name = n.name.to_ascii_lowercase();
        let ix = self.graph.add_node(n);
        if let Some(k) = dn {
            self.by_key.entry(k).or_insert(ix);
        }
        if let Some(s) = sid {
            self.by_sid.entry(s).or_insert(ix);
        }
        self.by_name.entry(name).or_default().push(ix);
        ix
    }

    /// Adds an edge unless the same one is there (self-loops are dropped: they lead nowhere).
    pub fn add_edge(&mut self, from: NodeIndex, kind: EdgeKind, to: NodeIndex) {
        if from == to {
            return;
        }
        if self
            .edge_set
            .insert((from.index() as u32, to.index() as u32, kind))
        {
            self.graph.add_edge(from, to, kind);
        }
    }

    /// Adds an edge without the duplicate check (bulk loads that know they are unique; a later
    /// [`AttackGraph::add_edge`] of the same edge then adds it twice, which only costs memory).
    pub fn add_edge_unchecked(&mut self, from: NodeIndex, kind: EdgeKind, to: NodeIndex) {
        self.graph.add_edge(from, to, kind);
    }

    pub fn node(&self, ix: NodeIndex) -> Option<&Node> {
        self.graph.node_weight(ix)
    }

    pub fn by_dn(&self, dn: &str) -> Option<NodeIndex> {
        self.by_key.get(&dn_key(dn)).copied()
    }

    pub fn by_sid(&self, sid: &str) -> Option<NodeIndex> {
        self.by_sid.get(&sid.to_ascii_uppercase()).copied()
    }

    /// Finds a node by DN, SID, `DOMAIN\name`, `name@domain` or name (first match).
    pub fn find(&self, what: &str) -> Option<NodeIndex> {
        let w = what.trim();
        if let Some(ix) = self.by_dn(w).or_else(|| self.by_sid(w)) {
            return Some(ix);
        }
        let (name, domain) = match (w.split_once('\\'), w.split_once('@')) {
            (Some((d, n)), _) => (n, Some(d)),
            (None, Some((n, d))) => (n, Some(d)),
            _ => (w, None),
        };
        let cands = self.by_name.get(&name.to_ascii_lowercase())?;
        cands
            .iter()
            .copied()
            .find(|ix| match (domain, self.node(*ix)) {
                (None, _) => true,
                (Some(d), Some(n)) => {
                    let d = d.to_ascii_lowercase();
                    n.domain == d || n.domain.split('.').next() == Some(d.as_str())
                }
                _ => false,
            })
    }

    /// A node for a SID, created as a foreign principal if the snapshot has no object for it.
    fn sid_node(&mut self, sid: &str) -> Option<NodeIndex> {
        if PLACEHOLDER_SIDS.contains(&sid) {
            return None;
        }
        if let Some(ix) = self.by_sid(sid) {
            return Some(ix);
        }
        Some(self.add_node(Node {
            kind: NodeKind::ForeignPrincipal,
            name: well_known_name(sid).unwrap_or(sid).to_string(),
            domain: String::new(),
            dn: None,
            sid: Some(sid.to_string()),
        }))
    }

    /// A node for a member value: a DN, or a foreign security principal's `CN=S-1-…` DN.
    fn member_node(&mut self, dn: &str) -> Option<NodeIndex> {
        if let Some(ix) = self.by_dn(dn) {
            return Some(ix);
        }
        if dn.starts_with("S-1-") {
            return self.sid_node(dn);
        }
        let first = crate::model::split_dn(dn).first().copied()?;
        let (_, v) = first.split_once('=')?;
        if v.starts_with("S-1-") {
            return self.sid_node(v);
        }
        None
    }

    /// Records a logon session observed outside the snapshot (a logon event): the computer
    /// then holds the user's credentials. Both are looked up as [`AttackGraph::find`] does;
    /// `false` if either is unknown.
    pub fn add_session(&mut self, computer: &str, user: &str) -> bool {
        let c = self.find(computer).or_else(|| {
            self.find(&format!(
                "{}$",
                computer.split('.').next().unwrap_or(computer)
            ))
        });
        match (c, self.find(user)) {
            (Some(c), Some(u)) => {
                self.add_edge(c, EdgeKind::HasSession, u);
                true
            }
            _ => false,
        }
    }

    /// Builds the graph of a snapshot.
    pub fn build(d: &Directory) -> AttackGraph {
        let mut g = AttackGraph::with_capacity(
            d.users.len() + d.computers.len() + d.groups.len() + d.domains.len() + 16,
            d.users.len() * 4,
        );
        for o in d.objects() {
            g.add_node(Node {
                kind: NodeKind::Object(o.kind),
                name: o.name.to_string(),
                domain: o.domain.to_string(),
                dn: Some(o.dn.to_string()),
                sid: o.sid.map(str::to_string),
            });
        }
        // MemberOf, from member lists and primary groups.
        for grp in &d.groups {
            let Some(gi) = g.by_dn(&grp.dn) else { continue };
            for m in &grp.members {
                if let Some(mi) = g.member_node(m) {
                    g.add_edge(mi, EdgeKind::MemberOf, gi);
                }
            }
        }
        for p in d.users.iter().chain(d.computers.iter()) {
            let (Some(pi), Some(sid), Some(pg)) =
                (g.by_dn(&p.dn), p.object_sid.as_deref(), p.primary_group_id)
            else {
                continue;
            };
            if let Some((dom, _)) = sid.rsplit_once('-') {
                if let Some(gi) = g.by_sid(&format!("{dom}-{pg}")) {
                    g.add_edge(pi, EdgeKind::MemberOf, gi);
                }
            }
            for h in &p.sid_history {
                if let Some(hi) = g.sid_node(h) {
                    g.add_edge(pi, EdgeKind::HasSIDHistory, hi);
                }
            }
        }
        for grp in &d.groups {
            if let Some(gi) = g.by_dn(&grp.dn) {
                for h in &grp.sid_history {
                    if let Some(hi) = g.sid_node(h) {
                        g.add_edge(gi, EdgeKind::HasSIDHistory, hi);
                    }
                }
            }
        }
        // Every DC is in Enterprise Domain Controllers (S-1-5-9), a group without members.
        for c in d.computers.iter().filter(|c| c.is_domain_controller()) {
            if let (Some(ci), Some(edc)) = (g.by_dn(&c.dn), g.sid_node("S-1-5-9")) {
                g.add_edge(ci, EdgeKind::MemberOf, edc);
            }
        }
        // ACL edges; the replication rights are combined into DCSync below.
        let mut get_changes: HashMap<NodeIndex, HashSet<NodeIndex>> = HashMap::new();
        let mut get_changes_all: HashMap<NodeIndex, HashSet<NodeIndex>> = HashMap::new();
        for e in d.acl_edges() {
            let Some(target) = g.by_dn(&e.target) else {
                continue;
            };
            let Some(trustee) = g.sid_node(&e.trustee) else {
                continue;
            };
            match e.right {
                Right::GetChanges => {
                    get_changes.entry(target).or_default().insert(trustee);
                }
                Right::GetChangesAll => {
                    get_changes_all.entry(target).or_default().insert(trustee);
                }
                Right::GetChangesInFilteredSet => {}
                r => g.add_edge(trustee, EdgeKind::Acl(r), target),
            }
        }
        g.add_dcsync(&get_changes, &get_changes_all);
        // Sessions and local rights (BloodHound; events add more through add_session).
        for s in &d.sessions {
            if let (Some(c), Some(u)) = (g.find(&s.computer), g.find(&s.user)) {
                g.add_edge(c, EdgeKind::HasSession, u);
            }
        }
        for lr in &d.local_rights {
            if let (Some(c), Some(p)) = (
                g.find(&lr.computer),
                g.find(&lr.principal).or_else(|| g.sid_node(&lr.principal)),
            ) {
                let k = match lr.right {
                    LocalRightKind::AdminTo => EdgeKind::AdminTo,
                    LocalRightKind::CanRDP => EdgeKind::CanRDP,
                    LocalRightKind::CanPSRemote => EdgeKind::CanPSRemote,
                    LocalRightKind::ExecuteDCOM => EdgeKind::ExecuteDCOM,
                };
                g.add_edge(p, k, c);
            }
        }
        // Delegation: constrained (to the account holding the SPN, or the computer of its
        // host) and resource-based.
        let mut spn_owner: HashMap<String, NodeIndex> = HashMap::new();
        let mut host_owner: HashMap<String, NodeIndex> = HashMap::new();
        for p in d.users.iter().chain(d.computers.iter()) {
            let Some(pi) = g.by_dn(&p.dn) else { continue };
            for s in &p.service_principal_names {
                spn_owner.entry(s.to_ascii_lowercase()).or_insert(pi);
            }
        }
        for c in &d.computers {
            let Some(ci) = g.by_dn(&c.dn) else { continue };
            if let Some(h) = &c.dns_host_name {
                host_owner.insert(h.to_ascii_lowercase(), ci);
            }
            host_owner
                .entry(
                    c.sam_account_name
                        .trim_end_matches('$')
                        .to_ascii_lowercase(),
                )
                .or_insert(ci);
        }
        for p in d.users.iter().chain(d.computers.iter()) {
            let Some(pi) = g.by_dn(&p.dn) else { continue };
            for spn in &p.allowed_to_delegate_to {
                // A collector that resolved the SPN already (BloodHound) gives the SID.
                if spn.starts_with("S-1-") {
                    if let Some(t) = g.sid_node(spn) {
                        g.add_edge(pi, EdgeKind::AllowedToDelegate, t);
                    }
                    continue;
                }
                let s = spn.to_ascii_lowercase();
                let host = s
                    .split('/')
                    .nth(1)
                    .map(|h| h.split(':').next().unwrap_or(h).to_string());
                let t = spn_owner
                    .get(&s)
                    .copied()
                    .or_else(|| host.and_then(|h| host_owner.get(&h).copied()));
                if let Some(t) = t {
                    g.add_edge(pi, EdgeKind::AllowedToDelegate, t);
                }
            }
            for sid in &p.allowed_to_act {
                if let Some(si) = g.sid_node(sid) {
                    g.add_edge(si, EdgeKind::AllowedToAct, pi);
                }
            }
        }
        // GPO links and containment.
        let linked = d
            .ous
            .iter()
            .map(|o| (&o.dn, &o.gplinks))
            .chain(d.domains.iter().map(|o| (&o.dn, &o.gplinks)));
        let mut links = Vec::new();
        for (dn, gplinks) in linked {
            for l in gplinks.iter().filter(|l| !l.disabled) {
                links.push((l.gpo_dn.clone(), dn.clone()));
            }
        }
        for (gpo, dn) in links {
            if let (Some(a), Some(b)) = (g.by_dn(&gpo), g.by_dn(&dn)) {
                g.add_edge(a, EdgeKind::GPLink, b);
            }
        }
        let containers: Vec<(NodeIndex, String)> = g
            .graph
            .node_indices()
            .filter_map(|ix| {
                let n = g.node(ix)?;
                Some((ix, n.dn.clone()?))
            })
            .collect();
        for (child, dn) in containers {
            let rdns = crate::model::split_dn(&dn);
            if rdns.len() < 2 {
                continue;
            }
            let parent = rdns[1..].join(",");
            if let Some(p) = g.by_dn(&parent) {
                if matches!(
                    g.node(p).map(|n| n.kind),
                    Some(NodeKind::Object(
                        ObjectKind::Ou | ObjectKind::Domain | ObjectKind::Container
                    ))
                ) {
                    g.add_edge(p, EdgeKind::Contains, child);
                }
            }
        }
        g.add_implicit_membership();
        g
    }

    /// DCSync needs both GetChanges and GetChangesAll on the domain. A holder of both gets the
    /// edge; a member that gets the two from different groups gets it itself; a holder of
    /// GetChangesAll alone is a note (it is one grant away from DCSync).
    fn add_dcsync(
        &mut self,
        gc: &HashMap<NodeIndex, HashSet<NodeIndex>>,
        gca: &HashMap<NodeIndex, HashSet<NodeIndex>>,
    ) {
        let mut domains: Vec<&NodeIndex> = gca.keys().collect();
        domains.sort();
        for &dom in domains {
            let all = &gca[&dom];
            let changes = gc.get(&dom).cloned().unwrap_or_default();
            // Everyone below a holder, by MemberOf, with what they get through it.
            let mut has_gc: HashSet<NodeIndex> = HashSet::new();
            let mut has_gca: HashSet<NodeIndex> = HashSet::new();
            for (set, out) in [(&changes, &mut has_gc), (all, &mut has_gca)] {
                let mut q: VecDeque<NodeIndex> = set.iter().copied().collect();
                out.extend(set.iter().copied());
                while let Some(n) = q.pop_front() {
                    for e in self.graph.edges_directed(n, Direction::Incoming) {
                        if *e.weight() == EdgeKind::MemberOf && out.insert(e.source()) {
                            q.push_back(e.source());
                        }
                    }
                }
            }
            let mut holders: Vec<NodeIndex> = has_gc.intersection(&has_gca).copied().collect();
            holders.sort();
            for h in holders {
                // Direct holders of both, and members that combine two groups' grants.
                let direct = changes.contains(&h) && all.contains(&h);
                let via_one_group = self.graph.edges_directed(h, Direction::Outgoing).any(|e| {
                    *e.weight() == EdgeKind::MemberOf
                        && has_gc.contains(&e.target())
                        && has_gca.contains(&e.target())
                });
                if direct || !via_one_group {
                    self.add_edge(h, EdgeKind::DCSync, dom);
                }
            }
            // A holder of GetChangesAll none of whose members can combine it with GetChanges.
            let mut lone: Vec<NodeIndex> = all
                .iter()
                .filter(|n| {
                    !has_gc.contains(n) && !self.members_below(**n).any(|m| has_gc.contains(&m))
                })
                .copied()
                .collect();
            lone.sort();
            for n in lone {
                let who = self.node(n).map(|x| x.name.clone()).unwrap_or_default();
                let what = self.node(dom).map(|x| x.name.clone()).unwrap_or_default();
                self.notes.push(format!(
                    "{who} holds GetChangesAll on {what} without GetChanges: one grant away from DCSync"
                ));
            }
        }
    }

    /// Transitive members of a group (by MemberOf), without the group itself.
    fn members_below(&self, group: NodeIndex) -> impl Iterator<Item = NodeIndex> {
        let mut seen: HashSet<NodeIndex> = HashSet::from([group]);
        let mut q = VecDeque::from([group]);
        let mut out = Vec::new();
        while let Some(n) = q.pop_front() {
            for e in self.graph.edges_directed(n, Direction::Incoming) {
                if *e.weight() == EdgeKind::MemberOf && seen.insert(e.source()) {
                    out.push(e.source());
                    q.push_back(e.source());
                }
            }
        }
        out.into_iter()
    }

    /// Every account is in Everyone and Authenticated Users; the edges are added only when
    /// those groups hold a right, so the common case costs nothing.
    fn add_implicit_membership(&mut self) {
        for (sid, _) in IMPLICIT_GROUPS {
            let Some(gi) = self.by_sid(sid) else { continue };
            if self
                .graph
                .edges_directed(gi, Direction::Outgoing)
                .next()
                .is_none()
            {
                continue;
            }
            let accounts: Vec<NodeIndex> = self
                .graph
                .node_indices()
                .filter(|ix| {
                    matches!(
                        self.node(*ix).map(|n| n.kind),
                        Some(NodeKind::Object(ObjectKind::User | ObjectKind::Computer))
                    )
                })
                .collect();
            for a in accounts {
                self.add_edge(a, EdgeKind::MemberOf, gi);
            }
        }
    }

    /// The default targets: each domain's Domain Admins, the domain objects, AdminSDHolder,
    /// domain controllers and krbtgt. Whatever controls one of them controls the domain.
    pub fn tier_zero(&self, d: &Directory) -> Vec<NodeIndex> {
        let mut t = Vec::new();
        for ix in self.graph.node_indices() {
            let Some(n) = self.node(ix) else { continue };
            let r = n.sid.as_deref().and_then(rid);
            let domain_sid = n.sid.as_deref().is_some_and(|s| s.starts_with("S-1-5-21-"));
            let hit = match n.kind {
                NodeKind::Object(ObjectKind::Domain) => true,
                NodeKind::Object(ObjectKind::Group) => domain_sid && r == Some(512),
                NodeKind::Object(ObjectKind::User) => domain_sid && r == Some(502),
                NodeKind::Object(ObjectKind::Container) => {
                    n.dn.as_deref()
                        .is_some_and(|dn| dn_key(dn).starts_with("cn=adminsdholder,cn=system,"))
                }
                _ => false,
            };
            if hit {
                t.push(ix);
            }
        }
        for c in &d.computers {
            if c.is_domain_controller() {
                if let Some(ix) = self.by_dn(&c.dn) {
                    t.push(ix);
                }
            }
        }
        t.sort();
        t.dedup();
        t
    }

    /// Accounts (users and computers) that are not sensitive: where attackers start.
    pub fn sources(&self, sensitive: &SensitiveSet) -> Vec<NodeIndex> {
        self.graph
            .node_indices()
            .filter(|ix| {
                self.node(*ix).is_some_and(|n| {
                    matches!(
                        n.kind,
                        NodeKind::Object(ObjectKind::User | ObjectKind::Computer)
                    ) && !n.dn.as_deref().is_some_and(|dn| sensitive.is_sensitive(dn))
                })
            })
            .collect()
    }

    /// Shortest paths from every node to the nearest target (breadth-first from the targets
    /// along reversed edges).
    pub fn paths_to(&self, targets: &[NodeIndex]) -> PathTree {
        const NONE: u32 = u32::MAX;
        let n = self.graph.node_count();
        let mut next = vec![NONE; n];
        let mut dist = vec![NONE; n];
        let mut q = VecDeque::new();
        for t in targets {
            if let Some(d) = dist.get_mut(t.index()) {
                if *d == NONE {
                    *d = 0;
                    q.push_back(*t);
                }
            }
        }
        while let Some(v) = q.pop_front() {
            let dv = dist[v.index()];
            for e in self.graph.edges_directed(v, Direction::Incoming) {
                let u = e.source().index();
                if dist[u] == NONE {
                    dist[u] = dv + 1;
                    next[u] = e.id().index() as u32;
                    q.push_back(e.source());
                }
            }
        }
        PathTree { next, dist }
    }

    /// Renders a path as `node>Edge>node>…` with node names.
    pub fn render(&self, p: &AttackPath) -> String {
        let mut s = self.node_label(p.nodes[0]);
        for (e, n) in p.edges.iter().zip(&p.nodes[1..]) {
            s.push('>');
            s.push_str(e.name());
            s.push('>');
            s.push_str(&self.node_label(*n));
        }
        s
    }

    pub fn node_label(&self, ix: NodeIndex) -> String {
        self.node(ix).map(|n| n.name.clone()).unwrap_or_default()
    }
}

/// The result of [`AttackGraph::paths_to`]: for every node, the first edge of a shortest path
/// to a target and the path's length.
#[derive(Debug, Clone)]
pub struct PathTree {
    next: Vec<u32>,
    dist: Vec<u32>,
}

/// A path: `nodes.len() == edges.len() + 1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttackPath {
    #[serde(skip)]
    pub nodes: Vec<NodeIndex>,
    pub edges: Vec<EdgeKind>,
}

impl PathTree {
    /// Length of the shortest path from `n` to a target (`Some(0)` for a target).
    pub fn distance(&self, n: NodeIndex) -> Option<u32> {
        self.dist.get(n.index()).copied().filter(|d| *d != u32::MAX)
    }

    /// The shortest path from `from`, if a target is reachable and `from` is not one.
    pub fn path(&self, g: &AttackGraph, from: NodeIndex) -> Option<AttackPath> {
        let d = self.distance(from)?;
        if d == 0 {
            return None;
        }
        let mut nodes = vec![from];
        let mut edges = Vec::with_capacity(d as usize);
        let mut cur = from;
        for _ in 0..d {
            let e = EdgeIndex::new(*self.next.get(cur.index())? as usize);
            let (_, to) = g.graph.edge_endpoints(e)?;
            edges.push(*g.graph.edge_weight(e)?);
            nodes.push(to);
            cur = to;
        }
        Some(AttackPath { nodes, edges })
    }

    /// How many nodes reach a target.
    pub fn reaching(&self) -> usize {
        self.dist
            .iter()
            .filter(|d| **d != u32::MAX && **d > 0)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AclEdge, Domain, Group, Principal};

    const D: &str = "S-1-5-21-9-9-9";

    fn user(name: &str, rid: u32, groups: &[&str]) -> Principal {
        Principal {
            domain: "x.lab".into(),
            dn: format!("CN={name},DC=x,DC=lab"),
            sam_account_name: name.into(),
            object_sid: Some(format!("{D}-{rid}")),
            member_of: groups
                .iter()
                .map(|g| format!("CN={g},DC=x,DC=lab"))
                .collect(),
            ..Principal::default()
        }
    }

    fn group(name: &str, rid: u32) -> Group {
        Group {
            domain: "x.lab".into(),
            dn: format!("CN={name},DC=x,DC=lab"),
            sam_account_name: name.into(),
            object_sid: Some(format!("{D}-{rid}")),
            ..Group::default()
        }
    }

    fn grant(sid: String, right: Right) -> AclEdge {
        AclEdge {
            trustee: sid,
            right,
            target: "DC=x,DC=lab".into(),
            inherited: false,
        }
    }

    #[test]
    fn dcsync_combines_rights_of_two_groups_and_notes_a_lone_get_changes_all() {
        let mut d = Directory::new();
        d.domains.push(Domain {
            dn: "DC=x,DC=lab".into(),
            dns_name: "x.lab".into(),
            sid: Some(D.into()),
            ..Domain::default()
        });
        d.groups.push(group("A", 1100));
        d.groups.push(group("B", 1101));
        d.groups.push(group("C", 1102));
        d.users.push(user("both", 1200, &["A", "B"]));
        d.users.push(user("only_b", 1201, &["B"]));
        d.resolved_aces
            .push(grant(format!("{D}-1100"), Right::GetChanges));
        d.resolved_aces
            .push(grant(format!("{D}-1101"), Right::GetChangesAll));
        d.resolved_aces
            .push(grant(format!("{D}-1102"), Right::GetChangesAll));
        crate::entry::reconcile_membership(&mut d);
        let g = AttackGraph::build(&d);
        let tree = g.paths_to(&g.tier_zero(&d));
        let both = g.find("both").expect("both");
        let p = tree.path(&g, both).expect("path");
        assert_eq!(g.render(&p), "both>DCSync>x.lab");
        assert!(tree.path(&g, g.find("only_b").expect("only_b")).is_none());
        assert_eq!(g.notes.len(), 1, "{:?}", g.notes);
        assert!(
            g.notes[0].starts_with("C holds GetChangesAll"),
            "{:?}",
            g.notes
        );
    }

    #[test]
    fn duplicate_edges_and_self_loops_are_dropped_and_cycles_terminate() {
        let mut g = AttackGraph::default();
        let mk = |g: &mut AttackGraph, n: &str| {
            g.add_node(Node {
                kind: NodeKind::Object(ObjectKind::Group),
                name: n.into(),
                domain: String::new(),
                dn: None,
                sid: None,
            })
        };
        let (a, b, t) = (mk(&mut g, "a"), mk(&mut g, "b"), mk(&mut g, "t"));
        g.add_edge(a, EdgeKind::MemberOf, b);
        g.add_edge(a, EdgeKind::MemberOf, b);
        g.add_edge(b, EdgeKind::MemberOf, a);
        g.add_edge(a, EdgeKind::MemberOf, a);
        g.add_edge(b, EdgeKind::Acl(Right::GenericAll), t);
        assert_eq!(g.graph.edge_count(), 3);
        let tree = g.paths_to(&[t]);
        assert_eq!(tree.distance(a), Some(2));
        assert_eq!(tree.reaching(), 2);
        assert!(tree.path(&g, t).is_none());
    }
}
