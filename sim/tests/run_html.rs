//! The report page of a run (`index.html`, written with every report): its embedded view holds
//! one lane per node and client process, the fault windows the nemesis opened and closed, who
//! led when, and every operation of the history; re-rendered from the report's files on disk,
//! it is the same page.
#![cfg(madsim)]

mod run_support;

use faultline_sim::html;
use faultline_sim::plan::Plan;
use faultline_sim::run::{Verdict, run_plan, write_report};
use faultline_sim::workload::HistoryEvent;

/// The view JSON embedded in a page.
fn embedded(page: &str) -> serde_json::Value {
    let open = "id=\"faultline-data\">";
    let start = page.find(open).expect("the data block") + open.len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).expect("valid JSON")
}

#[test]
fn a_report_page_holds_the_whole_run() {
    let result = run_plan(&run_support::partition_kill(5));
    let root = std::env::temp_dir().join(format!("faultline-html-test-{}", std::process::id()));
    let dir = write_report(&root, &result).unwrap();
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let view = embedded(&page);

    assert_eq!(view["title"], "partition-kill seed 5");
    assert_eq!(view["unit"], "ms");
    let nodes = view["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    for n in nodes {
        let spans = n["spans"].as_array().unwrap();
        assert!(!spans.is_empty());
        // Spans tile the lane in time order.
        for w in spans.windows(2) {
            assert!(w[0]["to"].as_f64() <= w[1]["from"].as_f64());
        }
    }
    let names: Vec<&str> = view["faults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.starts_with(&["isolate-leader", "majority-minority"]),
        "{names:?}"
    );
    let windows = view["faults"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["to"].is_null())
        .count();
    assert!(
        windows >= 3,
        "two partitions and a kill are windows: {names:?}"
    );
    assert!(!view["leaders"].as_array().unwrap().is_empty());
    let ops = view["ops"].as_array().unwrap();
    assert_eq!(ops.len() as u64, result.verdict.stats.ops);
    assert!(
        ops.iter()
            .all(|o| o["end"].is_null() || o["end"].as_f64() >= o["start"].as_f64())
    );
    assert!(
        view["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["text"] == "liveness: healing every fault")
    );

    // The same page from the files on disk.
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let plan = Plan::from_json(&read("plan.json")).unwrap();
    let verdict: Verdict = serde_json::from_str(&read("verdict.json")).unwrap();
    let history: Vec<HistoryEvent> = read("history.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let trace: Vec<String> = read("trace.log").lines().map(str::to_string).collect();
    let again = html::render(&html::from_parts(&plan, &verdict, &history, &trace));
    assert_eq!(again, page);
    std::fs::remove_dir_all(&root).unwrap();
}
