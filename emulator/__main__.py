"""``python -m emulator``: start the emulator from the command line."""

from emulator.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
