//! The campaign deployments are checked against the CLI they drive: the nightly GitHub
//! workflow (`.github/workflows/nightly.yml`) and the Kubernetes Indexed Job
//! (`deploy/k8s/campaign-job.yaml`) are parsed as YAML, their shard lists must cover
//! `0..N-1` exactly once with the same N their commands name, and every `faultline` command in
//! them must parse with this binary's clap definition (real subcommands, real flags). The
//! profile-guided build the workflow uses (`scripts/build-pgo`) is held to the same: its training
//! runs must parse, and the workflow must fuzz with the binary the script builds.

use std::path::PathBuf;

use clap::Parser;
use serde_json::Value;

use super::{Cli, Command};

fn repo_file(path: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "..", path].iter().collect()
}

fn yaml(path: &str) -> Value {
    let file = repo_file(path);
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path}: not YAML: {e}"))
}

/// Parses `args` (the words after `faultline`) with the CLI definition.
fn parse(args: &[String], context: &str) -> Command {
    let argv = std::iter::once("faultline".to_string()).chain(args.iter().cloned());
    match Cli::try_parse_from(argv) {
        Ok(cli) => cli.command,
        Err(e) => panic!(
            "{context}: `faultline {}` does not parse: {e}",
            args.join(" ")
        ),
    }
}

/// The `faultline …` commands of a shell script: each line (continuations joined) whose
/// command is a `faultline` binary, as words up to the first redirection or pipe, quotes
/// removed.
fn faultline_commands(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((first, rest)) = words.split_first() else {
            continue;
        };
        if *first != "faultline" && !first.ends_with("/faultline") {
            continue;
        }
        let args: Vec<String> = rest
            .iter()
            .take_while(|w| !matches!(**w, ">" | ">>" | "|" | "||" | "&&" | ";" | "2>&1"))
            .map(|w| w.trim_matches('"').trim_matches('\'').to_string())
            .collect();
        out.push(args);
    }
    out
}

fn shard_of(command: &Command) -> Option<String> {
    match command {
        Command::Fuzz(args) => Some(args.shard_spec()),
        Command::Run(args) => Some(args.shard_spec()),
        _ => None,
    }
}

#[test]
fn the_nightly_workflow_runs_real_commands_over_every_shard() {
    let wf = yaml(".github/workflows/nightly.yml");
    let on = &wf["on"];
    assert!(
        on.get("schedule").is_some(),
        "the workflow runs on a schedule"
    );
    assert!(on.get("workflow_dispatch").is_some(), "and by hand");
    let default_duration = on["workflow_dispatch"]["inputs"]["duration"]["default"]
        .as_str()
        .expect("a default duration");

    let fuzz = &wf["jobs"]["fuzz"];
    let shards: Vec<u64> = fuzz["strategy"]["matrix"]["shard"]
        .as_array()
        .expect("a shard matrix")
        .iter()
        .map(|v| v.as_u64().expect("shard indices are integers"))
        .collect();
    let n = shards.len() as u64;
    assert_eq!(
        shards,
        (0..n).collect::<Vec<_>>(),
        "the matrix covers 0..N-1 once"
    );

    let scripts: Vec<String> = wf["jobs"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|job| job["steps"].as_array().cloned().unwrap_or_default())
        .filter_map(|step| step["run"].as_str().map(str::to_string))
        .collect();
    // Expand the expressions the way the runner would, per shard for per-shard scripts.
    let mut commands: Vec<Vec<String>> = Vec::new();
    for script in &scripts {
        let per_shard = script.contains("${{ matrix.shard }}");
        for shard in if per_shard { &shards[..] } else { &shards[..1] } {
            let expanded = script
                .replace("${{ matrix.shard }}", &shard.to_string())
                .replace("$DURATION", default_duration);
            assert!(
                !expanded.contains("${{"),
                "an expression the test does not know: {expanded}"
            );
            commands.extend(faultline_commands(&expanded));
        }
    }
    assert!(
        commands.len() >= 2,
        "a fuzz and a merge command: {commands:?}"
    );
    let mut fuzzed = Vec::new();
    for words in &commands {
        if let Some(spec) = shard_of(&parse(words, "nightly.yml")) {
            fuzzed.push(spec);
        }
    }
    let expected: Vec<String> = shards.iter().map(|i| format!("{i}/{n}")).collect();
    assert_eq!(
        fuzzed, expected,
        "one fuzz command per shard, all of one campaign"
    );
    assert!(
        commands
            .iter()
            .any(|c| c.first().map(String::as_str) == Some("merge")),
        "the workflow merges the shards"
    );
    assert_eq!(
        fuzz["env"]["DURATION"].as_str(),
        Some("${{ inputs.duration || '45m' }}")
    );
}

