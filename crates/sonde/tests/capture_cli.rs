//! `sonde capture` without traffic: the interface list, argument errors, a
//! bad capture filter, and the missing-permission message (as user nobody).
//! Tests that need root print why they skip otherwise.

mod netns;

use netns::TempDir;
use std::process::{Command, Output, Stdio};

const SONDE: &str = env!("CARGO_BIN_EXE_sonde");

fn sonde(args: &[&str]) -> Output {
    Command::new("timeout")
        .arg("30")
        .arg(SONDE)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run sonde")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| text(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

#[test]
fn list_shows_loopback_with_its_address() {
    let o = sonde(&["capture", "-D"]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    let lo = out
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("lo"))
        .unwrap_or_else(|| panic!("no lo in -D output:\n{out}"));
    assert!(lo.starts_with(|c: char| c.is_ascii_digit()), "{lo}");
    assert!(lo.contains("Loopback"), "{lo}");
    assert!(lo.contains("127.0.0.1/8"), "{lo}");
    // Every line is numbered from 1, like tshark -D.
    for (n, l) in out.lines().enumerate() {
        assert!(l.starts_with(&format!("{}. ", n + 1)), "{l}");
    }
}

#[test]
fn missing_interface_lists_the_available_ones() {
    let o = sonde(&["capture", "-i", "nosuch0", "-c", "1"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no interface named 'nosuch0'"), "{err}");
    let avail = err
        .lines()
        .find(|l| l.contains("available interfaces:"))
        .unwrap_or_else(|| panic!("no list of interfaces: {err}"));
    assert!(avail.contains("lo"), "{avail}");
}

#[test]
fn bad_stop_and_ring_conditions_are_explained() {
    for (args, want) in [
        (
            &["-a", "duration:soon"][..],
            "duration is a number of seconds",
        ),
        (&["-a", "bytes:3"][..], "use duration:SECONDS"),
        (
            &["-b", "files:3", "-w", "/tmp/x.pcapng"][..],
            "ring buffer needs",
        ),
        (&["-b", "filesize:10"][..], "ring buffer (-b) needs -w FILE"),
        (&["-a", "filesize:10"][..], "needs a file"),
        (&["-t", "zz"][..], "invalid time format"),
        (&["-Y", "icmp", "-w", "/tmp/x.pcapng"][..], "add -P"),
    ] {
        let mut all = vec!["capture", "-i", "lo"];
        all.extend_from_slice(args);
        let o = sonde(&all);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    }
}

#[test]
fn bad_display_filter_points_at_the_mistake() {
    // Checked before the capture opens: no root needed.
    let o = sonde(&["capture", "-i", "lo", "-Y", "tcp.prot == 80"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.starts_with("sonde: invalid display filter"), "{err}");
    assert!(err.contains("tcp.prot"), "{err}");
    assert!(err.contains('^'), "no caret under the mistake: {err}");
}

#[test]
fn help_describes_every_flag() {
    let o = sonde(&["capture", "--help"]);
    let out = text(&o.stdout);
    for flag in [
        "-D", "-i", "-f", "-s", "-p", "-B", "-c", "-a", "-b", "-w", "-P", "-q", "-Y", "-t", "-n",
        "-l",
    ] {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(flag))
            .unwrap_or_else(|| panic!("{flag} missing from --help:\n{out}"));
        assert!(line.len() > flag.len() + 8, "{flag} has no description");
    }
}

#[test]
fn bad_capture_filter_is_reported() {
    if !is_root() {
        eprintln!("skipped: capturing on lo needs root");
        return;
    }
    let o = sonde(&["capture", "-i", "lo", "-f", "tcp prot 80", "-c", "1"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("invalid capture filter 'tcp prot 80'"),
        "{err}"
    );
    assert!(err.contains("pcap-filter"), "hint missing: {err}");
}

#[test]
fn no_permission_says_what_is_missing_and_how_to_grant_it() {
    if !is_root() {
        eprintln!("skipped: switching to user nobody needs root");
        return;
    }
    let Some(tool) = ["setpriv", "runuser"].into_iter().find(|t| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }) else {
        eprintln!("skipped: neither setpriv nor runuser is installed");
        return;
    };
    // A copy nobody can read and run (the target directory may not be).
    let dir = TempDir::new("perm");
    let bin = dir.file("sonde");
    std::fs::copy(SONDE, &bin).unwrap();
    run_chmod(dir.path().to_str().unwrap(), "755");
    run_chmod(&bin, "755");
    let mut cmd = Command::new("timeout");
    cmd.arg("30");
    if tool == "setpriv" {
        cmd.args([
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "--inh-caps=-all",
        ]);
    } else {
        cmd.args(["runuser", "-u", "nobody", "--"]);
    }
    let o = cmd
        .args([&bin, "capture", "-i", "lo", "-c", "1"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let first = err.lines().next().unwrap_or_default();
    assert!(first.contains("no permission to capture on lo"), "{err}");
    assert!(first.contains("CAP_NET_RAW"), "{err}");
    assert!(
        err.contains("run as root") && err.contains("setcap cap_net_raw,cap_net_admin=eip"),
        "{err}"
    );
}

fn run_chmod(path: &str, mode: &str) {
    let ok = Command::new("chmod")
        .args([mode, path])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "chmod {mode} {path}");
}
