//! ARM resource identifiers. ARM treats ids case-insensitively and returns them with varying casing
//! (`resourceGroups` vs `resourcegroups`, `Microsoft.Insights` vs `microsoft.insights`), so every
//! comparison and index goes through [`id_key`].

use std::fmt;

/// The normalised form of a resource id used for comparison and indexing.
pub fn id_key(id: &str) -> String {
    id.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// A resource id as a map key: hashed and compared case-insensitively, ignoring surrounding
/// whitespace and a trailing `/` (as [`id_key`] normalises), so maps are searched with any casing
/// of an id through [`IdRef`] without allocating. A key borrows the id it was made from when it
/// can: the indexes of a large tenant hold a hundred thousand of them.
#[derive(Debug, Clone)]
pub struct IdKey<'a>(std::borrow::Cow<'a, str>);

impl<'a> IdKey<'a> {
    pub fn new(id: &'a str) -> Self {
        IdKey(std::borrow::Cow::Borrowed(IdRef::new(id).as_str()))
    }
    /// A key for an id that is not kept elsewhere (one computed from another id).
    pub fn owned(id: &str) -> IdKey<'static> {
        IdKey(std::borrow::Cow::Owned(IdRef::new(id).as_str().to_string()))
    }
}

/// The borrowed form of [`IdKey`]: `map.get(IdRef::new(id))`.
#[derive(Debug)]
#[repr(transparent)]
pub struct IdRef(str);

impl IdRef {
    pub fn new(id: &str) -> &IdRef {
        let trimmed = id.trim().trim_end_matches('/');
        // SAFETY: IdRef is a transparent wrapper of str, so the pointer cast keeps layout and
        // lifetime (the same pattern as std::path::Path::new).
        unsafe { &*(trimmed as *const str as *const IdRef) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq for IdRef {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for IdRef {}

impl std::hash::Hash for IdRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Lower-cased in chunks on the stack: one hasher call per 64 bytes rather than per byte.
        let mut buf = [0u8; 64];
        for chunk in self.0.as_bytes().chunks(buf.len()) {
            let out = &mut buf[..chunk.len()];
            out.copy_from_slice(chunk);
            out.make_ascii_lowercase();
            state.write(out);
        }
        state.write_u8(0xff);
    }
}

impl std::borrow::Borrow<IdRef> for IdKey<'_> {
    fn borrow(&self) -> &IdRef {
        IdRef::new(&self.0)
    }
}
impl PartialEq for IdKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        IdRef::new(&self.0) == IdRef::new(&other.0)
    }
}
impl Eq for IdKey<'_> {}
impl std::hash::Hash for IdKey<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        IdRef::new(&self.0).hash(state)
    }
}

/// Whether two resource ids name the same resource.
pub fn same_id(a: &str, b: &str) -> bool {
    a.trim()
        .trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim().trim_end_matches('/'))
}

/// A parsed ARM resource id such as
/// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceId {
    raw: String,
    subscription: Option<String>,
    resource_group: Option<String>,
    /// (type, name) pairs after the last `providers/{namespace}` segment.
    types: Vec<(String, String)>,
    namespace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed resource id {id:?}: {why}")]
pub struct IdError {
    pub id: String,
    pub why: &'static str,
}

