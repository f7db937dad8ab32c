"""Why a method's cost is bounded by design, printed next to it in the JSON summary."""
NOTES = {}
