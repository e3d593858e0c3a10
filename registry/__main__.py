"""`python -m registry` runs the command line."""
import sys

from registry.cli import run

if __name__ == "__main__":  # a spawned reader process imports this module too: it must not run main
    sys.exit(run())
