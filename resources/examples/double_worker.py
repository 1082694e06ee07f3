#!/usr/bin/env python3
"""A Shoal service worker in line mode: one number in, its double out, one line each.

    shoal run --service 'python3 -u resources/examples/double_worker.py' ::: 1 2 3

Line mode has no error channel: a line that is not an integer raises, the worker dies, and
Shoal retries or fails the task with the traceback from stderr. The input "pid" answers with
this process's pid (the tests use it to see workers being recycled).
"""
import os
import sys


def main():
    write = sys.stdout.write
    pid = str(os.getpid())
    for line in sys.stdin:
        text = line.rstrip("\n")
        write((pid if text == "pid" else str(int(text) * 2)) + "\n")


if __name__ == "__main__":
    main()
