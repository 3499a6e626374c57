"""HTTP surface: webhooks, health, the admin UI (admin/), the REST API (api/) and the Zendesk app
(zendesk_app/). ``blueprints.register_blueprints`` is the one place that puts them together."""
