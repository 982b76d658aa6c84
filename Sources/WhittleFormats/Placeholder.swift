// WhittleFormats: filled in by its issue.
