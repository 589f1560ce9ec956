"""Run the command line: python -m dynamics."""

from .cli import main

if __name__ == "__main__":
    main()
