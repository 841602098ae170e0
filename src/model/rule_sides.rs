//! The address sides of an NSG rule as `effective-rules` shows them: each token (a prefix, `*`, a
//! service tag, an application security group) with the prefixes it stands for as seen from one
//! subnet. The CLI and the HTML report's per-subnet drill-down both show these.

use serde::{Deserialize, Serialize};

use super::tags::TagResolver;
use crate::azure::id::last_name;
use crate::inventory::SubResource;

/// How many prefixes a table shows for one token; JSON output has them all.
pub const SHOWN_PREFIXES: usize = 6;

/// One token of a rule's source or destination and what it expands to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub token: String,
    /// False when the prefixes are an approximation or unknown offline.
    pub exact: bool,
    pub prefixes: Vec<String>,
}

/// The tokens and application security groups of one side, expanded with `tags`. Unless `full`,
/// a long expansion is cut to [`SHOWN_PREFIXES`] and a "… N more" entry.
pub fn expand(tokens: &[&str], asgs: &[SubResource], tags: &TagResolver, full: bool) -> Vec<Side> {
    let mut out = Vec::new();
    for t in tokens {
        let r = tags.resolve(t);
        let mut prefixes = r.set.to_strings();
        let count = prefixes.len();
        if !full && count > SHOWN_PREFIXES {
            prefixes.truncate(SHOWN_PREFIXES);
            prefixes.push(format!("… {} more", count - SHOWN_PREFIXES));
        }
        out.push(Side {
            token: t.to_string(),
            exact: r.exact,
            prefixes,
        });
    }
    for a in asgs {
        let (set, known) = tags.resolve_asgs(std::slice::from_ref(a));
        out.push(Side {
            token: asg_token(a),
            exact: known,
            prefixes: set.to_strings(),
        });
    }
    out
}

/// How an application security group is named among a rule's tokens.
pub fn asg_token(asg: &SubResource) -> String {
    format!("ASG {}", last_name(&asg.id))
}

impl Side {
    /// `10.0.0.0/8`, `VirtualNetwork = 10.1.0.0/16, …`, `Internet ≈ …`, or a tag whose ranges are
    /// not known offline.
    pub fn text(&self) -> String {
        if self.prefixes.len() == 1 && self.prefixes[0] == self.token {
            self.token.clone()
        } else if self.prefixes.is_empty() {
            format!("{} (ranges not known offline)", self.token)
        } else {
            format!(
                "{}{} = {}",
                self.token,
                if self.exact { "" } else { " ≈" },
                self.prefixes.join(", ")
            )
        }
    }
}

/// A whole side, one token a line.
pub fn text(sides: &[Side]) -> String {
    sides.iter().map(Side::text).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::addr::PrefixSet;

    #[test]
    fn tokens_expand_from_the_subnet_view_and_long_lists_are_cut() {
        let tags = TagResolver::with_virtual_network(PrefixSet::parse("10.1.0.0/16").unwrap());
        let s = expand(
            &["10.0.0.0/8", "VirtualNetwork", "Internet", "Storage"],
            &[],
            &tags,
            false,
        );
        assert_eq!(s[0].text(), "10.0.0.0/8");
        assert_eq!(s[1].text(), "VirtualNetwork = 10.1.0.0/16");
        assert!(s[2].text().starts_with("Internet ≈ "), "{}", s[2].text());
        assert_eq!(s[2].prefixes.len(), SHOWN_PREFIXES + 1);
        assert!(s[2].prefixes.last().unwrap().ends_with("more"));
        assert_eq!(s[3].text(), "Storage (ranges not known offline)");
        let full = expand(&["Internet"], &[], &tags, true);
        assert!(full[0].prefixes.len() > SHOWN_PREFIXES);
    }
}
