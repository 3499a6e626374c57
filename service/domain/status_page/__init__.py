"""The public status page's pure part: slugs, the visitor's language, what customers may read."""
