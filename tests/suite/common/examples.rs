//! Where Microsoft's ARM example files are, for the tests that read them. They are not in the repo:
//! locally they sit in `../shared/arm-examples/`, and CI fetches them at the commits pinned in
//! `tests/arm-examples.tsv` (`.github/fetch-arm-examples.sh`) and names the folder in
//! `AZAUDIT_ARM_EXAMPLES`.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The folder the examples are looked for in.
pub fn examples_location() -> PathBuf {
    match std::env::var_os("AZAUDIT_ARM_EXAMPLES") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/arm-examples"),
    }
}

/// Whether this is a CI run, where a test that checks nothing must not pass.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The examples folder, or `None` (after printing SKIPPED) when it is absent outside CI. Under
/// `CI=true` an absent folder panics: a conformance test that skipped would pass having checked
/// nothing.
pub fn examples_dir(test: &str) -> Option<PathBuf> {
    let dir = examples_location();
    if dir.is_dir() {
        return Some(dir);
    }
    let how = "set AZAUDIT_ARM_EXAMPLES to a folder holding them, or run \
               `bash .github/fetch-arm-examples.sh` (it fetches the files pinned in \
               tests/arm-examples.tsv and prints the folder)";
    if in_ci() {
        panic!(
            "{test}: Microsoft's ARM examples are not at {} and CI=true, so this test would check \
             nothing; {how}",
            dir.display()
        );
    }
    eprintln!(
        "SKIPPED {test}: Microsoft's ARM examples are not at {}; {how}",
        dir.display()
    );
    None
}

/// Reads one example file (`service/File.json`) as JSON; a file the manifest promises but the folder
/// lacks is a failure, not a skip.
pub fn read_example(dir: &Path, rel: &str) -> Value {
    let path = dir.join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read example {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not JSON: {e}"))
}
