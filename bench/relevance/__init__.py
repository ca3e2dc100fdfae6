"""The judged query set and its evaluation (`make bench-relevance`): see run.py."""
