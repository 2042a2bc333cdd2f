"""Entry point of the packaged app: the ``mvstudio`` command (no arguments: the window)."""

import multiprocessing
import sys

from mvstudio.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # joblib/loky workers re-enter here in a frozen app
    sys.exit(main())
