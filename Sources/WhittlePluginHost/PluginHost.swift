// Native plugin loading: filled in by the plugins issue.
