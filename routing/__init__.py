"""Routing: jurisdictions, agencies, categories, rules, assignment with a reason, SLA calendar."""
