// WhittleNN: filled in by its issue.
