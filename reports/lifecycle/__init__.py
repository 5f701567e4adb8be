"""The lifecycle of a report: the transition table and the one function that applies an action."""
