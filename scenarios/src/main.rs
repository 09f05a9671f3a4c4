//! The `faultline` command line.

fn main() {
    println!("faultline: no subcommands yet");
}
