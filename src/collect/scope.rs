//! Which subscriptions a run reads: display names resolved to ids the way the Azure CLI resolves
//! `--subscription`, and a deterministic share of the list for one of several parallel jobs.

use std::fmt;

use crate::inventory::resources::Subscription;

/// How many candidates an error lists before counting the rest.
const SHOWN_CANDIDATES: usize = 20;

/// Resolves subscription display names to ids against the subscriptions the identity can see.
/// Names match whole and case-insensitively (as `az account set --subscription` does); a name
/// that matches none, or several, is an error naming the candidates, never a guess. `among`
/// says where the candidates come from ("this identity can list", "the snapshot holds").
pub fn resolve_names(
    names: &[String],
    visible: &[Subscription],
    among: &str,
) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    for name in names {
        let wanted = name.trim();
        let matching: Vec<&Subscription> = visible
            .iter()
            .filter(|s| {
                s.display_name
                    .as_deref()
                    .is_some_and(|n| n.trim().eq_ignore_ascii_case(wanted))
            })
            .collect();
        match matching.as_slice() {
            [one] => ids.push(one.subscription_id.to_ascii_lowercase()),
            [] => {
                return Err(format!(
                    "no subscription named {wanted:?} among the {} {among}{}",
                    visible.len(),
                    candidates(visible.iter())
                ));
            }
            several => {
                return Err(format!(
                    "subscription name {wanted:?} matches {} subscriptions; give the id instead{}",
                    several.len(),
                    candidates(several.iter().copied())
                ));
            }
        }
    }
    Ok(ids)
}

/// `: Name (id), Name (id), … and N more`, sorted by name; empty when there is none.
fn candidates<'a>(subs: impl Iterator<Item = &'a Subscription>) -> String {
    let mut shown: Vec<String> = subs
        .map(|s| {
            format!(
                "{} ({})",
                s.display_name.as_deref().unwrap_or("no name"),
                s.subscription_id.to_ascii_lowercase()
            )
        })
        .collect();
    if shown.is_empty() {
        return String::new();
    }
    shown.sort_by_key(|s| s.to_lowercase());
    let more = shown.len().saturating_sub(SHOWN_CANDIDATES);
    shown.truncate(SHOWN_CANDIDATES);
    let mut text = format!(": {}", shown.join(", "));
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// One of `count` parallel jobs: `--shard K/N`, K from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Parses `K/N` with 1 ≤ K ≤ N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("{text:?} is not a shard: expected K/N with 1 <= K <= N, e.g. 2/4");
        let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// This shard's subscriptions: the list sorted by id and deduplicated, then every N-th from
    /// the K-th. Every job given the same list takes a disjoint share, and together they take all.
    pub fn select(&self, subscriptions: &[String]) -> Vec<String> {
        let mut sorted: Vec<String> = subscriptions
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        sorted.sort();
        sorted.dedup();
        sorted
            .into_iter()
            .enumerate()
            .filter(|(i, _)| *i as u32 % self.count == self.index - 1)
            .map(|(_, s)| s)
            .collect()
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTED: &str = "this identity can list";

    fn sub(id: &str, name: &str) -> Subscription {
        Subscription {
            id: format!("/subscriptions/{id}"),
            subscription_id: id.into(),
            display_name: Some(name.into()),
            ..Subscription::default()
        }
    }

    #[test]
    fn names_resolve_whole_and_case_insensitively() {
        let visible = [
            sub("00000000-0000-4000-8000-00000000000A", "Production"),
            sub("00000000-0000-4000-8000-00000000000b", "Production EU"),
        ];
        assert_eq!(
            resolve_names(&["production".into()], &visible, LISTED).unwrap(),
            ["00000000-0000-4000-8000-00000000000a"]
        );
        let err = resolve_names(&["Prod".into()], &visible, LISTED).unwrap_err();
        assert_eq!(
            err,
            "no subscription named \"Prod\" among the 2 this identity can list: \
             Production (00000000-0000-4000-8000-00000000000a), \
             Production EU (00000000-0000-4000-8000-00000000000b)"
        );
    }

    #[test]
    fn an_ambiguous_name_lists_only_its_matches() {
        let visible = [
            sub("00000000-0000-4000-8000-000000000001", "Sandbox"),
            sub("00000000-0000-4000-8000-000000000002", "sandbox"),
            sub("00000000-0000-4000-8000-000000000003", "Other"),
        ];
        let err = resolve_names(&["SANDBOX".into()], &visible, LISTED).unwrap_err();
        assert_eq!(
            err,
            "subscription name \"SANDBOX\" matches 2 subscriptions; give the id instead: \
             Sandbox (00000000-0000-4000-8000-000000000001), \
             sandbox (00000000-0000-4000-8000-000000000002)"
        );
    }

    #[test]
    fn long_candidate_lists_are_counted() {
        let visible: Vec<Subscription> = (0..25)
            .map(|i| {
                sub(
                    &format!("00000000-0000-4000-8000-{i:012}"),
                    &format!("s{i:02}"),
                )
            })
            .collect();
        let err = resolve_names(&["nope".into()], &visible, LISTED).unwrap_err();
        assert!(err.ends_with(" and 5 more"), "{err}");
        assert!(err.contains("s19 ("), "{err}");
        assert!(!err.contains("s20 ("), "{err}");
        let none = resolve_names(&["x".into()], &[], LISTED).unwrap_err();
        assert_eq!(
            none,
            "no subscription named \"x\" among the 0 this identity can list"
        );
    }

    #[test]
    fn shards_are_checked() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "1/0", "a/b", "3", "", "-1/2", "1/2/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_split_the_sorted_list_into_disjoint_covering_shares() {
        let subs: Vec<String> = ["d", "B", "a", "c", "e", "b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let shares: Vec<Vec<String>> = (1..=2)
            .map(|k| Shard { index: k, count: 2 }.select(&subs))
            .collect();
        assert_eq!(shares, [vec!["a", "c", "e"], vec!["b", "d"]]);
        // Order of the input does not matter.
        let mut reversed = subs.clone();
        reversed.reverse();
        assert_eq!(Shard { index: 1, count: 2 }.select(&reversed), shares[0]);
        // More shards than subscriptions: the last ones are empty.
        assert!(Shard { index: 6, count: 6 }.select(&subs).is_empty());
    }
}
