//! Progress on stderr while a live collection runs. On a terminal, one redrawn line: requests,
//! retries, throttling. Elsewhere (CI logs, cron jobs) nothing is redrawn: one line per phase of
//! the collection, with what it read, the requests so far and the time since the start, so a job
//! log shows where a long read is.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::arm::{ArmClient, RequestStats};

pub struct Progress {
    bar: ProgressBar,
}

fn describe(s: &RequestStats) -> String {
    let mut line = format!(
        "{} requests · {} retries · {} throttled ({} s waited) · {} KiB",
        s.requests,
        s.retries,
        s.throttled,
        s.throttle_wait_ms / 1000,
        s.bytes / 1024
    );
    if s.graph_queries > 0 {
        line += &format!(" · {} Resource Graph queries", s.graph_queries);
    }
    if s.batch_calls > 0 {
        line += &format!(
            " · {} batches ({} inner requests)",
            s.batch_calls, s.batch_inner_requests
        );
    }
    line
}

/// One phase line: `azaudit: [  12.3 s] subscriptions: 2 to read of 3 visible · 1 request(s)`.
pub fn phase_line(elapsed: Duration, what: &str, s: &RequestStats) -> String {
    let mut line = format!(
        "azaudit: [{:>6.1} s] {what} · {} request(s)",
        elapsed.as_secs_f64(),
        s.requests
    );
    if s.throttled > 0 {
        line += &format!(", {} throttled", s.throttled);
    }
    line
}

impl Progress {
    /// Starts the display; `quiet` draws nothing and prints no phase line.
    pub fn start(client: &ArmClient, quiet: bool) -> Self {
        let started = std::time::Instant::now();
        if quiet {
            return Progress {
                bar: ProgressBar::hidden(),
            };
        }
        if !std::io::stderr().is_terminal() {
            client.set_phase_hook(Arc::new(move |what: &str, s: &RequestStats| {
                eprintln!("{}", phase_line(started.elapsed(), what, s));
            }));
        }
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} reading Azure Resource Manager: {msg}")
                    .expect("valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        } else {
            ProgressBar::hidden()
        };
        let hook_bar = bar.clone();
        client.set_progress(Arc::new(move |s: &RequestStats| {
            hook_bar.set_message(describe(s))
        }));
        Progress { bar }
    }

    pub fn finish(self, stats: &RequestStats) {
        if !self.bar.is_hidden() {
            self.bar.finish_with_message(describe(stats));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phase_line_says_what_how_many_requests_and_when() {
        let s = RequestStats {
            requests: 12,
            ..RequestStats::default()
        };
        assert_eq!(
            phase_line(
                Duration::from_millis(2340),
                "subscriptions: 2 to read of 3 visible",
                &s
            ),
            "azaudit: [   2.3 s] subscriptions: 2 to read of 3 visible · 12 request(s)"
        );
        let throttled = RequestStats {
            requests: 40,
            throttled: 3,
            ..RequestStats::default()
        };
        assert!(
            phase_line(Duration::ZERO, "x", &throttled).ends_with("40 request(s), 3 throttled")
        );
    }
}
