//! Sets of IP addresses (IPv4 and IPv6) as sorted, disjoint, merged ranges, with exact set algebra and
//! conversion back to CIDR prefixes. Everything azaudit says about "which addresses" goes through here.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv4Subnets, Ipv6Net, Ipv6Subnets};

/// A set of IPv4 and IPv6 addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PrefixSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl PrefixSet {
    pub fn empty() -> Self {
        Self::default()
    }
    /// Every IPv4 and IPv6 address.
    pub fn all() -> Self {
        PrefixSet {
            v4: vec![(0, u32::MAX)],
            v6: vec![(0, u128::MAX)],
        }
    }
    pub fn all_v4() -> Self {
        PrefixSet {
            v4: vec![(0, u32::MAX)],
            v6: vec![],
        }
    }
    pub fn from_net(net: IpNet) -> Self {
        match net {
            IpNet::V4(n) => PrefixSet {
                v4: vec![(u32::from(n.network()), u32::from(n.broadcast()))],
                v6: vec![],
            },
            IpNet::V6(n) => PrefixSet {
                v4: vec![],
                v6: vec![(u128::from(n.network()), u128::from(n.broadcast()))],
            },
        }
    }
    pub fn from_nets<I: IntoIterator<Item = IpNet>>(nets: I) -> Self {
        PrefixSet::union_all(nets.into_iter().map(PrefixSet::from_net))
    }
    /// The union of many sets, merged once (folding [`PrefixSet::union`] over n sets is quadratic).
    pub fn union_all<I: IntoIterator<Item = PrefixSet>>(sets: I) -> Self {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for s in sets {
            v4.extend(s.v4);
            v6.extend(s.v6);
        }
        PrefixSet {
            v4: union(&v4, &[]),
            v6: union(&v6, &[]),
        }
    }
    pub fn from_addr(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(a) => {
                PrefixSet::from_net(IpNet::V4(Ipv4Net::new(a, 32).expect("/32 is valid")))
            }
            IpAddr::V6(a) => {
                PrefixSet::from_net(IpNet::V6(Ipv6Net::new(a, 128).expect("/128 is valid")))
            }
        }
    }
    /// An inclusive range of addresses of the same family.
    pub fn from_range(start: IpAddr, end: IpAddr) -> Option<Self> {
        match (start, end) {
            (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => Some(PrefixSet {
                v4: vec![(a.into(), b.into())],
                v6: vec![],
            }),
            (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => Some(PrefixSet {
                v4: vec![],
                v6: vec![(a.into(), b.into())],
            }),
            _ => None,
        }
    }

    /// Parses what Azure accepts as an address in NSG rules, routes and firewall rules: a CIDR
    /// prefix, a single address, or a `start-end` range. Host bits in a CIDR are ignored, as Azure
    /// normalises them. Returns `None` for anything else (service tags, `*`).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if let Ok(net) = t.parse::<IpNet>() {
            return Some(PrefixSet::from_net(net.trunc()));
        }
        if let Ok(addr) = t.parse::<IpAddr>() {
            return Some(PrefixSet::from_addr(addr));
        }
        let (a, b) = t.split_once('-')?;
        PrefixSet::from_range(a.trim().parse().ok()?, b.trim().parse().ok()?)
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
    pub fn contains_addr(&self, addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(a) => contains(&self.v4, u32::from(a)),
            IpAddr::V6(a) => contains(&self.v6, u128::from(a)),
        }
    }
    /// Whether every address of `other` is in `self`.
    pub fn contains_set(&self, other: &PrefixSet) -> bool {
        other.difference(self).is_empty()
    }
    pub fn intersects(&self, other: &PrefixSet) -> bool {
        !self.intersection(other).is_empty()
    }
    pub fn union(&self, other: &PrefixSet) -> PrefixSet {
        PrefixSet {
            v4: union(&self.v4, &other.v4),
            v6: union(&self.v6, &other.v6),
        }
    }
    pub fn intersection(&self, other: &PrefixSet) -> PrefixSet {
        PrefixSet {
            v4: intersect(&self.v4, &other.v4),
            v6: intersect(&self.v6, &other.v6),
        }
    }
    /// The addresses of `self` not covered by `other`.
    pub fn difference(&self, other: &PrefixSet) -> PrefixSet {
        PrefixSet {
            v4: difference(&self.v4, &other.v4),
            v6: difference(&self.v6, &other.v6),
        }
    }
    /// Number of IPv4 addresses in the set.
    pub fn v4_len(&self) -> u64 {
        self.v4.iter().map(|(a, b)| u64::from(b - a) + 1).sum()
    }
    /// The smallest list of CIDR prefixes covering exactly this set.
    pub fn to_cidrs(&self) -> Vec<IpNet> {
        let mut out = Vec::new();
        for &(a, b) in &self.v4 {
            out.extend(Ipv4Subnets::new(Ipv4Addr::from(a), Ipv4Addr::from(b), 0).map(IpNet::V4));
        }
        for &(a, b) in &self.v6 {
            out.extend(Ipv6Subnets::new(Ipv6Addr::from(a), Ipv6Addr::from(b), 0).map(IpNet::V6));
        }
        out
    }
    /// CIDR strings, for evidence.
    pub fn to_strings(&self) -> Vec<String> {
        self.to_cidrs().iter().map(ToString::to_string).collect()
    }
}

