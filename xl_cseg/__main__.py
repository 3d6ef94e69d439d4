"""``python -m xl_cseg``: the same command line as ``xl-cseg``."""

from .cli import main

if __name__ == "__main__":
    main()
