"""Spends about SECONDS of CPU in a child process and half as much in itself, then exits."""

import subprocess
import sys
import time

SECONDS = 0.6


def spin(seconds: float) -> None:
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass


if __name__ == "__main__":
    if sys.argv[1:] == ["child"]:
        spin(SECONDS)
    else:
        child = subprocess.Popen([sys.executable, __file__, "child"])
        spin(SECONDS / 2)
        child.wait()