impl fmt::Display for PrefixSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("∅");
        }
        f.write_str(&self.to_strings().join(", "))
    }
}

fn contains<T: Ord + Copy>(ranges: &[(T, T)], x: T) -> bool {
    let i = ranges.partition_point(|&(_, end)| end < x);
    ranges.get(i).is_some_and(|&(start, _)| start <= x)
}

trait Step: Ord + Copy {
    fn succ(self) -> Option<Self>;
    fn pred(self) -> Option<Self>;
}
impl Step for u32 {
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn pred(self) -> Option<Self> {
        self.checked_sub(1)
    }
}
impl Step for u128 {
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn pred(self) -> Option<Self> {
        self.checked_sub(1)
    }
}

fn union<T: Step>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    let mut all: Vec<(T, T)> = a.iter().chain(b).copied().collect();
    all.sort();
    let mut out: Vec<(T, T)> = Vec::with_capacity(all.len());
    for (s, e) in all {
        if let Some(last) = out.last_mut() {
            // Merge overlapping and adjacent ranges.
            if last.1.succ().is_none_or(|n| s <= n) {
                if e > last.1 {
                    last.1 = e;
                }
                continue;
            }
        }
        out.push((s, e));
    }
    out
}

fn intersect<T: Step>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let s = a[i].0.max(b[j].0);
        let e = a[i].1.min(b[j].1);
        if s <= e {
            out.push((s, e));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn difference<T: Step>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    let mut out = Vec::new();
    let mut j = 0;
    for &(s0, e) in a {
        let mut s = Some(s0);
        while j < b.len() && b[j].1 < s0 {
            j += 1;
        }
        let mut k = j;
        while let Some(cur) = s {
            if k >= b.len() || b[k].0 > e {
                out.push((cur, e));
                break;
            }
            let (bs, be) = b[k];
            if bs > cur {
                out.push((cur, bs.pred().expect("bs > cur >= 0")));
            }
            s = if be >= e { None } else { be.succ() };
            k += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> PrefixSet {
        items.iter().fold(PrefixSet::empty(), |acc, s| {
            acc.union(&PrefixSet::parse(s).unwrap())
        })
    }

    #[test]
    fn union_all_equals_folded_unions() {
        let parts = [
            "10.0.0.0/24",
            "10.0.1.0/24",
            "10.0.0.128/25",
            "192.168.0.1",
            "fd00::/64",
            "10.0.3.0/24",
        ];
        let folded = set(&parts);
        let all = PrefixSet::union_all(parts.iter().map(|p| PrefixSet::parse(p).unwrap()));
        assert_eq!(all, folded);
        assert_eq!(
            all.to_strings(),
            ["10.0.0.0/23", "10.0.3.0/24", "192.168.0.1/32", "fd00::/64"]
        );
        assert_eq!(PrefixSet::union_all(std::iter::empty()), PrefixSet::empty());
    }

    #[test]
    fn parses_prefixes_addresses_and_ranges() {
        assert_eq!(PrefixSet::parse("10.0.0.0/8").unwrap().v4_len(), 1 << 24);
        assert_eq!(PrefixSet::parse("10.0.0.4").unwrap().v4_len(), 1);
        assert_eq!(PrefixSet::parse("10.0.0.1-10.0.0.10").unwrap().v4_len(), 10);
        assert_eq!(
            PrefixSet::parse("10.0.0.5/24").unwrap().to_strings(),
            vec!["10.0.0.0/24"]
        );
        assert!(PrefixSet::parse("VirtualNetwork").is_none());
        assert!(PrefixSet::parse("*").is_none());
        assert!(PrefixSet::parse("2001:db8::/32").is_some());
    }

    #[test]
    fn difference_splits_into_cidrs() {
        let d = set(&["10.0.0.0/16"]).difference(&set(&["10.0.1.0/24"]));
        assert_eq!(
            d.to_strings(),
            vec![
                "10.0.0.0/24",
                "10.0.2.0/23",
                "10.0.4.0/22",
                "10.0.8.0/21",
                "10.0.16.0/20",
                "10.0.32.0/19",
                "10.0.64.0/18",
                "10.0.128.0/17"
            ]
        );
        assert!(
            set(&["0.0.0.0/0"])
                .difference(&PrefixSet::all_v4())
                .is_empty()
        );
    }

    #[test]
    fn union_merges_adjacent_ranges() {
        assert_eq!(
            set(&["10.0.0.0/25", "10.0.0.128/25"]).to_strings(),
            vec!["10.0.0.0/24"]
        );
        assert_eq!(PrefixSet::all_v4().to_strings(), vec!["0.0.0.0/0"]);
    }

    #[test]
    fn containment_and_intersection() {
        let a = set(&["10.0.0.0/8"]);
        assert!(a.contains_set(&set(&["10.1.0.0/16"])));
        assert!(!a.contains_set(&set(&["10.1.0.0/16", "11.0.0.0/32"])));
        assert!(a.contains_addr("10.255.255.255".parse().unwrap()));
        assert!(!a.contains_addr("11.0.0.0".parse().unwrap()));
        assert_eq!(
            a.intersection(&set(&["10.0.0.0/7"])).to_strings(),
            vec!["10.0.0.0/8"]
        );
    }

    /// Brute force over a small space (10.0.0.0/26 — 64 addresses) against a bitmask model.
    #[test]
    fn set_algebra_matches_a_bitmask_model() {
        let base = u32::from(Ipv4Addr::new(10, 0, 0, 0));
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let random_set = |r: &mut dyn FnMut() -> u64| -> (PrefixSet, u64) {
            let mut s = PrefixSet::empty();
            let mut mask = 0u64;
            for _ in 0..(r() % 4) {
                let len = 26 + (r() % 7) as u8; // /26../32
                let size = 1u32 << (32 - len);
                let start = (r() as u32 % 64) / size * size;
                let net = Ipv4Net::new(Ipv4Addr::from(base + start), len).unwrap();
                s = s.union(&PrefixSet::from_net(IpNet::V4(net)));
                for i in start..start + size {
                    mask |= 1 << i;
                }
            }
            (s, mask)
        };
        let to_mask = |s: &PrefixSet| -> u64 {
            (0..64u32)
                .filter(|i| s.contains_addr(IpAddr::V4(Ipv4Addr::from(base + i))))
                .fold(0u64, |m, i| m | 1 << i)
        };
        for _ in 0..2000 {
            let (a, ma) = random_set(&mut next);
            let (b, mb) = random_set(&mut next);
            assert_eq!(to_mask(&a.union(&b)), ma | mb);
            assert_eq!(to_mask(&a.intersection(&b)), ma & mb);
            assert_eq!(to_mask(&a.difference(&b)), ma & !mb);
            assert_eq!(a.contains_set(&b), mb & !ma == 0);
            // CIDR output covers exactly the set.
            assert_eq!(to_mask(&PrefixSet::from_nets(a.to_cidrs())), ma);
        }
    }
}
