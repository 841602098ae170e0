//! A progress line on stderr while a live collection runs: requests, retries, throttling. Nothing is
//! drawn when stderr is not a terminal (CI logs, cron jobs).

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

impl Progress {
    pub fn start(client: &ArmClient) -> Self {
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
