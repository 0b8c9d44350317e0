"""Project tools run from make targets and CI (not part of the running assistant)."""
