//! How human output fits where it goes: the width tables and paragraphs wrap at, and whether
//! severities are coloured. Decided once per run from `--color`, `NO_COLOR`, `COLUMNS` and
//! whether standard output is a terminal.

use std::io::IsTerminal;
use std::sync::OnceLock;

use clap::ValueEnum;

use crate::findings::Severity;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Colour when standard output is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Colour whatever the output is (a pager that reads ANSI, a CI log that shows it).
    Always,
    /// Never colour.
    Never,
}

/// Whether to colour: `always` and `never` as said; `auto` on a terminal unless `NO_COLOR` is set
/// to anything but the empty string (no-color.org).
pub fn colour_decision(
    choice: ColorChoice,
    stdout_is_terminal: bool,
    no_color: Option<&str>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout_is_terminal && no_color.is_none_or(str::is_empty),
    }
}

/// The width to fit: `COLUMNS` when set (also off a terminal, so a log can ask for one), else the
/// terminal's when standard output is one; `None` off a terminal.
pub fn width_decision(columns: Option<&str>, terminal: Option<u16>) -> Option<u16> {
    columns
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|w| *w >= 20)
        .or(terminal)
}

/// The decisions for standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub choice: ColorChoice,
    /// Whether standard output gets colour.
    pub colour: bool,
    /// The width standard output fits.
    pub width: Option<u16>,
    /// `COLUMNS`, for output to a file.
    pub columns: Option<u16>,
}

static TERM: OnceLock<Term> = OnceLock::new();

/// Decides once for the run (later calls keep the first decision).
pub fn init(choice: ColorChoice) -> Term {
    *TERM.get_or_init(|| {
        let stdout_is_terminal = std::io::stdout().is_terminal();
        let no_color = std::env::var("NO_COLOR").ok();
        let columns = std::env::var("COLUMNS").ok();
        let terminal = if stdout_is_terminal {
            comfy_table::Table::new().width()
        } else {
            None
        };
        Term {
            choice,
            colour: colour_decision(choice, stdout_is_terminal, no_color.as_deref()),
            width: width_decision(columns.as_deref(), terminal),
            columns: width_decision(columns.as_deref(), None),
        }
    })
}

/// The run's decisions (`auto` if [`init`] was not called, as in library use).
pub fn current() -> Term {
    init(ColorChoice::Auto)
}

/// The ANSI colour of a severity, as comfy-table names it.
pub fn severity_colour(s: Severity) -> comfy_table::Color {
    use comfy_table::Color;
    match s {
        Severity::Critical => Color::Magenta,
        Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
        Severity::Info => Color::Grey,
    }
}

/// `text` in the severity's colour when colouring, else unchanged.
pub fn paint(text: &str, s: Severity, colour: bool) -> String {
    crate::report::paint(text, s, colour)
}

/// Applies the colour decision to a table: comfy-table styles cells only on a terminal unless told.
pub fn style_table(t: &mut comfy_table::Table, colour: bool) {
    if colour {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
}

pub use crate::report::fit_lines;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{wrap, wrap_hanging};

    #[test]
    fn colour_only_on_a_terminal_without_no_color_unless_told() {
        use ColorChoice::*;
        assert!(colour_decision(Auto, true, None));
        assert!(colour_decision(Auto, true, Some("")));
        assert!(!colour_decision(Auto, true, Some("1")));
        assert!(!colour_decision(Auto, false, None));
        assert!(colour_decision(Always, false, Some("1")));
        assert!(!colour_decision(Never, true, None));
    }

    #[test]
    fn columns_wins_then_the_terminal() {
        assert_eq!(width_decision(Some("100"), Some(80)), Some(100));
        assert_eq!(width_decision(None, Some(80)), Some(80));
        assert_eq!(width_decision(Some("wide"), Some(80)), Some(80));
        assert_eq!(width_decision(Some("5"), None), None);
        assert_eq!(width_decision(None, None), None);
    }

    #[test]
    fn paragraphs_wrap_at_the_width_with_their_indent() {
        let text = "Azure evaluates NSG rules by priority and stops at the first match.";
        let wrapped = wrap(text, 30, "  ");
        assert_eq!(
            wrapped,
            "  Azure evaluates NSG rules by\n  priority and stops at the\n  first match.\n"
        );
        assert!(wrapped.lines().all(|l| l.chars().count() <= 30));
        assert_eq!(
            wrap_hanging("one two three four five six", 20, "  ✓ ", "    "),
            "  ✓ one two three four\n    five six\n"
        );
        let long = wrap(
            "a https://learn.microsoft.com/azure/virtual-network/x b",
            24,
            "",
        );
        assert_eq!(
            long,
            "a\nhttps://learn.microsoft.com/azure/virtual-network/x\nb\n"
        );
    }
}
