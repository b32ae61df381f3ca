"""`python -m local run` starts the local stack; `python -m local invoke ...` runs one function."""
import sys


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "run":
        from local.stack import main as run

        return run()
    if command == "invoke":
        from local.invoke import main as invoke

        return invoke(sys.argv[2:])
    print("usage: python -m local [run | invoke FUNCTION -e EVENT_FILE]", file=sys.stderr)
    return 2


sys.exit(main())
