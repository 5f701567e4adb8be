"""Administration of routing data: categories, agencies, rules, days off, YAML import/export."""
