fn main() {
    std::process::exit(oamc::cli::main());
}
