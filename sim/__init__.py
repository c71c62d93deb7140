"""ikesim: IKE Phase 1 certificate authentication as Junos OS does it on SRX devices."""

# The one version number: pyproject.toml reads it at build time, `ikesim --version` prints it
# and results.json records it.
__version__ = "0.1.0"
