"""The IOC operators' dashboard (``/dashboard``): the live map, the queue and triage."""
