//! Where `--output` writes: through symlinks atomically, in place into FIFOs and devices, and
//! failing with exit 2 when the target cannot take the report.

#![cfg(unix)]

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::process::{Command, Output, Stdio};

fn azaudit(args: &[&str]) -> Output {
    crate::common::azaudit_command()
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_symlink_is_written_through_to_its_target_by_rename_beside_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let target = reports.join("latest.json");
    std::fs::write(&target, "old").unwrap();
    let before = std::fs::metadata(&target).unwrap().ino();
    let link = dir.path().join("report.json");
    std::os::unix::fs::symlink("reports/latest.json", &link).unwrap();
    let o = azaudit(&[
        "scan",
        "--demo",
        "--format",
        "json",
        "--fail-on",
        "never",
        "-o",
        link.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link is still a link");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        std::path::PathBuf::from("reports/latest.json")
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(r["schema_version"], "1.2.0");
    assert_ne!(
        std::fs::metadata(&target).unwrap().ino(),
        before,
        "the target was replaced by a rename, not rewritten in place"
    );
    assert_eq!(names(dir.path()), vec!["report.json", "reports"]);
    assert_eq!(names(&reports), vec!["latest.json"], "no temporary left");
}

#[test]
fn a_dangling_symlink_creates_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("report.sarif");
    let target = dir.path().join("out.sarif");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let o = azaudit(&[
        "scan",
        "--demo",
        "--format",
        "sarif",
        "--fail-on",
        "never",
        "-o",
        link.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("\"2.1.0\"")
    );
}

#[test]
fn a_fifo_is_written_in_place_and_stays_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let child = crate::common::azaudit_command()
        .args([
            "scan",
            "--demo",
            "--format",
            "ndjson",
            "--fail-on",
            "never",
            "-o",
        ])
        .arg(&fifo)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Opening the read end waits for the writer, then reads to its end.
    let text = std::fs::read_to_string(&fifo).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(text.lines().count() > 5, "{text}");
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["record_type"], if i == 0 { "run" } else { "finding" });
        assert!(i == 0 || v["rule"].is_string());
    }
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert_eq!(names(dir.path()), vec!["pipe"]);
}

#[test]
fn dev_stdout_and_dev_null_are_written_not_replaced() {
    let o = azaudit(&[
        "scan",
        "--demo",
        "--format",
        "json",
        "--fail-on",
        "never",
        "-o",
        "/dev/stdout",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["schema_version"], "1.2.0");
    assert!(
        std::fs::symlink_metadata("/dev/stdout")
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let o = azaudit(&["scan", "--demo", "-o", "/dev/null"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn a_full_device_is_exit_2_with_no_space_left() {
    let o = azaudit(&["scan", "--demo", "--fail-on", "never", "-o", "/dev/full"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(
        err.trim(),
        "azaudit: error: cannot write /dev/full: no space left on device"
    );
    assert!(
        std::fs::metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    // The snapshot of `collect` and standard output go the same way.
    let o = crate::common::azaudit_command()
        .args(["scan", "--demo", "--fail-on", "never"])
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot write standard output: no space left on device"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_directory_is_exit_2_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let o = azaudit(&["scan", "--demo", "-o", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
    assert!(names(dir.path()).is_empty());
}

#[test]
fn two_formats_to_one_file_are_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.out");
    let link = dir.path().join("link.out");
    std::os::unix::fs::symlink("r.out", &link).unwrap();
    let same = format!("{}/./r.out", dir.path().display());
    for other in [file.to_str().unwrap(), &same, link.to_str().unwrap()] {
        let o = azaudit(&[
            "scan",
            "--demo",
            "--format",
            "json",
            "--format",
            "sarif",
            "-o",
            &format!("json={}", file.display()),
            "-o",
            &format!("sarif={other}"),
        ]);
        assert_eq!(o.status.code(), Some(2), "{other}");
        let err = stderr(&o);
        assert!(
            err.contains("json and sarif would both be written to"),
            "{other}: {err}"
        );
        assert!(!file.exists(), "nothing written before the check");
    }
    // `/dev/stdout` is standard output: with another format already there, it is refused too.
    let o = azaudit(&[
        "scan",
        "--demo",
        "--format",
        "table",
        "--format",
        "json",
        "-o",
        "json=/dev/stdout",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("standard output"), "{}", stderr(&o));
}

/// An output that cannot be written is refused before the tenant is read: a live read against an
/// endpoint that refuses connections fails on the output, not on the read.
#[test]
fn outputs_are_checked_before_anything_is_read() {
    for command in ["scan", "collect"] {
        let o = crate::common::azaudit_command()
            .args([
                command,
                "--subscription",
                "00000000-0000-4000-8000-000000000001",
                "--auth",
                "token",
                "--arm-endpoint",
                "https://127.0.0.1:9",
                "-o",
                "/missing-dir/report.json",
            ])
            .env("AZAUDIT_ACCESS_TOKEN", "not-a-real-token")
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{command}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            err.trim_end(),
            "azaudit: error: cannot write /missing-dir/report.json: no such file or directory",
            "{command}"
        );
    }
}

/// New reports and snapshots get 0666 less the umask, not 0600: another user's forwarder reads them.
#[cfg(unix)]
#[test]
fn new_files_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 027 && exec \"$0\" scan --demo --fail-on never --format json -o {}",
            out.display()
        ))
        .arg(env!("CARGO_BIN_EXE_azaudit"))
        .status()
        .unwrap();
    assert!(status.success());
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // A file that exists keeps its mode when replaced.
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o604)).unwrap();
    let o = crate::common::azaudit(&[
        "scan",
        "--demo",
        "--fail-on",
        "never",
        "--format",
        "json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o604
    );
}
