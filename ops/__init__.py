"""The operator's command line: `python -m ops --help`."""
