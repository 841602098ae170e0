//! Human output fits the width it is given (`COLUMNS`, else the terminal's) and colours
//! severities only when asked or on a terminal (`--color`, `NO_COLOR`); a pipe gets neither.

use crate::common::azaudit_command;

const ESC: &str = "\x1b[";

fn run(columns: Option<&str>, args: &[&str]) -> String {
    let mut cmd = azaudit_command();
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    let o = cmd.args(args).output().unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn widest(text: &str, keep: impl Fn(&str) -> bool) -> usize {
    text.lines()
        .filter(|l| !keep(l))
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
}

/// Commands and evidence stay whole so that they can be copied; a URL is one word.
fn whole(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("az ") || t.starts_with('{') || t.starts_with("https://")
}

const HUMAN: &[&[&str]] = &[
    &["rules"],
    &["routes", "--demo", "--subnet", "vnet-spoke-app/snet-app"],
    &[
        "effective-rules",
        "--demo",
        "--subnet",
        "vnet-spoke-app/snet-app",
    ],
    &[
        "resolve",
        "--demo",
        "--vnet",
        "vnet-spoke-data",
        "kv-data-contoso.vault.azure.net",
    ],
    &["explain", "NSG101"],
    &[
        "scan",
        "--demo",
        "--fail-on",
        "never",
        "--as-of",
        "2026-11-24T09:00:00Z",
    ],
];

#[test]
fn every_human_output_fits_80_columns() {
    for args in HUMAN {
        let text = run(Some("80"), args);
        assert!(!text.is_empty(), "{args:?}");
        let w = widest(&text, whole);
        assert!(w <= 80, "{args:?} is {w} columns wide at 80:\n{text}");
    }
}

#[test]
fn wide_terminals_get_wide_tables() {
    for args in [
        &["rules"][..],
        &["scan", "--demo", "--fail-on", "never"][..],
    ] {
        let narrow = run(Some("80"), args);
        let wide = run(Some("200"), args);
        assert!(widest(&wide, whole) <= 200, "{args:?}");
        // Fewer lines when there is room: rows stop wrapping.
        assert!(
            wide.lines().count() < narrow.lines().count(),
            "{args:?}: {} lines at 200 columns, {} at 80",
            wide.lines().count(),
            narrow.lines().count()
        );
    }
    // The widest rule title fits on one row at 200 columns.
    let wide = run(Some("200"), &["rules"]);
    assert!(wide.contains("│ NSG101 ┆ vnet-tag-widened-by-udr"));
    assert_eq!(
        wide.lines().filter(|l| l.starts_with("│ ")).count(),
        run(None, &["rules", "--format", "json"])
            .matches("\"code\"")
            .count()
            + 1,
        "one line per rule and the header"
    );
}

#[test]
fn explain_wraps_its_paragraphs_off_a_terminal_too() {
    let text = run(None, &["explain", "NSG101"]);
    assert!(widest(&text, whole) <= 100, "{text}");
    // Wrapped lines keep the paragraph's indentation.
    let why = text
        .split("Why it matters\n")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap();
    assert!(why.lines().count() > 1, "{why}");
    assert!(why.lines().all(|l| l.starts_with("  ")), "{why}");
}

#[test]
fn severities_are_coloured_only_when_asked_or_on_a_terminal() {
    let scan = ["scan", "--demo", "--fail-on", "never"];
    // A pipe: no colour, whatever NO_COLOR says.
    assert!(!run(None, &scan).contains(ESC));
    let mut always = vec!["--color", "always"];
    always.extend(scan);
    let coloured = run(None, &always);
    assert!(
        coloured.contains("\x1b[1;31mHIGH (14)\x1b[0m"),
        "{coloured}"
    );
    assert!(coloured.contains("\x1b[33m25 medium\x1b[0m"), "{coloured}");
    // Zero counts stay plain.
    assert!(coloured.contains(" 0 critical,"), "{coloured}");
    // Only colour differs (and the run's duration).
    assert_eq!(comparable(&coloured), comparable(&run(None, &scan)));
    let rules = run(None, &["rules", "--color", "always"]);
    assert!(rules.contains(ESC), "{rules}");
    assert!(!run(None, &["rules", "--color", "never"]).contains(ESC));
    assert!(!run(None, &["rules", "--color", "NEVER"]).contains(ESC));
    // An explicit --color always wins over NO_COLOR.
    let o = azaudit_command()
        .env("NO_COLOR", "1")
        .args(["--color", "always", "explain", "NSG101"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("\x1b[1;31mhigh\x1b[0m"));
    // A bad value is a usage error.
    let o = azaudit_command()
        .args(["--color", "sometimes", "rules"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// The text without ANSI sequences and without the summary's duration (`· 181 ms`).
fn comparable(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(ESC) {
        out.push_str(&rest[..at]);
        let after = &rest[at + ESC.len()..];
        let end = after.find('m').expect("an SGR sequence ends with m");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out.lines()
        .map(|l| match l.rfind(" · ") {
            Some(i) if l.ends_with(" ms") => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}
