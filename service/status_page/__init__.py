"""The public status page: publishing an incident, reading what the page shows, its cache."""