#[test]
fn the_kubernetes_job_gives_each_completion_index_its_shard() {
    let job = yaml("deploy/k8s/campaign-job.yaml");
    assert_eq!(job["kind"], "Job");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let n = spec["completions"].as_u64().expect("completions");
    assert_eq!(spec["parallelism"].as_u64(), Some(n), "every shard at once");
    let container = &spec["template"]["spec"]["containers"][0];
    assert_eq!(container["command"][0], "faultline");
    let index_from_annotation = container["env"].as_array().unwrap().iter().any(|e| {
        e["name"] == "JOB_COMPLETION_INDEX"
            && e["valueFrom"]["fieldRef"]["fieldPath"]
                == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    });
    assert!(
        index_from_annotation,
        "JOB_COMPLETION_INDEX is the completion index"
    );
    let args: Vec<String> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().expect("string args").to_string())
        .collect();
    let mut shards = Vec::new();
    for index in 0..n {
        let words: Vec<String> = args
            .iter()
            .map(|a| a.replace("$(JOB_COMPLETION_INDEX)", &index.to_string()))
            .collect();
        let command = parse(&words, "campaign-job.yaml");
        shards.push(shard_of(&command).expect("a fuzz or run command"));
    }
    let expected: Vec<String> = (0..n).map(|i| format!("{i}/{n}")).collect();
    assert_eq!(shards, expected);
}

#[test]
fn the_profile_guided_build_trains_on_real_campaigns_of_both_systems() {
    let file = repo_file("scripts/build-pgo");
    let script = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
    let trainings: Vec<Vec<String>> = script
        .lines()
        .filter_map(|line| line.trim().strip_prefix("train "))
        .map(|rest| rest.split_whitespace().map(str::to_string).collect())
        .collect();
    let mut systems = Vec::new();
    for words in &trainings {
        match parse(words, "scripts/build-pgo") {
            Command::Run(_) => {}
            other => panic!("a training run is a campaign, not {other:?}"),
        }
        let system = words
            .iter()
            .position(|w| w == "--system")
            .map_or("openraft", |i| words[i + 1].as_str());
        systems.push(system.to_string());
    }
    systems.sort();
    assert_eq!(
        systems,
        ["openraft", "raft-io"],
        "one training run per system"
    );
    assert!(script.contains(r#"cp "$work/use/release/faultline" "$work/faultline""#));
    assert!(script.contains("work=$root/target/pgo"));

    let workflow = std::fs::read_to_string(repo_file(".github/workflows/nightly.yml")).unwrap();
    assert!(workflow.contains("run: scripts/build-pgo"));
    assert!(workflow.contains("run: ./target/pgo/faultline fuzz"));
    assert!(workflow.contains("path: target/pgo/faultline"));
}

#[test]
fn the_command_extractor_finds_commands_and_stops_at_redirections() {
    let script =
        "chmod +x bin/faultline\nbin/faultline merge a.json \\\n  b.json --markdown >> \"$X\"\n";
    assert_eq!(
        faultline_commands(script),
        vec![vec!["merge", "a.json", "b.json", "--markdown"]]
    );
}
