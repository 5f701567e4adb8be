"""The public site: published outcomes, their map and list, agencies' and wards' figures."""
