"""The `ikesim` command: the entry module (sim.cli.main), one module per subcommand (run,
pki, ops, library) and the command's errors in a module of their own (sim.cli.errors)."""