impl ResourceId {
    pub fn parse(id: &str) -> Result<Self, IdError> {
        let err = |why| IdError {
            id: id.to_string(),
            why,
        };
        let trimmed = id.trim().trim_end_matches('/');
        if !trimmed.starts_with('/') {
            return Err(err("it does not start with '/'"));
        }
        let segs: Vec<&str> = trimmed[1..].split('/').collect();
        if segs.iter().any(|s| s.is_empty()) {
            return Err(err("it has an empty segment"));
        }
        let mut out = ResourceId {
            raw: trimmed.to_string(),
            subscription: None,
            resource_group: None,
            types: Vec::new(),
            namespace: None,
        };
        let mut i = 0;
        while i < segs.len() {
            let seg = segs[i];
            if seg.eq_ignore_ascii_case("subscriptions") && out.namespace.is_none() {
                out.subscription = Some(
                    segs.get(i + 1)
                        .ok_or_else(|| err("subscription id missing"))?
                        .to_string(),
                );
                i += 2;
            } else if seg.eq_ignore_ascii_case("resourceGroups") && out.namespace.is_none() {
                out.resource_group = Some(
                    segs.get(i + 1)
                        .ok_or_else(|| err("resource group name missing"))?
                        .to_string(),
                );
                i += 2;
            } else if seg.eq_ignore_ascii_case("providers") {
                out.namespace = Some(
                    segs.get(i + 1)
                        .ok_or_else(|| err("provider namespace missing"))?
                        .to_string(),
                );
                out.types.clear();
                i += 2;
            } else if out.namespace.is_some() {
                let name = segs.get(i + 1).map(|s| s.to_string()).unwrap_or_default();
                out.types.push((seg.to_string(), name));
                i += 2;
            } else {
                return Err(err("unexpected segment before 'providers'"));
            }
        }
        if out.subscription.is_none() {
            return Err(err("it names no subscription"));
        }
        Ok(out)
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }
    pub fn subscription(&self) -> &str {
        self.subscription.as_deref().unwrap_or_default()
    }
    pub fn resource_group(&self) -> Option<&str> {
        self.resource_group.as_deref()
    }
    /// The last resource name in the id (`snet-app` for a subnet id).
    pub fn name(&self) -> &str {
        self.types
            .last()
            .map(|(_, n)| n.as_str())
            .unwrap_or_default()
    }
    /// The name of the resource at depth `i` below the namespace (0 = top-level resource).
    pub fn name_at(&self, i: usize) -> Option<&str> {
        self.types.get(i).map(|(_, n)| n.as_str())
    }
    /// The full type such as `Microsoft.Network/virtualNetworks/subnets`.
    pub fn resource_type(&self) -> String {
        let mut t = self.namespace.clone().unwrap_or_default();
        for (ty, _) in &self.types {
            t.push('/');
            t.push_str(ty);
        }
        t
    }
    /// The id of the parent resource (the VNet of a subnet), when there is one.
    pub fn parent(&self) -> Option<String> {
        let cut = self.raw.rfind('/')?;
        let cut = self.raw[..cut].rfind('/')?;
        let parent = &self.raw[..cut];
        // A top-level resource's parent is its resource group, which is not a resource we track.
        if parent.to_ascii_lowercase().ends_with(&format!(
            "/providers/{}",
            self.namespace
                .as_deref()
                .unwrap_or_default()
                .to_ascii_lowercase()
        )) {
            return None;
        }
        Some(parent.to_string())
    }
    pub fn key(&self) -> String {
        id_key(&self.raw)
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// The subscription id named by a resource id, if the id parses.
pub fn subscription_of(id: &str) -> Option<String> {
    ResourceId::parse(id)
        .ok()
        .map(|r| r.subscription().to_ascii_lowercase())
}

/// The last name segment of a resource id, without parsing it fully.
pub fn last_name(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

/// For child resources that ARM nests under another resource through `/providers/` (diagnostic
/// settings: `{resource}/providers/microsoft.insights/diagnosticSettings/{name}`), the id of the
/// resource they belong to.
pub fn extension_parent(id: &str) -> Option<&str> {
    let lower = id.to_ascii_lowercase();
    let pos = lower.rfind("/providers/microsoft.insights/")?;
    Some(&id[..pos])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_keys_ignore_case_and_trailing_slashes() {
        use std::collections::HashMap;
        let mut m = HashMap::new();
        m.insert(
            IdKey::new("/subscriptions/S1/resourceGroups/RG/providers/x/y/Z"),
            1,
        );
        assert_eq!(
            m.get(IdRef::new(
                "/SUBSCRIPTIONS/s1/resourcegroups/rg/providers/X/Y/z/ "
            )),
            Some(&1)
        );
        assert_eq!(
            m.get(IdRef::new(
                "/subscriptions/S1/resourceGroups/RG/providers/x/y/Z2"
            )),
            None
        );
        // Longer than one hashing chunk, differing only in case past the first 64 bytes.
        let long = format!(
            "/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/VNet",
            "a".repeat(60)
        );
        m.insert(IdKey::new(&long), 2);
        assert_eq!(m.get(IdRef::new(&long.to_ascii_uppercase())), Some(&2));
    }

    #[test]
    fn parses_subnet_id() {
        let id = ResourceId::parse(
            "/subscriptions/S1/resourcegroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s",
        )
        .unwrap();
        assert_eq!(id.subscription(), "S1");
        assert_eq!(id.resource_group(), Some("rg"));
        assert_eq!(id.name(), "s");
        assert_eq!(
            id.resource_type(),
            "Microsoft.Network/virtualNetworks/subnets"
        );
        assert_eq!(
            id.parent().as_deref(),
            Some(
                "/subscriptions/S1/resourcegroups/rg/providers/Microsoft.Network/virtualNetworks/v"
            )
        );
    }

    #[test]
    fn top_level_resource_has_no_parent() {
        let id = ResourceId::parse(
            "/subscriptions/S1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
        )
        .unwrap();
        assert_eq!(id.parent(), None);
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "",
            "subscriptions/x",
            "/subscriptions",
            "/subscriptions//resourceGroups/x",
            "/foo/bar",
        ] {
            assert!(ResourceId::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn ids_compare_case_insensitively() {
        assert!(same_id(
            "/subscriptions/A/resourceGroups/RG",
            "/SUBSCRIPTIONS/a/resourcegroups/rg/"
        ));
        assert_eq!(id_key("/Subscriptions/A/"), "/subscriptions/a");
    }

    #[test]
    fn finds_the_resource_a_diagnostic_setting_belongs_to() {
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/providers/microsoft.insights/diagnosticSettings/d";
        assert_eq!(
            extension_parent(id),
            Some("/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv")
        );
    }
}
