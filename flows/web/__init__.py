"""The staff web workspace: FastAPI routes over the same services as the CLI, Jinja2 pages in
Vietnamese, htmx (vendored in static/) for partial updates. No JavaScript build step."""
