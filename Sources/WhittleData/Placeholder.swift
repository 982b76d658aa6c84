// WhittleData: filled in by its issue.
