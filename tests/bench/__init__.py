"""`make bench`: throughput, batch completion and replay cost on this machine.

Run with `python -m tests.bench [--quick] [--json PATH]`. Every scenario runs in a fresh
subprocess (`tests.bench.scenario`), so peak RSS is per scenario and one emulator (or one
durabletask backend) runs per process, as the emulator requires. Nothing here is collected by
pytest: speed is measured and printed, never asserted.
"""
