"""The sensitivity command: global sensitivity indices and a tornado chart."""
