//! The HTML report in a real browser: headless Chromium renders it, every
//! chart has a size on the page, and the screenshot is not blank.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it). Without it the test
//! says so and skips; with `FAMILYFLOW_REQUIRE_BROWSER=1` (set by CI) it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn browser(bin: &Path, profile: &Path, args: &[&str], page: &Path) -> std::process::Output {
    Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts")
}

#[test]
fn the_report_renders_its_charts_in_a_browser() {
    let Some(bin) = chromium() else {
        assert!(
            std::env::var_os("FAMILYFLOW_REQUIRE_BROWSER").is_none(),
            "FAMILYFLOW_REQUIRE_BROWSER is set but chromium is not installed"
        );
        println!("SKIPPED: chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = common::TempDir::new("report");
    let out = dir.path().join("run");
    let mut sink = Vec::new();
    familyflow::cli::commands::run(
        Some(Path::new("scenarios/ffc-reform.toml")),
        1,
        Some(&out),
        false,
        &mut sink,
        &mut std::io::sink(),
    )
    .unwrap();
    familyflow::cli::commands::report(&out, &mut sink).unwrap();
    let page = out.join("report.html").canonicalize().unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network"
    );

    // The DOM after rendering: each chart records its rendered size.
    let dom = browser(&bin, &dir.path().join("p1"), &["--dump-dom"], &page);
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    let sizes: Vec<(u32, u32)> = dom
        .split("data-rendered=\"")
        .skip(1)
        .map(|rest| {
            let v = &rest[..rest.find('"').unwrap()];
            let (w, h) = v.split_once('x').unwrap();
            (w.parse().unwrap(), h.parse().unwrap())
        })
        .collect();
    assert!(
        sizes.len() >= 7,
        "{} charts rendered: {dom:.300}",
        sizes.len()
    );
    for (w, h) in &sizes {
        assert!(*w > 100 && *h > 100, "a chart rendered at {w}x{h}");
    }
    for id in [
        "flow",
        "referrals",
        "plans",
        "looked-after",
        "waiting",
        "staff",
        "spend",
    ] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "chart {id}");
    }

    // On a narrow screen every chart shrinks to fit (headless Chromium
    // keeps a window at least about 500 px wide, so the page's own width is
    // read back: each chart, 760 px wide at full size, must fit in it).
    let phone = browser(
        &bin,
        &dir.path().join("p3"),
        &["--window-size=390,2400", "--dump-dom"],
        &page,
    );
    let phone = String::from_utf8_lossy(&phone.stdout).into_owned();
    let viewport: u32 = phone
        .split("data-viewport=\"")
        .nth(1)
        .and_then(|rest| rest[..rest.find('"')?].parse().ok())
        .expect("the page records its width");
    assert!(viewport < 760, "a narrow window is {viewport} px wide");
    let widths: Vec<u32> = phone
        .split("data-rendered=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('x').unwrap()].parse().unwrap())
        .collect();
    assert_eq!(
        widths.len(),
        sizes.len(),
        "charts rendered on a narrow screen"
    );
    for w in &widths {
        assert!(
            *w > 100 && *w <= viewport,
            "a chart {w} px wide on a {viewport} px page"
        );
    }

    // The screenshot shows something: many colours, much not white.
    let shot = dir.path().join("shot.png");
    let o = browser(
        &bin,
        &dir.path().join("p2"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=900,2400",
        ],
        &page,
    );
    assert!(shot.exists(), "{}", String::from_utf8_lossy(&o.stderr));
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()].chunks(channels);
    let (mut total, mut coloured) = (0u64, 0u64);
    let mut colours = std::collections::BTreeSet::new();
    for p in pixels.step_by(7) {
        total += 1;
        if p[..3].iter().any(|&c| c < 235) {
            coloured += 1;
        }
        colours.insert((p[0] >> 4, p[1] >> 4, p[2] >> 4));
    }
    assert!(
        coloured * 100 > total * 3,
        "only {coloured} of {total} pixels are not white"
    );
    assert!(colours.len() > 20, "{} colours", colours.len());
    println!(
        "rendered {} charts; screenshot {}x{}, {:.1}% not white, {} colours",
        sizes.len(),
        info.width,
        info.height,
        100.0 * coloured as f64 / total as f64,
        colours.len()
    );
}
